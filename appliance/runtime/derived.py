"""Derived models: a manifest model with a fixed graph edit, saved as a file of its own.

Some engines need a small change to the graph the registry package ships: Piper's
phoneme alignments are a tensor (the ``Ceil`` of the duration predictor) that the voice
file does not list as an output. Piper itself patches the model in memory and hands ONNX
Runtime bytes; the runtime cannot do that, because TensorRT builds from a file and the
engine cache is keyed by that file's sha256. So the edit is applied once and saved:

    <engine cache>/derived/<model>/<source sha256[:16]>-<edit name>.onnx  (+ .json sidecar)

The source is the manifest model's verified file; the derived file is keyed by the
source's hash and the edit's name (bump the name when the edit changes), carries a
sidecar with its own sha256, and is rebuilt when that no longer matches. It is a cache
like the engines next to it: deleting it costs one rebuild (about a second), never a
wrong model.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.runtime.manifest import ModelSpec
from appliance.runtime.store import file_sha256, resolve, sha256_file

logger = logging.getLogger(__name__)

GraphEdit = Callable[[Any], None]
"""Edits an ``onnx.ModelProto`` in place."""


@dataclass(frozen=True)
class Derivation:
    """A named, deterministic edit of a model's graph."""

    name: str
    """Part of the derived file's name: change it whenever ``edit`` changes."""
    edit: GraphEdit

    def source(self, spec: ModelSpec, variant: str, root: Path) -> tuple[Path, str]:
        """(path, sha256) of ``spec``'s ``variant`` with the edit applied, made if needed."""
        src = resolve(spec, variant)  # hash-checked against the manifest
        src_sha = file_sha256(spec, variant)
        folder = root / "derived" / spec.name
        path = folder / f"{src_sha[:16]}-{self.name}.onnx"
        found = _checked(path)
        if found is not None:
            return path, found
        try:
            return path, self._write(src, path)
        except OSError as exc:  # a read-only state dir (a dry run): keep it for this process
            scratch = Path(tempfile.mkdtemp(prefix="kiosk-derived-")) / path.name
            logger.warning("cannot save derived model %s (%s); using %s", path, exc, scratch)
            return scratch, self._write(src, scratch)

    def _write(self, src: Path, path: Path) -> str:
        import onnx

        model = onnx.load(str(src))
        self.edit(model)
        data = model.SerializeToString()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        digest = sha256_file(path)
        _sidecar(path).write_text(json.dumps({"source": src.name, "edit": self.name,
                                              "sha256": digest}))
        logger.info("derived model %s written (%s of %s)", path, self.name, src.name)
        return digest


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def _checked(path: Path) -> str | None:
    """The file's sha256 when it exists and matches its sidecar, else None (rebuild)."""
    try:
        recorded = json.loads(_sidecar(path).read_text())["sha256"]
        digest = sha256_file(path)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if digest != recorded:
        logger.warning("derived model %s does not match its sidecar: rebuilding", path)
        return None
    return digest
