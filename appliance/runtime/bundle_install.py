"""Verify and install a signed model bundle (format: :mod:`appliance.runtime.bundle`).

Nothing is written until the whole archive has been checked: member types and
names, the Ed25519 signature of the index by a trusted, unrevoked key, the bundle's
version against what is installed (no downgrade, :mod:`appliance.runtime.bundle_trust`),
and the sha256 of every file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from appliance.runtime.bundle_format import (
    FORMAT,
    INDEX,
    MANIFEST,
    MAX_INDEX_BYTES,
    SIGNATURE,
    BundleInfo,
    PublicKeyLike,
)
from appliance.runtime.bundle_trust import TrustStore, check_version
from appliance.runtime.errors import BundleError
from appliance.runtime.manifest import overlay_path, parse_model
from appliance.settings import state_dir

logger = logging.getLogger(__name__)


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise BundleError(f"unsafe path in bundle: {name!r}")
    return str(path)


def _members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    found: dict[str, tarfile.TarInfo] = {}
    for m in tar.getmembers():
        if m.isdir():
            continue
        if not m.isfile():
            raise BundleError(f"bundle member {m.name!r} is not a regular file (links refused)")
        name = _safe_name(m.name)
        if name in found:
            raise BundleError(f"bundle member {name!r} appears twice")
        found[name] = m
    return found


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo, limit: int) -> bytes:
    if member.size > limit:
        raise BundleError(f"{member.name} is too large ({member.size} bytes)")
    fh = tar.extractfile(member)
    assert fh is not None
    return fh.read()


def _hash_member(tar: tarfile.TarFile, member: tarfile.TarInfo, sink: Any = None) -> str:
    h = hashlib.sha256()
    fh = tar.extractfile(member)
    assert fh is not None
    for block in iter(lambda: fh.read(1 << 20), b""):
        h.update(block)
        if sink is not None:
            sink.write(block)
    return h.hexdigest()


Trust = TrustStore | PublicKeyLike
"""A trust store, or one key (a key file brings its rotation key and revocation list)."""


def _check(path: Path, trust: Trust) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify the archive; returns (index, manifest overlay). Writes nothing."""
    store = TrustStore.of(trust)
    try:
        with tarfile.open(path, "r:*") as tar:
            index, overlay = _check_open(tar, path, store)
    except (OSError, tarfile.TarError) as exc:
        raise BundleError(f"{path}: not a readable bundle archive: {exc}") from exc
    for name, raw in overlay.get("models", {}).items():
        parse_model(name, raw)  # a malformed entry is refused here, before writing
    if set(overlay.get("models", {})) != set(index.get("models", [])):
        raise BundleError(f"{path}: manifest and index list different models")
    return index, overlay


def _check_open(
    tar: tarfile.TarFile, path: Path, store: TrustStore
) -> tuple[dict[str, Any], dict[str, Any]]:
    members = _members(tar)
    if INDEX not in members:
        raise BundleError(f"{path}: no {INDEX} (not a model bundle)")
    if SIGNATURE not in members:
        raise BundleError(f"{path}: unsigned bundle (no {SIGNATURE}): refused")
    index_bytes = _read(tar, members[INDEX], MAX_INDEX_BYTES)
    try:
        signer = store.verify(_read(tar, members[SIGNATURE], 1024), index_bytes)
    except BundleError as exc:
        raise BundleError(f"{path}: {exc}", code=exc.code) from None
    try:
        index = json.loads(index_bytes)
        files: dict[str, str] = index["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{path}: malformed {INDEX}: {exc}") from exc
    if index.get("format") != FORMAT:
        raise BundleError(f"{path}: bundle format {index.get('format')} is not {FORMAT} "
                          "(format 1 bundles carry no version and could be replayed)")
    version = index.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BundleError(f"{path}: the signed index has no valid version ({version!r})")
    index["_sha256"] = hashlib.sha256(index_bytes).hexdigest()
    index["_signed_by"] = signer
    check_version([str(m) for m in index.get("models", [])], version, index["_sha256"], path)
    present = set(members) - {INDEX, SIGNATURE}
    listed = {_safe_name(n) for n in files}
    if present != listed:
        extra, missing = sorted(present - listed), sorted(listed - present)
        raise BundleError(f"{path}: files not in the signed index {extra}, missing {missing}")
    for name, want in sorted(files.items()):
        got = _hash_member(tar, members[name])
        if got != want:
            raise BundleError(f"{path}: {name} sha256 {got[:12]}… expected {want[:12]}…")
    try:
        overlay = json.loads(_read(tar, members[MANIFEST], MAX_INDEX_BYTES))
    except (KeyError, ValueError) as exc:
        raise BundleError(f"{path}: missing or malformed {MANIFEST}") from exc
    return index, overlay


def _info(path: Path, index: dict[str, Any]) -> BundleInfo:
    return BundleInfo(
        path=str(path),
        models=list(index["models"]),
        files=len(index["files"]),
        bytes=Path(path).stat().st_size,
        created=str(index.get("created", "")),
        version=int(index["version"]),
        signed_by=str(index["_signed_by"]),
    )


def verify_bundle(path: Path, trust: Trust) -> BundleInfo:
    """Check a bundle without installing it; raises :class:`BundleError` when bad
    (``bundle-key-revoked``, ``bundle-downgrade`` or ``bundle-rejected``)."""
    index, _ = _check(Path(path), trust)
    return _info(Path(path), index)


def install_bundle(path: Path | str, trust: Trust) -> BundleInfo:
    """Verify ``path`` against ``trust`` and install its models under ``<state>/models``.

    A rejected bundle (unsigned, tampered, untrusted or revoked key, a downgrade,
    malformed) raises :class:`BundleError` and leaves the device untouched.
    """
    path = Path(path)
    index, overlay = _check(path, trust)  # checked once, then the install re-hashes each file
    info = _info(path, index)
    root = state_dir() / "models"
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        with tarfile.open(path, "r:*") as tar:
            members = _members(tar)
            for name, want in index["files"].items():
                if not name.startswith("models/"):
                    continue
                dest = staging / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                with dest.open("wb") as out:
                    got = _hash_member(tar, members[name], out)
                if got != want:  # the file changed under us since verification
                    raise BundleError(f"{path}: {name} changed during install: refused")
        for model in index["models"]:
            target = root / model
            if target.exists():
                old = root / f".old-{model}"
                shutil.rmtree(old, ignore_errors=True)
                os.replace(target, old)
                info.replaced.append(model)
            os.replace(staging / "models" / model, target)
            shutil.rmtree(root / f".old-{model}", ignore_errors=True)
        _merge_overlay(overlay, index)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    info.installed_to = str(root)
    logger.info("installed model bundle %s: %s", path, ", ".join(info.models))
    return info


def _merge_overlay(overlay: dict[str, Any], index: dict[str, Any]) -> None:
    """The bundle's manifest entries, and per model the bundle version it came from
    (:func:`appliance.runtime.bundle_trust.check_version` reads it; an update's snapshot
    saves and restores this file, so a rollback puts the record back with the models)."""
    target = overlay_path()
    current: dict[str, Any] = {"models": {}}
    if target.exists():
        try:
            current = json.loads(target.read_text(encoding="utf-8"))
        except ValueError:
            logger.warning("replacing unreadable manifest overlay %s", target)
    current.setdefault("models", {}).update(overlay.get("models", {}))
    record = {"version": index["version"], "index": index["_sha256"], "key": index["_signed_by"],
              "created": index.get("created", "")}
    current.setdefault("bundles", {}).update({m: record for m in index["models"]})
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(current, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, target)
