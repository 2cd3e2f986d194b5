"""Tiny real models and specs for tests (of this runtime and of code that uses it).

:func:`tiny_onnx` writes a genuine two-node ONNX model (``y = relu(x) + 1``,
dynamic batch) so tests exercise real ONNX Runtime sessions in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

from appliance.runtime.manifest import ModelSpec, SourceSpec, TensorSpec

TINY_FEATURES = 4


def tiny_onnx(path: Path) -> Path:
    """Write ``y = relu(x) + 1`` with ``x: float32[batch, 4]``; returns ``path``."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    one = numpy_helper.from_array(np.ones((TINY_FEATURES,), dtype=np.float32), "one")
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Add", ["r", "one"], ["y"])],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", TINY_FEATURES])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", TINY_FEATURES])],
        initializer=[one],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def tiny_spec(
    name: str = "tiny",
    *,
    module: str = "kiosk_tiny_models",
    files: dict[str, str] | None = None,
    variants: dict[str, str] | None = None,
    profiled: bool = True,
    precisions: tuple[str, ...] = ("fp32", "fp16", "int8"),
) -> ModelSpec:
    """A package-sourced spec for the tiny model (``module`` must be importable)."""
    x = TensorSpec(
        "x", "float32", ("batch", TINY_FEATURES),
        min=(1, TINY_FEATURES) if profiled else None,
        opt=(1, TINY_FEATURES) if profiled else None,
        max=(8, TINY_FEATURES) if profiled else None,
    )
    return ModelSpec(
        name=name,
        version="1",
        format="onnx",
        licence="CC0-1.0",
        source=SourceSpec(kind="package", package=module.replace("_", "-"), module=module,
                          path="data"),
        precisions=precisions,
        files=files or {},
        variants=variants or {"fp32": "tiny.onnx"},
        inputs=(x,),
        outputs=(TensorSpec("y", "float32", ("batch", TINY_FEATURES)),),
    )
