"""Enrolment: install the device certificate, the fleet CA and the broker address.

A bundle is a folder (e.g. on a USB stick) or a ``.tar``/``.tar.gz`` of one
holding::

    device.crt   (or cert.pem, <device-id>.crt)   the certificate the CA issued
    ca.crt       (or ca.pem)                      the fleet CA
    broker.json  (or broker.toml)                 {"host": ..., "port": 8883}
    update-signing.pub  (optional; or bundle-signing.pub)  the Ed25519 key that must
                 have signed the model/site bundles of fleet ``update`` commands

Before anything is installed the certificate must match this device's key
and id and be issued by the CA; the files are then written atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID

from provisioning import identity
from provisioning.errors import ProvisionError
from provisioning.paths import atomic_write, give_to_service_user, identity_dir
from provisioning.tomlcompat import tomllib

CERT_NAMES = ("device.crt", "cert.pem", "device.pem")
CA_NAMES = ("ca.crt", "ca.pem")
BROKER_NAMES = ("broker.json", "broker.toml")
UPDATE_KEY_NAMES = ("update-signing.pub", "bundle-signing.pub")
MAX_FILE = 1_000_000


def cert_path() -> Path:
    return identity_dir() / "device.crt"


def ca_path() -> Path:
    return identity_dir() / "ca.crt"


def broker_path() -> Path:
    return identity_dir() / "broker.json"


def update_key_path() -> Path:
    """The device's trust store for ``update`` bundles (read by the telemetry agent)."""
    return identity_dir() / "update-signing.pub"


def _update_key(files: dict[str, bytes]) -> bytes | None:
    """The optional bundle-signing public key, checked to be Ed25519."""
    name = next((n for n in UPDATE_KEY_NAMES if n in files), None)
    if name is None:
        return None
    from appliance.runtime.bundle_format import load_public_key
    from appliance.runtime.errors import BundleError

    try:
        load_public_key(files[name])
    except (BundleError, ValueError) as exc:
        raise ProvisionError(f"{name} is not an Ed25519 public key: {exc}",
                             code="bundle-invalid") from exc
    return files[name]


def read_bundle(bundle: Path) -> dict[str, bytes]:
    """The bundle's files by base name (folder or tarball; regular files only)."""
    if bundle.is_dir():
        return {p.name: p.read_bytes() for p in bundle.iterdir()
                if p.is_file() and p.stat().st_size <= MAX_FILE}
    if bundle.is_file() and tarfile.is_tarfile(bundle):
        files: dict[str, bytes] = {}
        with tarfile.open(bundle) as tar:
            for member in tar.getmembers():
                if member.isfile() and member.size <= MAX_FILE:
                    handle = tar.extractfile(member)
                    if handle is not None:
                        files[Path(member.name).name] = handle.read()
        return files
    raise ProvisionError(f"no enrolment bundle at {bundle}", code="bundle-missing",
                         hint="give the folder or .tar.gz the fleet sent (e.g. /media/usb/kiosk)")


def _pick(files: dict[str, bytes], names: tuple[str, ...], what: str) -> tuple[str, bytes]:
    for name in names:
        if name in files:
            return name, files[name]
    raise ProvisionError(f"the bundle has no {what} ({' or '.join(names)})", code="bundle-invalid")


