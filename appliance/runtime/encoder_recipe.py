"""Recipe ``sentence-encoder``: safetensors -> ONNX FP32 -> INT8, validated.

Runs at build time only (``make models`` or the first :func:`ensure_encoder`):
it needs ``torch`` (CPU) and ``transformers``, which the device never loads. The
exported graph takes ``input_ids``/``attention_mask``/``token_type_ids``
(int64, dynamic ``batch`` x ``sequence``) and returns ``embedding`` (float32,
``batch`` x 384): mean pooling over the attention mask then L2 normalization,
exactly what sentence-transformers computes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from appliance.runtime.errors import EngineLoadError
from appliance.runtime.manifest import ModelSpec
from appliance.runtime.recipebook import Progress
from appliance.runtime.store import package_dir

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def _export_fp32(src: Path, out: Path, opset: int) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise EngineLoadError(
            "building the encoder needs torch (CPU) and transformers at build time: "
            "pip install torch==2.13.0 transformers"
        ) from exc

    model = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    dummy = tuple(torch.ones(2, 8, dtype=torch.long) for _ in INPUT_NAMES)
    axes = {n: {0: "batch", 1: "sequence"} for n in INPUT_NAMES}
    axes["embedding"] = {0: "batch"}
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer chatter about python booleans
        torch.onnx.export(
            Pooled(model),
            dummy,
            str(out),
            input_names=list(INPUT_NAMES),
            output_names=["embedding"],
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,
        )


@contextlib.contextmanager
def _quiet_quantizer() -> Iterator[None]:
    """onnxruntime's quantizer warns on the root logger about pre-processing it does not
    need here; the recipe validates the result itself, so keep the console readable."""
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _quantize_int8(fp32: Path, out: Path, opts: dict[str, Any]) -> int:
    """Dynamic INT8 quantization as the recipe's ``[quantize]`` says; returns nodes kept fp32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    op_types = list(opts.get("op_types", ["MatMul"]))
    pattern = re.compile(str(opts["exclude"])) if opts.get("exclude") else None
    graph = onnx.load(str(fp32), load_external_data=False).graph
    exclude = [n.name for n in graph.node if pattern and pattern.search(n.name)]
    with _quiet_quantizer():
        quantize_dynamic(
            str(fp32),
            str(out),
            op_types_to_quantize=op_types,
            per_channel=bool(opts.get("per_channel", True)),
            weight_type=QuantType.QInt8,
            nodes_to_exclude=exclude,
        )
    return len(exclude)


def _quantize_qdq(
    fp32: Path, out: Path, opts: dict[str, Any], tokenizer: Path, sentences: list[str]
) -> None:
    """Static INT8 with Q/DQ nodes (symmetric, as TensorRT wants), calibrated on ``sentences``."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    from appliance.runtime.tokenizer import load_tokenizer, tokenize

    tok = load_tokenizer(tokenizer)
    batches = [tokenize(tok, sentences[i : i + 8]) for i in range(0, len(sentences), 8)]

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._it = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._it, None)

    pattern = re.compile(str(opts["exclude"])) if opts.get("exclude") else None
    graph = onnx.load(str(fp32), load_external_data=False).graph
    with _quiet_quantizer():
        quantize_static(
            str(fp32),
            str(out),
            Reader(),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=list(opts.get("op_types", ["MatMul"])),
            per_channel=bool(opts.get("per_channel", True)),
            activation_type=QuantType.QInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=[n.name for n in graph.node if pattern and pattern.search(n.name)],
            extra_options={"ActivationSymmetric": True, "WeightSymmetric": True},
        )


def _check(metrics: dict[str, float], limits: dict[str, Any], what: str) -> None:
    if metrics["cosine_min"] < float(limits.get("min_cosine", 0.0)) or metrics[
        "cosine_mean"
    ] < float(limits.get("mean_cosine", 0.0)):
        raise EngineLoadError(f"{what} disagrees with FP32 beyond limits {limits}: {metrics}")


def compare(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Cosine similarity (per row: mean/min) and max abs error between two embeddings."""
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
    return {
        "cosine_mean": round(float(cos.mean()), 5),
        "cosine_min": round(float(cos.min()), 5),
        "max_abs_error": round(float(np.abs(a - b).max()), 5),
    }


def read_sentences(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in lines if s.strip() and not s.startswith("#")]


def _embed(onnx_path: Path, tokenizer_path: Path, sentences: list[str]) -> np.ndarray:
    import onnxruntime as ort

    from appliance.runtime.tokenizer import load_tokenizer, tokenize

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    tok = load_tokenizer(tokenizer_path)
    out = []
    for i in range(0, len(sentences), 16):
        feeds = tokenize(tok, sentences[i : i + 16])
        out.append(sess.run(["embedding"], feeds)[0])
    return np.concatenate(out)


def build_sentence_encoder(
    spec: ModelSpec, recipe: dict[str, Any], out: Path, say: Progress
) -> dict[str, Any]:
    """Write the encoder files into ``out``; returns extra sidecar data (validation)."""
    src = package_dir(spec)
    fp32, int8 = out / spec.variant("fp32"), out / spec.variant("int8")
    say(f"[1/5] exporting {src.name} to ONNX (torch CPU, opset {recipe.get('opset', 17)})")
    _export_fp32(src, fp32, int(recipe.get("opset", 17)))
    shutil.copyfile(src / "tokenizer.json", out / "tokenizer.json")
    qopts = dict(recipe.get("quantize", {}))
    say(f"[2/5] quantizing to INT8 (onnxruntime dynamic, {fp32.stat().st_size >> 20} MB fp32)")
    kept = _quantize_int8(fp32, int8, qopts)
    calib = Path(recipe["_dir"]) / str(recipe["calibration"])
    shutil.copyfile(calib, out / "calibration.txt")
    sentences = read_sentences(calib)
    say(f"[3/5] static INT8 (Q/DQ, for TensorRT) calibrated on {len(sentences)} sentences")
    qdq = out / spec.variant("int8_qdq")
    _quantize_qdq(fp32, qdq, qopts, out / "tokenizer.json", sentences)
    say(f"[4/5] validating INT8 variants against FP32 on {len(sentences)} sentences")
    ref = _embed(fp32, out / "tokenizer.json", sentences)
    validation: dict[str, Any] = {"sentences": len(sentences)}
    for step, (label, path, limits_key) in enumerate(
        (("int8_vs_fp32", int8, "validate"), ("int8_qdq_vs_fp32", qdq, "validate_qdq")), 1
    ):
        metrics = compare(ref, _embed(path, out / "tokenizer.json", sentences))
        say(
            f"[5/5] ({step}/2) {label}: cosine mean {metrics['cosine_mean']:.4f} "
            f"min {metrics['cosine_min']:.4f}, max abs error {metrics['max_abs_error']:.4f}"
        )
        _check(metrics, recipe.get(limits_key, {}), label)
        validation[label] = metrics
    return {"validation": validation, "int8_fp32_nodes": kept}
