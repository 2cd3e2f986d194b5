"""Who may sign a bundle, and which bundle may replace which: keys, revocation, versions.

**Trust store.** A device trusts the update signing key it was enrolled with
(``update-signing.pub``) and, for rotation, a second one next to it
(``update-signing.next.pub``): the fleet installs the next key while bundles are still
signed with the current one, switches signing, then makes the next key the current one.
``update-signing.revoked`` lists keys that must never be trusted again (one sha256
fingerprint of the raw 32-byte public key per line, ``#`` comments): a bundle signed by a
revoked key is refused even while that key is still installed, so a leaked key is cut off
by one small file before the rotation finishes.

**Versions.** Every bundle's signed index carries a ``version`` (an integer the publisher
only ever increases). The device remembers, per model, the version and index hash of the
bundle it came from (in the manifest overlay, so a rolled-back update rolls the record
back with the models). A bundle whose version is below that of any model it carries is a
downgrade, and the same version with other content is a reused version: both are refused
before anything is written. Reinstalling the very bundle installed (same index) repairs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from appliance.runtime.bundle_format import PublicKeyLike, load_public_key
from appliance.runtime.errors import BundleError
from appliance.runtime.manifest import overlay_path

logger = logging.getLogger(__name__)

NEXT_SUFFIX = ".next.pub"
REVOKED_SUFFIX = ".revoked"


def fingerprint(key: Ed25519PublicKey) -> str:
    """sha256 (hex) of the raw 32-byte public key: how keys are named and revoked."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def read_revoked(path: Path) -> frozenset[str]:
    """Fingerprints in a revocation file (absent file: none). A bad line is refused,
    not skipped: a revocation list that half-parses would silently trust a leaked key."""
    if not path.exists():
        return frozenset()
    out = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip().lower()
        if not text:
            continue
        if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
            raise BundleError(f"{path}:{lineno}: not a sha256 key fingerprint: {text!r}",
                              code="bundle-trust-invalid")
        out.add(text)
    return frozenset(out)


@dataclass(frozen=True)
class TrustStore:
    """The keys a bundle may be signed with, less the revoked ones."""

    keys: tuple[Ed25519PublicKey, ...]
    revoked: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_key_file(cls, current: Path) -> TrustStore:
        """``current`` plus its rotation key and revocation list beside it, if present."""
        keys = [load_public_key(current)] if current.is_file() else []
        nxt = next_key_path(current)
        if nxt.is_file():
            keys.append(load_public_key(nxt))
        if not keys:
            raise BundleError(f"no update signing key at {current}", code="bundle-no-key")
        return cls(tuple(keys), read_revoked(revoked_path(current)))

    @classmethod
    def of(cls, trust: TrustStore | PublicKeyLike) -> TrustStore:
        """A trust store from a store, a key, or a key file (with its neighbours)."""
        if isinstance(trust, TrustStore):
            return trust
        if isinstance(trust, str | Path) and Path(trust).is_file():
            return cls.from_key_file(Path(trust))
        return cls((load_public_key(trust),))

    def verify(self, signature: bytes, data: bytes) -> str:
        """The fingerprint of the trusted key that signed ``data``; raises when none did."""
        revoked_signer = False
        for key in self.keys:
            try:
                key.verify(signature, data)
            except InvalidSignature:
                continue
            fp = fingerprint(key)
            if fp in self.revoked:
                revoked_signer = True
                continue
            return fp
        if revoked_signer:
            raise BundleError("signed by a revoked key: refused", code="bundle-key-revoked")
        raise BundleError("signature does not verify with any trusted key (tampered index or "
                          "signed by another key): refused")


def next_key_path(current: Path) -> Path:
    """``update-signing.pub`` -> ``update-signing.next.pub``."""
    return current.with_name(current.name.removesuffix(".pub") + NEXT_SUFFIX)


def revoked_path(current: Path) -> Path:
    """``update-signing.pub`` -> ``update-signing.revoked``."""
    return current.with_name(current.name.removesuffix(".pub") + REVOKED_SUFFIX)


def installed_versions() -> dict[str, dict[str, Any]]:
    """Per installed model: the ``version``, ``index`` sha256 and ``key`` of its bundle."""
    path = overlay_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError):
        return {}
    bundles = data.get("bundles", {}) if isinstance(data, dict) else {}
    return {str(k): v for k, v in bundles.items() if isinstance(v, dict)}


def check_version(models: list[str], version: int, index_sha256: str, where: Path) -> None:
    """Refuse a bundle that would put any of ``models`` back to an older (or reused) version."""
    current = installed_versions()
    for name in models:
        have = current.get(name)
        if not have:
            continue
        old = int(have.get("version", 0))
        if version < old:
            raise BundleError(f"{where}: version {version} of {name} is older than the "
                              f"installed {old}: downgrade refused", code="bundle-downgrade")
        if version == old and have.get("index") != index_sha256:
            raise BundleError(f"{where}: version {version} of {name} is installed with other "
                              "content: a bundle version is never reused", code="bundle-downgrade")
