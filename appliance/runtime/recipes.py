"""Run model recipes (``models/recipes/<name>.toml``) into the build cache.

A recipe model is built once per *input key* (recipe text + input hashes, see
:func:`appliance.runtime.store.recipe_key`) into ``<cache>/<model>/<key>/``. The
build happens in a temporary folder renamed into place at the end, under a file
lock, so a crash never leaves a half model and two processes never build twice.
The folder's ``MODEL.json`` records every output's sha256 and the validation
numbers; a folder whose files no longer match is rebuilt.

``python -m appliance.runtime.recipes`` (``make models``) builds every recipe
model of the manifest and, where TensorRT exists, its engines.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from appliance.runtime.errors import ManifestError, ModelNotFoundError
from appliance.runtime.manifest import ModelSpec, load_manifest
from appliance.runtime.recipebook import Builder, Progress, load_recipe
from appliance.runtime.store import (
    built_dir,
    check_files,
    package_dir,
    read_sidecar,
    recipe_key,
    sha256_file,
    shipped_dir,
    write_sidecar,
)

logger = logging.getLogger(__name__)

def _builders() -> dict[str, Builder]:
    from appliance.runtime.encoder_recipe import build_sentence_encoder
    from appliance.runtime.parts_recipe import build_concat_parts

    return {"sentence-encoder": build_sentence_encoder, "concat-parts": build_concat_parts}


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _intact(folder: Path) -> bool:
    side = read_sidecar(folder)
    return side is not None and not check_files(folder, side["files"])


def is_built(spec: ModelSpec) -> bool:
    """True when the build folder exists and every file matches its sidecar."""
    return _intact(built_dir(spec))


def ensure_built(spec: ModelSpec, progress: Progress | None = None, *, force: bool = False) -> Path:
    """Build ``spec`` with its recipe unless a good copy is cached; returns the folder."""
    say = progress or (lambda msg: logger.info("%s: %s", spec.name, msg))
    if spec.source.kind != "recipe":
        raise ManifestError(f"model {spec.name!r} has no recipe (source is {spec.source.kind})")
    folder = built_dir(spec)
    if not force and is_built(spec):
        return folder
    # The firmware package's prebuilt copy (same recipe key) serves a runtime-only install,
    # which has neither torch nor the recipe's input package.
    if not force and _intact(shipped_dir(spec)):
        return shipped_dir(spec)
    with _locked(folder.parent / ".lock"):
        if not force and is_built(spec):  # another process built it while we waited
            return folder
        if folder.exists():
            say(f"cached build at {folder} is stale or corrupt: rebuilding")
        problems = check_files(package_dir(spec), spec.source.inputs)
        if problems:
            raise ModelNotFoundError(f"recipe inputs of {spec.name!r}: " + "; ".join(problems))
        recipe = load_recipe(spec.source.recipe)
        builder = _builders().get(str(recipe.get("kind")))
        if builder is None:
            kind = recipe.get("kind")
            raise ManifestError(f"recipe {spec.source.recipe!r}: unknown kind {kind!r}")
        t0 = time.monotonic()
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=folder.parent))
        try:
            extra = builder(spec, recipe, tmp, say)
            files = {
                str(p.relative_to(tmp)): sha256_file(p)
                for p in sorted(tmp.rglob("*"))
                if p.is_file()
            }
            write_sidecar(
                tmp,
                {
                    "name": spec.name,
                    "version": spec.version,
                    "key": recipe_key(spec),
                    "recipe": spec.source.recipe,
                    "inputs": spec.source.inputs,
                    "files": files,
                    "built_s": round(time.monotonic() - t0, 1),
                    **extra,
                },
            )
            tmp.chmod(0o755)  # mkdtemp makes it private; the model is not a secret
            if folder.exists():
                shutil.rmtree(folder)
            tmp.rename(folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for old in folder.parent.iterdir():  # builds for older inputs are dead weight
            if old.is_dir() and old != folder and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
        say(f"built in {time.monotonic() - t0:.0f} s -> {folder}")
    return folder


def build_engines_for(spec: ModelSpec, say: Progress) -> dict[str, Any]:
    """``make models`` step: build (or find cached) engines for every GPU precision."""
    from appliance.runtime.backends import TENSORRT, probe
    from appliance.runtime.factory import create_session

    caps = probe()
    if not caps.native_tensorrt:
        why = caps.notes.get(TENSORRT) or caps.notes.get("gpu") or caps.notes.get("pycuda")
        say(f"TensorRT engines skipped ({why}); the device builds them at first start")
        return {"skipped": why}
    out: dict[str, Any] = {}
    for precision in ("fp16", "int8"):
        if precision not in spec.precisions:
            continue
        say(f"TensorRT {precision} engine (cached under the engine cache if built before)")
        sess = create_session(spec, precision, backend=TENSORRT)
        out[precision] = sess.describe()
        sess.close()
    return out


def _printer(name: str) -> Progress:
    def say(msg: str) -> None:
        print(f"   {name}: {msg}", file=sys.stderr, flush=True)

    return say


def main(argv: list[str] | None = None) -> int:
    """``make models``: build every recipe model, then TensorRT engines if possible."""
    parser = argparse.ArgumentParser(
        prog="python -m appliance.runtime.recipes",
        description="Build the recipe models of models/manifest.toml into the build cache "
        "(ONNX export, INT8 quantization, INT8-vs-FP32 validation) and, on a machine "
        "with TensorRT, their engines. Cached: a rerun with unchanged inputs is instant.",
    )
    parser.add_argument("models", nargs="*", help="model names (default: every recipe model)")
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        manifest = load_manifest()
        specs = [manifest.get(n) for n in args.models] or [
            s for s in manifest if s.source.kind == "recipe"
        ]
        summary: dict[str, Any] = {}
        for spec in specs:
            print(f">> {spec.name}: recipe {spec.source.recipe}", file=sys.stderr, flush=True)
            say = _printer(spec.name)
            folder = ensure_built(spec, say, force=args.force)
            side = read_sidecar(folder) or {}
            summary[spec.name] = {"path": str(folder), "validation": side.get("validation")}
            if spec.format == "onnx":  # TensorRT builds ONNX models only
                summary[spec.name]["engines"] = build_engines_for(spec, say)
    except (ManifestError, ModelNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for name, info in summary.items():
            print(f"{name}: {info['path']}  validation={info['validation']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
