"""Find a model's files on this machine and check them against their sha256.

Where a model lives, first match wins:

1. ``<state>/models/<name>/`` - installed from a signed bundle (has ``MODEL.json``);
2. package models: the directory inside the installed registry package;
3. recipe models: the build cache (``KIOSK_MODEL_CACHE``, else ``build/models`` of
   the source checkout, else ``<state>/models/build``), one folder per input key;
   else the copy the firmware package ships prebuilt (``models/prebuilt/<name>/<key>``
   next to the manifest: a runtime-only install has no torch to run the recipe).

Every built or installed folder carries a ``MODEL.json`` sidecar with the sha256 of
each file, so a corrupt or stale copy is detected, never trusted.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from appliance.runtime.errors import ModelHashError, ModelNotFoundError
from appliance.runtime.manifest import REPO_ROOT, Manifest, ModelSpec, load_manifest
from appliance.runtime.recipebook import recipe_path
from appliance.settings import state_dir

logger = logging.getLogger(__name__)

SIDECAR = "MODEL.json"
_hash_memo: dict[tuple[str, int, int], str] = {}


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, memoized by path + size + mtime."""
    st = path.stat()
    memo_key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if memo_key in _hash_memo:
        return _hash_memo[memo_key]
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    _hash_memo[memo_key] = digest
    return digest


def build_cache_dir() -> Path:
    """Where recipes write their outputs (see module doc)."""
    env = os.environ.get("KIOSK_MODEL_CACHE")
    if env:
        return Path(env)
    if (REPO_ROOT / "pyproject.toml").exists() and os.access(REPO_ROOT, os.W_OK):
        return REPO_ROOT / "build" / "models"
    return state_dir() / "models" / "build"


def installed_dir(name: str) -> Path:
    return state_dir() / "models" / name


def package_dir(spec: ModelSpec) -> Path:
    """The model's directory inside its registry package (not imported, only located)."""
    found = importlib.util.find_spec(spec.source.module)
    if found is None or not found.submodule_search_locations:
        raise ModelNotFoundError(
            f"model {spec.name!r}: package {spec.source.package!r} is not installed "
            f"(pip install {spec.source.package})"
        )
    return Path(next(iter(found.submodule_search_locations))) / spec.source.path


