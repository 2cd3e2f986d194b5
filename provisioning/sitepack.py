"""Site packs: install one (atomically) and show what is installed.

A site pack is a folder (or a ``.tar.gz`` of one) with a manifest
(``manifest.toml``) naming the site, its language(s) and the screen
orientation, plus whatever the NLU/QA engines read (intents, knowledge).
Validation is pluggable: :data:`VALIDATORS` holds functions ``(folder) ->
list of problems``; the NLU's own full validator is picked up by name from
:data:`EXTERNAL_VALIDATORS` when that module exists in this build.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib
import json
import logging
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from provisioning.errors import ProvisionError
from provisioning.paths import fsync_dir, give_to_service_user, site_dir, state_dir
from provisioning.tomlcompat import tomllib

logger = logging.getLogger(__name__)

MANIFEST_NAMES = ("manifest.toml", "site.toml", "manifest.json")
ORIENTATIONS = ("landscape", "portrait", "landscape-flipped", "portrait-flipped")
INSTALL_NOTE = ".installed.json"

Validator = Callable[[Path], list[str]]
VALIDATORS: list[Validator] = []
EXTERNAL_VALIDATORS = ("appliance.sitepack:validate", "appliance.engines.nlu.sitepack:validate")
"""``module:function`` validators used when the module is part of this build."""


def register_validator(check: Validator) -> Validator:
    """Add a validator (usable as a decorator)."""
    VALIDATORS.append(check)
    return check


def find_manifest(folder: Path) -> Path | None:
    for name in MANIFEST_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def read_manifest(folder: Path) -> dict[str, Any]:
    path = find_manifest(folder)
    if path is None:
        raise ProvisionError(f"no manifest in {folder}", code="sitepack-invalid",
                             hint="a site pack needs " + " or ".join(MANIFEST_NAMES))
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ProvisionError(f"{path.name} is not valid: {exc}", code="sitepack-invalid") from exc
    site = data.get("site", data)
    return site if isinstance(site, dict) else {}


@register_validator
def check_manifest(folder: Path) -> list[str]:
    """The basics: a manifest with a name, known language and orientation values."""
    try:
        manifest = read_manifest(folder)
    except ProvisionError as err:
        return [str(err)]
    problems = []
    if not isinstance(manifest.get("name"), str) or not manifest.get("name"):
        problems.append("manifest: 'name' is missing")
    languages = manifest.get("languages", manifest.get("language", []))
    if isinstance(languages, str):
        languages = [languages]
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        problems.append("manifest: 'language' must be a code like 'en' or a list of them")
    orientation = manifest.get("orientation", "landscape")
    if orientation not in ORIENTATIONS:
        problems.append(f"manifest: orientation {orientation!r} is not one of {ORIENTATIONS}")
    return problems


def external_validators() -> list[Validator]:
    found = []
    for spec in EXTERNAL_VALIDATORS:
        module_name, _, attr = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        check = getattr(module, attr, None)
        if callable(check):
            found.append(check)
    return found


def validate(folder: Path) -> list[str]:
    """Every problem every validator finds (empty list = good)."""
    problems: list[str] = []
    for check in [*VALIDATORS, *external_validators()]:
        try:
            problems.extend(str(p) for p in check(folder) or [])
        except Exception as exc:  # a broken validator is a problem, not a crash
            problems.append(f"validator {getattr(check, '__name__', check)} failed: {exc}")
    return problems


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != INSTALL_NOTE):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _unpack(pack: Path, target: Path) -> None:
    if pack.is_dir():
        shutil.copytree(pack, target, symlinks=False)
        return
    if pack.is_file() and tarfile.is_tarfile(pack):
        with tarfile.open(pack) as tar:
            members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
            for member in members:
                name = Path(member.name)
                if name.is_absolute() or ".." in name.parts:
                    raise ProvisionError(f"unsafe path in the pack: {member.name}",
                                         code="sitepack-invalid")
            if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12: refuse links, devices
                tar.extractall(target, members=members, filter="data")
            else:  # pragma: no cover - older 3.10
                tar.extractall(target, members=members)
        entries = list(target.iterdir())
        if len(entries) == 1 and entries[0].is_dir() and find_manifest(target) is None:
            inner = entries[0]  # a tarball of the folder rather than of its content
            for child in inner.iterdir():
                child.rename(target / child.name)
            inner.rmdir()
        return
    raise ProvisionError(f"no site pack at {pack}", code="sitepack-missing",
                         hint="give the pack folder or its .tar.gz")


def recover() -> None:
    """Finish a swap an interruption left half done (old copy back if no new one)."""
    root = state_dir()
    for old in root.glob(".site.old-*"):
        if not site_dir().exists():
            old.rename(site_dir())
        else:
            shutil.rmtree(old, ignore_errors=True)
    for new in root.glob(".site.new-*"):
        shutil.rmtree(new, ignore_errors=True)


def install(pack: Path) -> dict[str, Any]:
    """Validate and install ``pack`` as the site; unchanged if already installed."""
    root = state_dir()
    root.mkdir(parents=True, exist_ok=True)
    recover()
    staging = Path(tempfile.mkdtemp(prefix=".site.new-", dir=root))
    try:
        os.rmdir(staging)
        _unpack(pack, staging)
        problems = validate(staging)
        if problems:
            raise ProvisionError("the site pack is not valid: " + "; ".join(problems),
                                 code="sitepack-invalid")
        digest = tree_hash(staging)
        current = site_dir()
        if current.exists() and tree_hash(current) == digest:
            return {**summary(current), "changed": False}
        note = {"hash": digest, "source": str(pack),
                "installed_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        (staging / INSTALL_NOTE).write_text(json.dumps(note, indent=2) + "\n")
        old = root / f".site.old-{os.getpid()}"
        if current.exists():
            current.rename(old)
        staging.rename(current)
        fsync_dir(root)
        shutil.rmtree(old, ignore_errors=True)
        give_to_service_user(current, *current.rglob("*"))
        return {**summary(current), "changed": True}
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(staging)


def summary(folder: Path | None = None) -> dict[str, Any]:
    """What ``site show`` prints: the manifest's essentials and where it came from."""
    folder = folder or site_dir()
    if not folder.exists():
        return {"installed": False}
    manifest = read_manifest(folder)
    languages = manifest.get("languages", manifest.get("language", []))
    note: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        note = json.loads((folder / INSTALL_NOTE).read_text())
    files = sum(1 for p in folder.rglob("*") if p.is_file() and p.name != INSTALL_NOTE)
    return {
        "installed": True,
        "path": str(folder),
        "name": manifest.get("name", ""),
        "version": str(manifest.get("version", "")),
        "languages": [languages] if isinstance(languages, str) else languages,
        "orientation": manifest.get("orientation", "landscape"),
        "files": files,
        "hash": note.get("hash") or tree_hash(folder),
        "installed_at": note.get("installed_at", ""),
    }
