"""Bundle format constants and Ed25519 key handling (see :mod:`appliance.runtime.bundle`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from appliance.runtime.errors import BundleError

FORMAT = 2
"""2: the signed index carries a monotonic ``version``; format 1 (unversioned, so
replayable) is refused."""
INDEX, SIGNATURE, MANIFEST = "bundle.json", "bundle.sig", "manifest.json"
MAX_INDEX_BYTES = 1 << 20

PublicKeyLike = Ed25519PublicKey | bytes | str | Path
PrivateKeyLike = Ed25519PrivateKey | bytes | str | Path


@dataclass
class BundleInfo:
    """A verified bundle: its signed index and the models it carries."""

    path: str
    models: list[str]
    files: int
    bytes: int
    created: str
    version: int = 0
    """The publisher's monotonic bundle version (signed)."""
    signed_by: str = ""
    """sha256 fingerprint of the trusted key that signed it."""
    installed_to: str = ""
    replaced: list[str] = field(default_factory=list)


def generate_keypair(folder: Path) -> tuple[Path, Path]:
    """Write ``bundle-signing.key`` (PEM, 0600) and ``bundle-signing.pub`` (PEM) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    priv, pub = folder / "bundle-signing.key", folder / "bundle-signing.pub"
    priv.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    priv.chmod(0o600)
    pub.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    return priv, pub


def load_public_key(key: PublicKeyLike) -> Ed25519PublicKey:
    """A public key from an object, 32 raw bytes, PEM bytes, or a file holding either."""
    if isinstance(key, Ed25519PublicKey):
        return key
    data = Path(key).read_bytes() if isinstance(key, str | Path) else key
    try:
        if len(data) == 32:
            return Ed25519PublicKey.from_public_bytes(data)
        loaded = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise BundleError(f"not an Ed25519 public key: {exc}") from exc
    if not isinstance(loaded, Ed25519PublicKey):
        raise BundleError("the public key is not Ed25519")
    return loaded


def load_private_key(key: PrivateKeyLike) -> Ed25519PrivateKey:
    if isinstance(key, Ed25519PrivateKey):
        return key
    data = Path(key).read_bytes() if isinstance(key, str | Path) else key
    loaded = serialization.load_pem_private_key(data, password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise BundleError("the signing key is not Ed25519")
    return loaded
