"""On-disk cache of TensorRT engines, never trusted blindly.

A TensorRT engine only runs on the GPU model and TensorRT version that built it,
and only matches the ONNX file it came from. Each entry is keyed by
*model sha256 + precision + GPU variant + TensorRT version + optimization
profiles + builder flags* and lives under
``<state>/engines/<model>/`` as ``<model>-<precision>-<digest>.engine`` next to a
``.json`` sidecar holding the key and the engine's own sha256. On lookup the
sidecar must exist, match the key, and match the engine's bytes; anything else
(truncated write, bit rot, a file copied from another device) is deleted and
rebuilt. ONNX Runtime's TensorRT provider gets its own keyed folder for its
engine and timing caches, wiped when the provider cannot load it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from appliance.settings import state_dir
from appliance.system.fileio import atomic_write

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineKey:
    """Everything an engine depends on.

    ``gpu`` is the exact variant, not the marketing name: every Orin reports "Orin" to
    CUDA, but a Nano (8 or 4 SMs) and an AGX (16 SMs) get different tactics, so the
    probe adds compute capability, SM count and the board model. ``profiles`` and
    ``flags`` make a manifest shape change or a builder-option change a rebuild.
    """

    model_sha256: str
    precision: str
    gpu: str
    trt_version: str
    profiles: str = ""
    """Optimization profiles, ``name:min/opt/max`` per dynamic input (:func:`profile_text`)."""
    flags: str = ""
    """Builder flags and limits, e.g. ``fp16,int8,workspace=1073741824`` (:func:`flag_text`)."""

    def digest(self) -> str:
        raw = "|".join((self.model_sha256, self.precision, self.gpu, self.trt_version,
                        self.profiles, self.flags))
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _sha256_bytes_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class EngineCache:
    """Keyed, self-checking store of serialized engines."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or (state_dir() / "engines")

    def engine_path(self, name: str, key: EngineKey) -> Path:
        return self.root / name / f"{name}-{key.precision}-{key.digest()}.engine"

    @staticmethod
    def sidecar(engine: Path) -> Path:
        return engine.with_suffix(".json")

    def lookup(self, name: str, key: EngineKey) -> Path | None:
        """The cached engine for ``key`` if present and intact; a bad entry is removed."""
        path = self.engine_path(name, key)
        if not path.exists() and not self.sidecar(path).exists():
            return None
        problem = self._check(path, key)
        if problem is None:
            return path
        logger.warning("engine cache entry %s is %s: removing it for a rebuild", path, problem)
        self.remove(path)
        return None

    def _check(self, path: Path, key: EngineKey) -> str | None:
        try:
            meta = json.loads(self.sidecar(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "missing its metadata"
        if not isinstance(meta, dict) or meta.get("key") != key.to_dict():
            return "stale (built for another model, GPU or TensorRT)"
        if not path.exists():
            return "missing its engine file"
        if path.stat().st_size != meta.get("size") or _sha256_bytes_of(path) != meta.get("sha256"):
            return "corrupt (sha256 mismatch)"
        return None

    def store(self, name: str, key: EngineKey, data: bytes, **extra: Any) -> Path:
        """Write an engine and then its sidecar (so a crash leaves no trusted entry)."""
        path = self.engine_path(name, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.remove(path)
        atomic_write(path, data)
        meta = {
            "key": key.to_dict(),
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **extra,
        }
        atomic_write(self.sidecar(path), json.dumps(meta, indent=2).encode())
        return path

    def get_or_build(
        self, name: str, key: EngineKey, build: Callable[[], bytes], **extra: Any
    ) -> tuple[Path, bool]:
        """The cached engine, or ``build()`` stored; returns (path, was_built)."""
        hit = self.lookup(name, key)
        if hit is not None:
            return hit, False
        t0 = time.monotonic()
        data = build()
        path = self.store(name, key, data, build_s=round(time.monotonic() - t0, 1), **extra)
        logger.info("built engine %s in %.1f s", path, time.monotonic() - t0)
        return path, True

    def remove(self, engine: Path) -> None:
        for p in (engine, self.sidecar(engine)):
            p.unlink(missing_ok=True)

    def ort_dir(self, name: str, key: EngineKey) -> Path:
        """Folder for ONNX Runtime's TensorRT engine + timing caches of one key."""
        folder = self.root / "ort-trt" / f"{name}-{key.precision}-{key.digest()}"
        marker = folder / "key.json"
        if folder.exists():
            try:
                ok = json.loads(marker.read_text(encoding="utf-8")) == key.to_dict()
            except (OSError, ValueError):
                ok = False
            if not ok:
                logger.warning("onnxruntime TensorRT cache %s has no valid key: wiping", folder)
                shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        if not marker.exists():
            atomic_write(marker, json.dumps(key.to_dict()).encode())
        return folder

    def wipe_ort_dir(self, folder: Path) -> None:
        """Drop an ONNX Runtime cache folder the provider could not use."""
        shutil.rmtree(folder, ignore_errors=True)

    def timing_cache_path(self, gpu: str, trt_version: str) -> Path:
        """Shared TensorRT timing cache of this GPU + TensorRT version."""
        digest = hashlib.sha256(f"{gpu}|{trt_version}".encode()).hexdigest()[:12]
        return self.root / f"timing-{digest}.cache"

    def entries(self) -> list[dict[str, Any]]:
        """Every native engine in the cache with its sidecar (for health and tools)."""
        out = []
        for engine in sorted(self.root.glob("*/*.engine")):
            try:
                meta = json.loads(self.sidecar(engine).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
            out.append({"path": str(engine), **meta})
        return out
