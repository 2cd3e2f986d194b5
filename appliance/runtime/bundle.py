"""Signed model bundles: ship a site's models to devices on a USB stick, offline.

A bundle is one tar archive::

    bundle.json        index: format, created, models, {"path": sha256} of every file below
    bundle.sig         Ed25519 signature of the exact bytes of bundle.json
    manifest.json      the manifest entries of the bundled models (becomes an overlay)
    models/<name>/...  each model's files, with a MODEL.json sidecar of their hashes

:func:`install_bundle` checks everything *before writing anything*: only regular
files with safe relative names, the signature against the site's public key,
and every file's sha256 against the signed index (no file missing, none extra).
The index also carries the bundle's monotonic ``version``: a device refuses a
bundle older than the one its models came from, and trusts a second key for
rotation and a revocation list (:mod:`appliance.runtime.bundle_trust`).
Only then are the files unpacked into a staging folder (hashed again while
written) and each model folder swapped into ``<state>/models/<name>`` at once.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tarfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from appliance.runtime.bundle_format import (
    FORMAT,
    INDEX,
    MANIFEST,
    SIGNATURE,
    BundleInfo,
    PrivateKeyLike,
    generate_keypair,
    load_private_key,
    load_public_key,
)
from appliance.runtime.bundle_install import install_bundle, verify_bundle
from appliance.runtime.errors import BundleError
from appliance.runtime.manifest import default_manifest_path, load_manifest, overlay_path, tomllib
from appliance.runtime.store import SIDECAR, check_files, expected_files, model_dir

logger = logging.getLogger(__name__)

def _raw_specs(names: Iterable[str]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    base = tomllib.loads(default_manifest_path().read_text(encoding="utf-8")).get("models", {})
    over = overlay_path()
    if over.exists():
        base.update(json.loads(over.read_text(encoding="utf-8")).get("models", {}))
    for name in names:
        if name not in base:
            raise BundleError(f"model {name!r} is not in the manifest")
        raw[name] = base[name]
    return raw


def _add(tar: tarfile.TarFile, arcname: str, data: bytes) -> None:
    info = tarfile.TarInfo(arcname)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
    tar.addfile(info, io.BytesIO(data))


def create_bundle(models: Iterable[str], out: Path, signing_key: PrivateKeyLike, *,
                  version: int) -> Path:
    """Pack ``models`` (verified first) from this machine into a signed bundle at ``out``.

    ``version``: the bundle's monotonic version (a positive integer, signed with the
    index); a device refuses a bundle older than the one its models came from, and a
    version already used for other content. The publisher keeps the counter: a clock
    would hand two bundles built in the same second one version.
    """
    key = load_private_key(signing_key)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise BundleError(f"bundle version must be a positive integer, not {version}")
    manifest = load_manifest()
    names = list(models)
    files: dict[str, str] = {}
    sources: dict[str, Path] = {}
    sidecars: dict[str, bytes] = {}
    for name in names:
        spec = manifest.get(name)
        folder = model_dir(spec)
        expected = expected_files(spec, folder)
        problems = check_files(folder, expected)
        if problems:
            raise BundleError(f"refusing to bundle {name}: " + "; ".join(problems))
        for rel, digest in expected.items():
            files[f"models/{name}/{rel}"] = digest
            sources[f"models/{name}/{rel}"] = folder / rel
        side = json.dumps({"name": name, "version": spec.version, "files": expected},
                          indent=2, sort_keys=True).encode()
        sidecars[f"models/{name}/{SIDECAR}"] = side
        files[f"models/{name}/{SIDECAR}"] = hashlib.sha256(side).hexdigest()
    manifest_bytes = json.dumps({"models": _raw_specs(names)}, indent=2).encode()
    files[MANIFEST] = hashlib.sha256(manifest_bytes).hexdigest()
    index = json.dumps({
        "format": FORMAT,
        "version": version,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "models": names,
        "files": files,
    }, indent=2, sort_keys=True).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tarfile.open(tmp, "w") as tar:
        _add(tar, INDEX, index)
        _add(tar, SIGNATURE, key.sign(index))
        _add(tar, MANIFEST, manifest_bytes)
        for arcname, data in sidecars.items():
            _add(tar, arcname, data)
        for arcname, src in sources.items():
            tar.add(str(src), arcname=arcname, recursive=False)
    os.replace(tmp, out)
    return out


__all__ = [
    "BundleInfo",
    "create_bundle",
    "generate_keypair",
    "install_bundle",
    "load_public_key",
    "verify_bundle",
]
