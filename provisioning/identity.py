"""Device identity: the device id, a key pair made on the device, its CSR.

The private key is generated here and never leaves the device: only the CSR
(``device.csr``) goes to the fleet's CA, which returns a certificate in an
enrolment bundle (see :mod:`provisioning.enroll`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from provisioning.errors import ProvisionError
from provisioning.paths import atomic_write, give_to_service_user, identity_dir, kiosk_root

logger = logging.getLogger(__name__)

KEY_TYPES = ("ed25519", "ecdsa-p256")
_ID_OK = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


def key_path() -> Path:
    return identity_dir() / "device.key"


def csr_path() -> Path:
    return identity_dir() / "device.csr"


def id_path() -> Path:
    return identity_dir() / "device_id"


def board_serial() -> str | None:
    """The board's serial number from the device tree (Jetson), if any."""
    path = kiosk_root() / "sys/firmware/devicetree/base/serial-number"
    try:
        raw = path.read_bytes().replace(b"\0", b"").decode("ascii", "ignore").strip()
    except OSError:
        return None
    return raw or None


def machine_id() -> str | None:
    try:
        value = (kiosk_root() / "etc/machine-id").read_text().strip()
    except OSError:
        return None
    return value or None


def normalise_id(raw: str) -> str:
    """Lower-case, ``[a-z0-9-]`` only; raises on ids a broker ACL cannot use."""
    value = re.sub(r"[^a-z0-9-]+", "-", raw.strip().lower()).strip("-")
    if not _ID_OK.match(value):
        raise ProvisionError(
            f"device id {raw!r} is not usable",
            code="bad-device-id",
            hint="use 3-63 characters: letters, digits and '-'",
        )
    return value


def detect_device_id() -> tuple[str, str]:
    """(device id, where it came from): board serial, else machine-id."""
    serial = board_serial()
    if serial:
        return normalise_id(f"kiosk-{serial}"), "board serial"
    mid = machine_id()
    if mid:
        return normalise_id(f"kiosk-{mid[:12]}"), "machine-id"
    raise ProvisionError(
        "cannot find a board serial or /etc/machine-id",
        code="no-device-id",
        hint="give one: kiosk-provision init --device-id kiosk-station-12",
    )


def current_device_id() -> str | None:
    try:
        return id_path().read_text().strip() or None
    except OSError:
        return None


def load_key() -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(key_path().read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ProvisionError(f"cannot read the device key: {exc}", code="no-identity",
                             hint="run: kiosk-provision init") from exc
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise ProvisionError("the device key has an unsupported type", code="bad-key")
    return key


def public_bytes(key: Any) -> bytes:
    """DER SubjectPublicKeyInfo of a key or public key (to compare keys)."""
    public = key.public_key() if hasattr(key, "public_key") else key
    return bytes(public.public_bytes(serialization.Encoding.DER,
                                     serialization.PublicFormat.SubjectPublicKeyInfo))


def new_key(key_type: str) -> PrivateKey:
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ProvisionError(f"unknown key type {key_type!r}", code="bad-key-type",
                         hint="choose one of: " + ", ".join(KEY_TYPES))


def make_csr(key: PrivateKey, device_id: str) -> bytes:
    """A PEM certificate signing request with CN = the device id."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device_id)])
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, algorithm)
    return csr.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Identity:
    device_id: str
    source: str
    key_type: str
    created: bool
    key_path: Path
    csr_path: Path

    def as_dict(self) -> dict[str, Any]:
        return {"device_id": self.device_id, "source": self.source, "key_type": self.key_type,
                "created": self.created, "key": str(self.key_path), "csr": str(self.csr_path)}


def key_type_of(key: PrivateKey) -> str:
    return "ed25519" if isinstance(key, ed25519.Ed25519PrivateKey) else "ecdsa-p256"


def init(device_id: str | None = None, key_type: str = "ed25519") -> Identity:
    """Create the identity, or return the existing one unchanged (idempotent).

    A different ``device_id`` than the one already on the device is refused:
    changing identity is a factory reset, not a re-run.
    """
    wanted = normalise_id(device_id) if device_id else None
    existing = current_device_id()
    if existing and key_path().exists():
        if wanted and wanted != existing:
            raise ProvisionError(
                f"this device is already {existing}",
                code="identity-exists",
                hint="to give it a new identity: kiosk-provision factory-reset",
            )
        key = load_key()
        if not csr_path().exists():  # interrupted after the key was written
            atomic_write(csr_path(), make_csr(key, existing))
        return Identity(existing, "existing", key_type_of(key), False, key_path(), csr_path())
    source = "given"
    if wanted is None:
        wanted, source = detect_device_id()
    folder = identity_dir()
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    key = new_key(key_type)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # the key last: its presence means a complete identity (kiosk-firstboot's
    # condition), so an interrupted run is simply done again
    atomic_write(id_path(), wanted + "\n", mode=0o644)
    atomic_write(csr_path(), make_csr(key, wanted), mode=0o644)
    atomic_write(key_path(), pem, mode=0o600)
    give_to_service_user(folder, key_path(), csr_path(), id_path())
    logger.info("device identity %s created (%s key)", wanted, key_type)
    return Identity(wanted, source, key_type, True, key_path(), csr_path())
