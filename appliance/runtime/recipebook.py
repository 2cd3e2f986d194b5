"""Recipe files and the builder interface: where a recipe lives, how it reads, what builds it.

Nothing here builds: :mod:`appliance.runtime.recipes` runs builders (one module per recipe
kind, such as :mod:`appliance.runtime.encoder_recipe`) and :mod:`appliance.runtime.store`
keys a built model by its recipe's text. Both import this module, so the store knows
nothing of the recipes that fill it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.runtime.errors import ManifestError
from appliance.runtime.manifest import REPO_ROOT, ModelSpec, tomllib

Progress = Callable[[str], None]
"""Says one line of a long build's progress."""
Builder = Callable[[ModelSpec, dict[str, Any], Path, Progress], dict[str, Any]]
"""Builds one recipe model: (spec, recipe, output folder, progress) -> validation figures."""


def recipes_dir() -> Path:
    """``models/recipes`` of the source tree (or the installed firmware)."""
    return REPO_ROOT / "models" / "recipes"


def recipe_path(name: str) -> Path:
    """The file of recipe ``name``; :class:`ManifestError` when there is none."""
    path = recipes_dir() / f"{name}.toml"
    if not path.exists():
        raise ManifestError(f"recipe {name!r} not found at {path}")
    return path


def load_recipe(name: str) -> dict[str, Any]:
    """Recipe ``name`` as a dict, with ``_dir`` the folder it was read from."""
    path = recipe_path(name)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["_dir"] = str(path.parent)
    return data