def parse_broker(name: str, raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw) if name.endswith(".json") else tomllib.loads(raw.decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProvisionError(f"{name} is not valid: {exc}", code="bundle-invalid") from exc
    host = data.get("host")
    port = data.get("port", 8883)
    if not isinstance(host, str) or not host or not isinstance(port, int) or not 0 < port < 65536:
        raise ProvisionError(f"{name} needs a host and a port (1-65535)", code="bundle-invalid")
    broker = {"host": host, "port": port}
    for key in ("tls_server_name", "keepalive_s", "topic_prefix"):
        if key in data:
            broker[key] = data[key]
    return broker


def load_cert(raw: bytes, what: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(raw)
    except ValueError as exc:
        raise ProvisionError(f"the {what} is not a PEM certificate", code="bundle-invalid") from exc


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def check_certificate(cert: x509.Certificate, ca: x509.Certificate, device_id: str,
                      key: identity.PrivateKey) -> list[str]:
    """Problems that forbid installing ``cert``; returns warnings otherwise."""
    if identity.public_bytes(cert.public_key()) != identity.public_bytes(key):
        raise ProvisionError("the certificate is not for this device's key",
                             code="cert-key-mismatch",
                             hint="the CSR sent to the CA must come from this device")
    if common_name(cert) != device_id:
        raise ProvisionError(f"the certificate is for {common_name(cert)!r}, not {device_id!r}",
                             code="cert-id-mismatch")
    try:
        cert.verify_directly_issued_by(ca)
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise ProvisionError("the certificate was not issued by the bundle's CA",
                             code="cert-untrusted") from exc
    warnings = []
    now = dt.datetime.now(dt.timezone.utc)
    if cert.not_valid_after_utc < now:
        raise ProvisionError("the certificate has expired", code="cert-expired")
    if cert.not_valid_before_utc > now:
        warnings.append("the certificate is not valid yet: check the device clock")
    return warnings


@dataclass(frozen=True)
class Enrolment:
    device_id: str
    broker: dict[str, Any]
    not_after: str
    changed: bool
    warnings: list[str]
    update_key: str = ""
    """Where the update signing key was installed ("" when the bundle had none)."""

    def as_dict(self) -> dict[str, Any]:
        return {"device_id": self.device_id, "broker": self.broker, "not_after": self.not_after,
                "changed": self.changed, "warnings": self.warnings,
                "update_key": self.update_key or None}


def enroll(bundle: Path) -> Enrolment:
    """Validate the bundle against this device, then install it (idempotent)."""
    device_id = identity.current_device_id()
    if device_id is None:
        raise ProvisionError("this device has no identity yet", code="no-identity",
                             hint="run: kiosk-provision init")
    key = identity.load_key()
    files = read_bundle(bundle)
    _, cert_raw = _pick(files, (*CERT_NAMES, f"{device_id}.crt"), "device certificate")
    _, ca_raw = _pick(files, CA_NAMES, "CA certificate")
    broker_name, broker_raw = _pick(files, BROKER_NAMES, "broker address")
    cert = load_cert(cert_raw, "device certificate")
    ca = load_cert(ca_raw, "CA certificate")
    warnings = check_certificate(cert, ca, device_id, key)
    broker = parse_broker(broker_name, broker_raw)
    broker_json = json.dumps(broker, indent=2, sort_keys=True) + "\n"
    wanted = {cert_path(): cert_raw, ca_path(): ca_raw, broker_path(): broker_json.encode()}
    update_key = _update_key(files)
    if update_key is not None:
        wanted[update_key_path()] = update_key
    changed = False
    for path, content in wanted.items():
        if not path.exists() or path.read_bytes() != content:
            atomic_write(path, content, mode=0o644)
            changed = True
    give_to_service_user(*wanted)
    return Enrolment(device_id, broker, cert.not_valid_after_utc.isoformat(), changed, warnings,
                     str(update_key_path()) if update_key is not None else "")


def enrolment_status() -> dict[str, Any]:
    """What is installed now (for ``status`` and ``diagnostics``), never secrets."""
    if not cert_path().exists():
        return {"enrolled": False}
    try:
        cert = load_cert(cert_path().read_bytes(), "device certificate")
        broker = json.loads(broker_path().read_text()) if broker_path().exists() else {}
    except (ProvisionError, OSError, ValueError) as exc:
        return {"enrolled": False, "problem": str(exc)}
    return {"enrolled": True, "subject": common_name(cert), "broker": broker,
            "not_after": cert.not_valid_after_utc.isoformat(),
            "issuer": cert.issuer.rfc4514_string()}
