"""``models verify/install/build``: thin wrappers over ``appliance.runtime``.

The model runtime (hash verification, signed bundle install, TensorRT engine
builds) lives in ``appliance.runtime``. These wrappers look its functions up
by name so the CLI works in any build: where the runtime (or one function) is
missing, the command says "not available in this build" instead of failing
obscurely. The functions looked up, all optional:

``verify_models() -> list[dict]``
    one dict per model: ``name``, ``ok`` (bool), ``detail`` (and anything else)
``install_bundle(path, progress=None) -> dict``
    install a signed model bundle from ``path`` (offline)
``build_engines(progress=None) -> list[dict]``
    build TensorRT engines for this GPU; one dict per engine

``progress`` is called as ``progress(description, fraction)`` with 0..1.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from provisioning.errors import NotAvailable

RUNTIME_MODULE = "appliance.runtime"
Progress = Callable[[str, float], None]


def runtime_function(name: str) -> Callable[..., Any]:
    """``appliance.runtime.<name>``, or :class:`NotAvailable`."""
    try:
        module = importlib.import_module(RUNTIME_MODULE)
    except ImportError as exc:
        raise NotAvailable(
            "the model runtime is not available in this build",
            hint="this software version has no appliance.runtime; update the kiosk package",
        ) from exc
    func = getattr(module, name, None)
    if not callable(func):
        raise NotAvailable(f"'{name}' is not available in this build's model runtime")
    return func


def verify() -> list[dict[str, Any]]:
    """Every model's hash checked against the manifest."""
    results = runtime_function("verify_models")()
    return [dict(r) for r in results]


def install(bundle: Path, progress: Progress | None = None) -> dict[str, Any]:
    if not bundle.exists():
        raise NotAvailable(f"no model bundle at {bundle}", hint="give the bundle's path")
    return dict(runtime_function("install_bundle")(bundle, progress=progress))


def build(progress: Progress | None = None) -> list[dict[str, Any]]:
    return [dict(r) for r in runtime_function("build_engines")(progress=progress)]
