"""The model manifest: every model the kiosk uses, where it comes from, and its hashes.

``models/manifest.toml`` (shipped with the firmware) lists each model under
``[models.<name>]``: version, format, licence, the precisions it may run at, its
source (a file tree inside a registry package, or a recipe that builds it from
one), the sha256 of every file, and the shapes of its inputs and outputs
(dynamic dimensions carry ``min``/``opt``/``max`` for TensorRT optimization
profiles). A signed model bundle installed on a device adds an overlay
(``<state>/models/manifest.json``) whose entries replace same-named ones.

This module only parses; :mod:`appliance.runtime.store` finds and verifies files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.runtime.errors import ManifestError, ModelNotFoundError
from appliance.settings import state_dir

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - JetPack 6 ships Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

PRECISIONS = ("fp32", "fp16", "int8")
REPO_ROOT = Path(__file__).resolve().parents[2]
"""The source checkout (holds ``models/``); meaningless in a wheel install."""

Dim = int | str


@dataclass(frozen=True)
class TensorSpec:
    """One input or output: name, dtype and shape (``str`` dims are dynamic)."""

    name: str
    dtype: str
    shape: tuple[Dim, ...]
    min: tuple[int, ...] | None = None
    """Smallest concrete shape (TensorRT optimization profile), inputs only."""
    opt: tuple[int, ...] | None = None
    """Shape TensorRT tunes for."""
    max: tuple[int, ...] | None = None
    """Largest concrete shape the engine accepts."""

    @property
    def dynamic(self) -> bool:
        return any(isinstance(d, str) for d in self.shape)


@dataclass(frozen=True)
class SourceSpec:
    """Where a model comes from: ``package`` (files inside a wheel) or ``recipe``."""

    kind: str
    package: str
    """Registry (PyPI) distribution name, e.g. ``faster-whisper``."""
    module: str
    """Import name of the package that holds the files."""
    path: str
    """Directory inside the package (``assets``, ``model``)."""
    recipe: str = ""
    """Recipe name (``models/recipes/<recipe>.toml``) for ``kind = "recipe"``."""
    inputs: dict[str, str] = field(default_factory=dict)
    """Recipe only: files the recipe reads from the package -> sha256."""


@dataclass(frozen=True)
class ModelSpec:
    """One manifest entry."""

    name: str
    version: str
    format: str
    licence: str
    source: SourceSpec
    precisions: tuple[str, ...] = ("fp32",)
    files: dict[str, str] = field(default_factory=dict)
    """Package models: relative path -> sha256 (recipe outputs hash in their sidecar)."""
    variants: dict[str, str] = field(default_factory=dict)
    """Precision -> entry file; ``fp32`` is the one TensorRT builds from."""
    inputs: tuple[TensorSpec, ...] = ()
    outputs: tuple[TensorSpec, ...] = ()
    description: str = ""
    calibration: str = ""
    """Recipe-declared calibration set for TensorRT INT8 (path under ``models/``)."""
    optional: bool = False
    """Not every install has it (a test model, a site's own): absent is not a failure."""

    def variant(self, precision: str) -> str:
        """Entry file for ``precision``, else the fp32 one."""
        return self.variants.get(precision) or self.variants["fp32"]


def _tensors(raw: Any, where: str) -> tuple[TensorSpec, ...]:
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: expected a table of tensors")
    out = []
    for name, t in raw.items():
        try:
            out.append(
                TensorSpec(
                    name=name,
                    dtype=str(t["dtype"]),
                    shape=tuple(t["shape"]),
                    min=tuple(t["min"]) if "min" in t else None,
                    opt=tuple(t["opt"]) if "opt" in t else None,
                    max=tuple(t["max"]) if "max" in t else None,
                )
            )
        except (KeyError, TypeError) as exc:
            raise ManifestError(f"{where}.{name}: needs dtype and shape ({exc})") from exc
    return tuple(out)


def parse_model(name: str, raw: dict[str, Any]) -> ModelSpec:
    """Validate one ``[models.<name>]`` table."""
    where = f"models.{name}"
    try:
        src = raw["source"]
        source = SourceSpec(
            kind=str(src["kind"]),
            package=str(src["package"]),
            module=str(src["module"]),
            path=str(src.get("path", "")),
            recipe=str(src.get("recipe", "")),
            inputs=dict(src.get("inputs", {})),
        )
        precisions = tuple(raw.get("precisions", ["fp32"]))
        spec = ModelSpec(
            name=name,
            version=str(raw["version"]),
            format=str(raw["format"]),
            licence=str(raw["licence"]),
            source=source,
            precisions=precisions,
            files=dict(raw.get("files", {})),
            variants=dict(raw.get("variants", {})),
            inputs=_tensors(raw.get("inputs", {}), f"{where}.inputs"),
            outputs=_tensors(raw.get("outputs", {}), f"{where}.outputs"),
            description=str(raw.get("description", "")),
            calibration=str(raw.get("calibration", "")),
            optional=bool(raw.get("optional", False)),
        )
    except KeyError as exc:
        raise ManifestError(f"{where}: missing key {exc}") from exc
    if source.kind not in ("package", "recipe"):
        raise ManifestError(f"{where}.source.kind: {source.kind!r} is not package or recipe")
    if source.kind == "recipe" and not source.recipe:
        raise ManifestError(f"{where}.source.recipe: a recipe model names its recipe")
    bad = [p for p in precisions if p not in PRECISIONS]
    if bad:
        raise ManifestError(f"{where}.precisions: unknown {bad}, use {list(PRECISIONS)}")
    if spec.format == "onnx" and "fp32" not in spec.variants:
        raise ManifestError(f"{where}.variants: an onnx model names its fp32 file")
    return spec


class Manifest:
    """Parsed manifest: ``manifest["encoder"]`` or ``manifest.get(name)``."""

    def __init__(self, models: dict[str, ModelSpec], sources: list[Path]) -> None:
        self.models = models
        self.sources = sources

    def __getitem__(self, name: str) -> ModelSpec:
        return self.get(name)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.models.values())

    def __len__(self) -> int:
        return len(self.models)

    def get(self, name: str) -> ModelSpec:
        try:
            return self.models[name]
        except KeyError:
            known = ", ".join(sorted(self.models)) or "none"
            msg = f"model {name!r} is not in the manifest (known: {known})"
            raise ModelNotFoundError(msg) from None


