"""The fleet's certificate authority on disk (``kiosk-fleet ca ...``).

One folder holds everything the operator's CA knows::

    ca.key        the CA's private key (0600; the folder is 0700)
    ca.crt        the CA certificate: devices, consoles and the broker trust it
    crl.pem       the revocation list the broker checks (``crlfile``)
    index.json    every certificate issued: serial, CN, kind, validity, revoked
    broker.json   where devices connect (written by ``broker-cert``; copied into bundles)
    update-signing.pub  optional: the key fleet ``update`` bundles are signed with;
                  copied into every enrolment bundle when present
    bundles/<device>/  enrolment bundles (device.crt, ca.crt, broker.json, ...)
    fleet/        console and ingester certificates (CN ``fleet.<name>``)

A device's private key never comes here: ``sign`` takes the CSR that
``kiosk-provision init`` made on the device. Fleet identities (``fleet``,
``fleet.*``) have fleet rights in the broker's ACL, so ``sign`` refuses a CSR that
asks for one.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from appliance.errors import KioskError
from appliance.system.fileio import atomic_write
from appliance.telemetry.mosquitto import FLEET_PREFIX, is_fleet_identity
from appliance.telemetry.topics import valid_segment

logger = logging.getLogger(__name__)

DEVICE_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,62}")
"""A device id as ``kiosk-provision init`` makes them (provisioning.identity: 3-63 of
``[a-z0-9-]``); anything else in a CSR did not come from our provisioning."""

DEVICE_DAYS = 825
"""Device certificates: about two years and three months (renewed by a new sign)."""

CRL_DAYS = 90
"""Validity of a freshly written CRL."""


class CaError(KioskError):
    """A CA operation was refused (the code says why)."""

    code = "ca-error"


@dataclass(frozen=True)
class Issued:
    """One certificate the CA issued (a row of ``index.json``)."""

    serial: int
    cn: str
    kind: str
    """``device``, ``fleet`` or ``broker``."""
    not_after: str
    revoked: str = ""
    """ISO time of revocation; empty while valid."""

    def as_dict(self) -> dict[str, Any]:
        return {"serial": format(self.serial, "x"), "cn": self.cn, "kind": self.kind,
                "not_after": self.not_after, "revoked": self.revoked or None}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def san_entry(host: str) -> x509.GeneralName:
    """A subjectAltName entry: an IP address where ``host`` is one, else a DNS name."""
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not re.fullmatch(r"[A-Za-z0-9*]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", host):
        raise CaError(f"{host!r} is not a host name or IP address", code="ca-bad-host")
    return x509.DNSName(host)


class FleetCa:
    """The CA in ``folder`` (see the module doc for its layout)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        if not self.cert_file.is_file() or not self.key_file.is_file():
            raise CaError(f"no CA in {folder} (create one: kiosk-fleet ca init --dir DIR)",
                          code="ca-missing")
        key = serialization.load_pem_private_key(self.key_file.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise CaError(f"{self.key_file}: not an EC key", code="ca-bad-key")
        self.key = key
        self.cert = x509.load_pem_x509_certificate(self.cert_file.read_bytes())

    # --- layout -------------------------------------------------------------------

    @property
    def cert_file(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def key_file(self) -> Path:
        return self.folder / "ca.key"

    @property
    def crl_file(self) -> Path:
        return self.folder / "crl.pem"

    @property
    def broker_file(self) -> Path:
        return self.folder / "broker.json"

    @property
    def update_key_file(self) -> Path:
        return self.folder / "update-signing.pub"

    # --- creation -------------------------------------------------------------------

    @classmethod
    def init(cls, folder: Path, name: str = "kiosk-fleet-ca", days: int = 3650) -> FleetCa:
        """Create a new CA in ``folder`` (refused where one exists: that would orphan
        every certificate it issued)."""
        if (folder / "ca.key").exists() or (folder / "ca.crt").exists():
            raise CaError(f"{folder} already holds a CA", code="ca-exists")
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - dt.timedelta(hours=1))
            .not_valid_after(_now() + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256())
        )
        atomic_write(folder / "ca.key", _key_pem(key), 0o600)
        atomic_write(folder / "ca.crt", _pem(cert))
        atomic_write(folder / "index.json", b"[]\n")
        ca = cls(folder)
        ca.write_crl()
        logger.info("fleet CA %s created in %s", name, folder)
        return ca

    # --- the index --------------------------------------------------------------------

    def issued(self) -> list[Issued]:
        """Every certificate issued, oldest first."""
        try:
            rows = json.loads((self.folder / "index.json").read_text())
        except FileNotFoundError:
            return []
        return [Issued(int(r["serial"], 16), r["cn"], r["kind"], r["not_after"],
                       r.get("revoked") or "") for r in rows]

    def _save_index(self, rows: list[Issued]) -> None:
        data = json.dumps([r.as_dict() for r in rows], indent=1) + "\n"
        atomic_write(self.folder / "index.json", data.encode())

    def fleet_identities(self) -> list[str]:
        """CNs of the fleet certificates (consoles, ingesters) that are not revoked."""
        return sorted({r.cn for r in self.issued() if r.kind == "fleet" and not r.revoked})

    # --- issuing --------------------------------------------------------------------

    def _issue(self, cn: str, public_key: Any, kind: str, days: int,
               sans: list[x509.GeneralName] | None = None) -> x509.Certificate:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if kind == "broker" \
            else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(self.cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - dt.timedelta(hours=1))  # a device clock a bit behind
            .not_valid_after(_now() + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        rows = self.issued()
        rows.append(Issued(cert.serial_number, cn, kind, cert.not_valid_after_utc.isoformat()))
        self._save_index(rows)
        logger.info("issued %s certificate %s serial %x", kind, cn, cert.serial_number)
        return cert

    def sign_csr(self, csr_pem: bytes, days: int = DEVICE_DAYS) -> tuple[str, x509.Certificate]:
        """A device certificate for a CSR made by ``kiosk-provision init``: (device id, cert)."""
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
        except ValueError as exc:
            raise CaError("not a PEM certificate signing request", code="csr-invalid") from exc
        if not csr.is_signature_valid:
            raise CaError("the CSR's signature does not verify", code="csr-invalid")
        names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        cn = str(names[0].value) if names else ""
        if is_fleet_identity(cn):
            raise CaError(f"the CSR asks for {cn!r}, a fleet identity: a device never gets "
                          "one (use 'kiosk-fleet ca console-cert NAME' for consoles)",
                          code="csr-fleet-identity")
        if not DEVICE_ID.fullmatch(cn):  # fullmatch: "$" would let "id\n" through
            raise CaError(f"the CSR's CN {cn!r} is not a device id (3-63 characters of "
                          "a-z, 0-9 and '-', as kiosk-provision init makes them)",
                          code="csr-bad-device-id")
        return cn, self._issue(cn, csr.public_key(), "device", days)

    def issue_with_key(self, cn: str, kind: str, days: int,
                       sans: list[x509.GeneralName] | None = None
                       ) -> tuple[x509.Certificate, bytes]:
        """A certificate and a fresh key (PEM) for a fleet identity or the broker."""
        if kind == "fleet" and (not is_fleet_identity(cn) or not valid_segment(cn)):
            raise CaError(f"{cn!r} is not a fleet identity ('fleet' or '{FLEET_PREFIX}NAME')",
                          code="ca-bad-name")
        key = ec.generate_private_key(ec.SECP256R1())
        return self._issue(cn, key.public_key(), kind, days, sans), _key_pem(key)

    # --- revocation --------------------------------------------------------------------

    def revoke(self, cn: str | None = None, serial: int | None = None) -> list[Issued]:
        """Revoke every valid certificate of ``cn`` (or the one ``serial``) and rewrite
        the CRL. Returns what was revoked; nothing found is an error."""
        rows = self.issued()
        when = _now().isoformat()
        hit = [r for r in rows if not r.revoked and (r.cn == cn if serial is None
                                                      else r.serial == serial)]
        if not hit:
            what = cn if serial is None else format(serial, "x")
            raise CaError(f"no valid certificate for {what!r} in this CA", code="ca-not-issued")
        ids = {r.serial for r in hit}
        rows = [Issued(r.serial, r.cn, r.kind, r.not_after, when) if r.serial in ids else r
                for r in rows]
        self._save_index(rows)
        self.write_crl()
        return [r for r in rows if r.serial in ids]

    def write_crl(self, days: int = CRL_DAYS) -> Path:
        """Rewrite ``crl.pem`` with every revoked serial. It is valid ``days``: an
        expired CRL makes the broker refuse *every* client, so ``kiosk-fleet ca crl``
        must run again before then (a monthly timer is plenty)."""
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(_now() - dt.timedelta(minutes=5))
            .next_update(_now() + dt.timedelta(days=days))
        )
        for row in self.issued():
            if row.revoked:
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder().serial_number(row.serial)
                    .revocation_date(dt.datetime.fromisoformat(row.revoked)).build())
        crl = builder.sign(self.key, hashes.SHA256())
        atomic_write(self.crl_file, crl.public_bytes(serialization.Encoding.PEM))
        return self.crl_file
