"""Model runtime: TensorRT > ONNX Runtime (TensorRT/CUDA/CPU providers), cached engines.

Import-safe without ``tensorrt``/``pycuda``/``torch``: heavy modules load lazily.

- :func:`create_session` (``factory``): a :class:`Session` for a manifest model.
- :class:`Encoder` / :func:`ensure_encoder` (``encoder``): the sentence encoder.
- :func:`verify_all` (``store``), :func:`install_bundle` (``bundle``): supply chain.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Encoder",
    "create_session",
    "ensure_encoder",
    "health",
    "install_bundle",
    "load_manifest",
    "resolve",
    "verify_all",
]

_WHERE = {
    "create_session": "appliance.runtime.factory",
    "Encoder": "appliance.runtime.encoder",
    "ensure_encoder": "appliance.runtime.encoder",
    "load_manifest": "appliance.runtime.manifest",
    "resolve": "appliance.runtime.store",
    "verify_all": "appliance.runtime.store",
    "health": "appliance.runtime.health",
    "install_bundle": "appliance.runtime.bundle",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)
