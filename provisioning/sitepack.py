"""Site packs: install one (atomically) and show what is installed.

A site pack is a folder (or a ``.tar.gz`` of one) in the format of
:mod:`appliance.sitepack` (``manifest.yaml``, intents, slots, network, FAQ,
templates, feeds, media). It is validated by the same checker as
``kiosk sitepack check``, with every problem at ``file:line``, before anything
is swapped in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from appliance.settings import SettingsError, parse_toml, validate_overrides
from appliance.settings import load as load_settings
from appliance.sitepack import check_sitepack
from provisioning.errors import ProvisionError
from provisioning.paths import fsync_dir, give_to_service_user, site_dir, state_dir

logger = logging.getLogger(__name__)

MANIFEST = "manifest.yaml"
INSTALL_NOTE = ".installed.json"
SITE_SETTINGS = "settings.toml"
"""The site's settings layer inside a pack (kiosk.toml tables; see appliance.settings)."""


def validate(folder: Path) -> list[str]:
    """Every error the site pack checker finds (empty list = good); warnings are logged.

    The pack's optional ``settings.toml`` (the site's settings layer) is checked
    against the kiosk's settings schema too: a refused value is an error here, at
    install time, not a surprise at the kiosk's next start.
    """
    _, problems = check_sitepack(folder)
    for p in problems:
        if p.severity != "error":
            logger.warning("site pack: %s", p)
    errors = [str(p) for p in problems if p.severity == "error"]
    overrides = folder / SITE_SETTINGS
    if overrides.exists():
        try:
            tables = parse_toml(overrides)
        except SettingsError as err:
            return [*errors, f"{SITE_SETTINGS}: {'; '.join(err.problems)}"]
        errors += [f"{SITE_SETTINGS}: {p}" for p in validate_overrides(tables, "site")]
    return errors


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
        if len(entries) == 1 and entries[0].is_dir() and not (target / MANIFEST).is_file():
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
    """What ``site show`` prints: the pack's essentials, the screen and where it came from."""
    folder = folder or site_dir()
    if not folder.exists():
        return {"installed": False}
    pack, problems = check_sitepack(folder)
    if pack is None:
        raise ProvisionError(f"the installed site pack at {folder} is not valid: "
                             + "; ".join(str(p) for p in problems[:5]), code="sitepack-invalid")
    note: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        note = json.loads((folder / INSTALL_NOTE).read_text())
    files = sum(1 for p in folder.rglob("*") if p.is_file() and p.name != INSTALL_NOTE)
    avatar = load_settings()[0].avatar  # the screen is the device's, not the pack's
    m = pack.manifest
    return {
        "installed": True,
        "path": str(folder),
        "name": m.name,
        "title": m.title,
        "version": m.version,
        "languages": list(m.languages),
        "station": m.station,
        "orientation": "portrait" if avatar.height >= avatar.width else "landscape",
        "files": files,
        "hash": note.get("hash") or tree_hash(folder),
        "installed_at": note.get("installed_at", ""),
    }