def parse_file(path: Path) -> dict[str, ModelSpec]:
    """Read one manifest file into specs, raising :class:`ManifestError`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read manifest: {exc}") from exc
    models = data.get("models", {})
    if not isinstance(models, dict):
        raise ManifestError(f"{path}: [models] must be a table")
    return {name: parse_model(name, raw) for name, raw in models.items()}


def default_manifest_path() -> Path:
    """``KIOSK_MODEL_MANIFEST`` or the firmware's ``models/manifest.toml``."""
    env = os.environ.get("KIOSK_MODEL_MANIFEST")
    return Path(env) if env else REPO_ROOT / "models" / "manifest.toml"


def overlay_path() -> Path:
    """Where installed model bundles keep their manifest entries (JSON)."""
    return state_dir() / "models" / "manifest.json"


def load_manifest(path: Path | None = None, *, overlay: bool = True) -> Manifest:
    """The firmware manifest plus, if present, the overlay of installed bundles."""
    base = path or default_manifest_path()
    models = parse_file(base)
    sources = [base]
    extra = overlay_path()
    if overlay and extra.exists():
        try:
            raw = json.loads(extra.read_text(encoding="utf-8")).get("models", {})
        except (OSError, ValueError) as exc:
            raise ManifestError(f"{extra}: unreadable overlay: {exc}") from exc
        models.update({name: parse_model(name, spec) for name, spec in raw.items()})
        sources.append(extra)
    return Manifest(models, sources)