def read_sidecar(folder: Path) -> dict[str, Any] | None:
    """The ``MODEL.json`` of a built/installed folder, or None if absent/unreadable."""
    try:
        data = json.loads((folder / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else None


def write_sidecar(folder: Path, data: dict[str, Any]) -> None:
    """Write ``MODEL.json`` atomically."""
    tmp = folder / (SIDECAR + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, folder / SIDECAR)


def recipe_key(spec: ModelSpec) -> str:
    """Build-cache key of a recipe model: its recipe text + its inputs' hashes."""
    h = hashlib.sha256()
    h.update(recipe_path(spec.source.recipe).read_bytes())
    for rel, digest in sorted(spec.source.inputs.items()):
        h.update(f"{rel}={digest}\n".encode())
    return h.hexdigest()[:16]


def built_dir(spec: ModelSpec) -> Path:
    return build_cache_dir() / spec.name / recipe_key(spec)


def shipped_dir(spec: ModelSpec) -> Path:
    """Where the firmware package ships a recipe model prebuilt (read-only, keyed)."""
    return REPO_ROOT / "models" / "prebuilt" / spec.name / recipe_key(spec)


def model_dir(spec: ModelSpec) -> Path:
    """The folder this machine would load ``spec`` from (may not exist yet)."""
    inst = installed_dir(spec.name)
    if read_sidecar(inst) is not None:
        return inst
    if spec.source.kind == "package":
        return package_dir(spec)
    built = built_dir(spec)
    if read_sidecar(built) is None and read_sidecar(shipped_dir(spec)) is not None:
        return shipped_dir(spec)
    return built


def expected_files(spec: ModelSpec, folder: Path) -> dict[str, str]:
    """Relative path -> sha256 that ``folder`` must hold for ``spec``."""
    side = read_sidecar(folder)
    if side is not None:
        return {str(k): str(v) for k, v in side["files"].items()}
    if spec.source.kind == "package":
        return dict(spec.files)
    raise ModelNotFoundError(
        f"model {spec.name!r} is not built ({folder} has no {SIDECAR}); run `make models`"
    )


@dataclass
class ModelReport:
    """Result of checking one model's files."""

    name: str
    ok: bool
    location: str = ""
    files: int = 0
    problems: list[str] = field(default_factory=list)
    optional: bool = False
    """The manifest marks the model optional (a test/dev model, or one sites add)."""
    installed: bool = True
    """False for an optional model whose package is absent (that is not a failure)."""


@dataclass
class VerifyReport:
    """Result of :func:`verify_all`; ``to_dict()`` is what ``--json`` prints."""

    ok: bool
    models: list[ModelReport]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "models": [asdict(m) for m in self.models]}


def check_files(folder: Path, files: dict[str, str]) -> list[str]:
    """One line per missing or mismatching file (empty when all match)."""
    problems = []
    for rel, want in sorted(files.items()):
        path = folder / rel
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        got = sha256_file(path)
        if got != want:
            problems.append(f"{path}: sha256 {got[:12]}… expected {want[:12]}…")
    return problems


def verify_model(spec: ModelSpec) -> ModelReport:
    """Check every file of one model (and, for recipes, the recipe's inputs)."""
    report = ModelReport(name=spec.name, ok=False, optional=spec.optional)
    if spec.optional and spec.source.kind == "package" \
            and read_sidecar(installed_dir(spec.name)) is None \
            and importlib.util.find_spec(spec.source.module) is None:
        report.ok, report.installed = True, False
        return report
    try:
        folder = model_dir(spec)
        report.location = str(folder)
        if spec.optional and spec.source.kind == "recipe" and read_sidecar(folder) is None:
            # built on first use by a site that loads it: only its inputs need to be sound
            report.problems = check_files(package_dir(spec), spec.source.inputs)
            report.ok = not report.problems
            return report
        files = expected_files(spec, folder)
        report.files = len(files)
        report.problems = check_files(folder, files)
        # A recipe build is checked against the package it was built from; a bundle's or
        # the firmware's prebuilt copy carries its own sidecar (keyed by those inputs),
        # and a runtime-only install does not have the build-time package at all.
        if spec.source.kind == "recipe" and folder == built_dir(spec):
            report.problems += check_files(package_dir(spec), spec.source.inputs)
    except ModelNotFoundError as exc:
        report.problems.append(str(exc))
    report.ok = not report.problems
    return report


def verify_all(manifest: Manifest | None = None) -> VerifyReport:
    """Check every model in the manifest; never raises for a bad file."""
    manifest = manifest or load_manifest()
    reports = [verify_model(spec) for spec in manifest]
    for r in reports:
        for p in r.problems:
            logger.warning("model %s: %s", r.name, p)
    return VerifyReport(ok=all(r.ok for r in reports), models=reports)


def resolve(model: str | ModelSpec, precision: str = "fp32", *, verify: bool = True) -> Path:
    """Path of a model's entry file for ``precision`` (the folder if it has no variants).

    With ``verify`` the file's sha256 is checked; a mismatch raises
    :class:`ModelHashError` naming the file.
    """
    spec = load_manifest().get(model) if isinstance(model, str) else model
    folder = model_dir(spec)
    if not folder.exists():
        raise ModelNotFoundError(f"model {spec.name!r}: {folder} does not exist")
    rel = spec.variant(precision) if spec.variants else ""
    files = expected_files(spec, folder)
    targets = {rel: files[rel]} if rel in files else files
    if verify:
        problems = check_files(folder, targets)
        if problems:
            raise ModelHashError(f"model {spec.name!r}: " + "; ".join(problems))
    return folder / rel if rel else folder


def file_sha256(model: str | ModelSpec, precision: str = "fp32") -> str:
    """sha256 of the entry file for ``precision`` as recorded (manifest or sidecar)."""
    spec = load_manifest().get(model) if isinstance(model, str) else model
    folder = model_dir(spec)
    return expected_files(spec, folder)[spec.variant(precision)]
