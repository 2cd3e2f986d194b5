"""A small X.509 toolkit (``cryptography``) for the fleet's mutual TLS.

Used by the tests and the bench to mint a CA, the broker's certificate, one
certificate per device (CN = device id), revocation lists, and deliberately bad
certificates (expired, wrong CA). Production certificates come from the
operator's CA through provisioning; :func:`common_name` reads a device's id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

Key = ec.EllipticCurvePrivateKey


def common_name(cert_file: Path) -> str:
    """The CN of a PEM certificate (a device's id)."""
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not attrs:
        raise ValueError(f"{cert_file} has no CN")
    return str(attrs[0].value)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _key() -> Key:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(key: Key, path: Path) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


@dataclass
class Issued:
    """A certificate and key on disk."""

    cert: Path
    key: Path
    serial: int


class CertAuthority:
    """A self-signed CA that issues server and client certificates into ``out``."""

    def __init__(self, out: Path, name: str = "kiosk-test-ca") -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.key = _key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - dt.timedelta(days=1))
            .not_valid_after(_now() + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.ca_file = out / f"{name}.pem"
        self.ca_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self._revoked: list[int] = []

    def issue(
        self,
        cn: str,
        *,
        server: bool = False,
        days: float = 365,
        expired: bool = False,
        key: Key | None = None,
    ) -> Issued:
        """Issue a certificate for ``cn`` (a server one gets SAN localhost/127.0.0.1)."""
        key = key or _key()
        start = _now() - dt.timedelta(days=1)
        end = _now() + dt.timedelta(days=days)
        if expired:
            start, end = _now() - dt.timedelta(days=30), _now() - dt.timedelta(days=1)
        serial = x509.random_serial_number()
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False)
        )
        if server:
            import ipaddress

            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        # not with_suffix: "fleet.host" and "fleet.console" would both become fleet.pem
        cert_file, key_file = self.out / f"{cn}.pem", self.out / f"{cn}.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key, key_file)
        return Issued(cert_file, key_file, serial)

    def revoke(self, issued: Issued) -> None:
        self._revoked.append(issued.serial)

    def write_crl(self, path: Path | None = None) -> Path:
        """Write the revocation list (PEM) with every revoked serial."""
        path = path or self.out / "crl.pem"
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(_now() - dt.timedelta(minutes=5))
            .next_update(_now() + dt.timedelta(days=30))
        )
        for serial in self._revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial)
                .revocation_date(_now() - dt.timedelta(minutes=1)).build())
        crl = builder.sign(self.key, hashes.SHA256())
        path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
        return path
