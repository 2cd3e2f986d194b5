"""``make gpu-check``: every model on this machine's GPU, compared with the CPU path.

Run on any NVIDIA machine where ``tensorrt`` and ``pycuda`` install from the package
registries (a Jetson with JetPack, or x86 with ``tensorrt-cu12``). For each model it
builds the engines (timed), runs them, compares them with the CPU reference and
writes everything to ``build/gpu-check.json``:

- sentence encoder: cosine to CPU fp32 per backend/precision, and held-out intent
  accuracy; TensorRT INT8 is accepted only within 1 point of the CPU's accuracy;
- Silero VAD: speech/non-speech decisions on real speech and silence vs the CPU;
- Piper: log-spectral distance of the same sentence (noise scales 0: deterministic);
- Whisper: WER on the bench questions (espeak-ng) on CTranslate2 CUDA vs the CPU.

Each step has its own try/except (one failure never hides the others) and the whole
run stops starting new steps at ``--budget-s`` (default 420 s, inside the 8 minutes a
lent machine gives). Exit 0 when every step that could run passed, 1 when one
failed, 2 when the machine has no GPU backend at all.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from appliance.runtime.backends import ORT_CPU, ORT_CUDA, ORT_TENSORRT, TENSORRT, probe

logger = logging.getLogger(__name__)

GPU_RUNS = ((TENSORRT, "fp16"), (TENSORRT, "int8"), (ORT_TENSORRT, "fp16"), (ORT_CUDA, "fp32"))
INT8_ACCURACY_POINTS = 1.0
"""TensorRT INT8 encoder: held-out intent accuracy at most this many points under the CPU."""


def _gpu_runs(caps: Any, spec: Any) -> list[tuple[str, str]]:
    return [(b, p) for b, p in GPU_RUNS if caps.has(b) and (p in spec.precisions)]


def check_encoder(caps: Any) -> dict[str, Any]:
    """Cosine and held-out intent accuracy per GPU backend against the CPU."""
    from appliance.bench.asr_bias import QUESTIONS
    from appliance.bench.nlu import evaluate, load_eval
    from appliance.engines.nlu.encoder_nlu import EncoderNlu
    from appliance.runtime.encoder import Encoder, encoder_spec, ensure_encoder
    from appliance.runtime.encoder_recipe import compare
    from appliance.sitepack import bundled_sitepack_dir, load_sitepack

    ensure_encoder("fp32")
    pack_dir = bundled_sitepack_dir()
    pack = load_sitepack(pack_dir)
    rows = load_eval(pack_dir, "heldout")
    sentences = [r["text"] for r in rows[:64]] + list(QUESTIONS)
    cpu = Encoder("int8", backend=ORT_CPU)  # what the kiosk runs on the CPU
    reference = Encoder("fp32", backend=ORT_CPU).encode(sentences)
    cpu_acc = evaluate(pack, EncoderNlu.for_pack(pack, encoder=cpu), rows)["intent_accuracy_pct"]
    out: dict[str, Any] = {"cpu": {"backend": ORT_CPU, "precision": "int8",
                                   "intent_accuracy_pct": cpu_acc}, "gpu": []}
    for backend, precision in _gpu_runs(caps, encoder_spec()):
        t0 = time.monotonic()
        enc = Encoder(precision, backend=backend)
        load_s = time.monotonic() - t0
        got = enc.encode(sentences)
        t0 = time.monotonic()
        for _ in range(5):
            enc.encode(sentences[:8])
        batch_ms = (time.monotonic() - t0) / 5 * 1000
        acc = evaluate(pack, EncoderNlu.for_pack(pack, encoder=enc), rows)["intent_accuracy_pct"]
        row = {"backend": backend, "precision": precision, "load_s": round(load_s, 1),
               "batch8_ms": round(batch_ms, 2), **compare(reference, got),
               "intent_accuracy_pct": acc, "describe": enc.describe()}
        if backend == TENSORRT and precision == "int8":
            row["accepted"] = bool(cpu_acc - acc <= INT8_ACCURACY_POINTS)
        out["gpu"].append(row)
        enc.close()
    out["ok"] = all(r.get("accepted", True) and r["cosine_min"] > 0.9 for r in out["gpu"])
    return out


def _speech_and_silence() -> np.ndarray:
    """Two bench questions (espeak-ng) with silence around them, float32 16 kHz."""
    from appliance.bench.asr_bias import QUESTIONS, spoken

    parts = [np.zeros(8000, np.int16)]
    for q in QUESTIONS[:2]:
        parts += [spoken(q, "en-us"), np.zeros(12000, np.int16)]
    return np.concatenate(parts).astype(np.float32) / 32768.0


def _vad_probs(sess: Any, audio: np.ndarray) -> np.ndarray:
    h = np.zeros((1, 1, 128), np.float32)
    c = np.zeros((1, 1, 128), np.float32)
    context = np.zeros(64, np.float32)
    probs = []
    names = sess.output_names
    for i in range(0, len(audio) - 512, 512):
        x = np.concatenate([context, audio[i:i + 512]])[None, :]
        out = sess.run({"input": x, "h": h, "c": c})
        prob, h, c = (out[n] for n in names)
        context = x[0, -64:]
        probs.append(float(np.ravel(prob)[0]))
    return np.asarray(probs)


def check_vad(caps: Any) -> dict[str, Any]:
    """Speech decisions (p > 0.5) per 32 ms window: agreement with the CPU."""
    from appliance.runtime.factory import create_session
    from appliance.runtime.manifest import load_manifest

    spec = load_manifest().get("silero-vad")
    audio = _speech_and_silence()
    with create_session(spec, "fp32", backend=ORT_CPU, threads=1) as cpu:
        want = _vad_probs(cpu, audio)
    out: dict[str, Any] = {"windows": len(want), "speech_windows_cpu": int((want > 0.5).sum()),
                           "gpu": []}
    for backend, precision in _gpu_runs(caps, spec):
        t0 = time.monotonic()
        with create_session(spec, precision, backend=backend) as sess:
            load_s = time.monotonic() - t0
            t0 = time.monotonic()
            got = _vad_probs(sess, audio)
            per_window_ms = (time.monotonic() - t0) / len(got) * 1000
        agree = float(np.mean((got > 0.5) == (want > 0.5)))
        out["gpu"].append({"backend": backend, "precision": precision,
                           "load_s": round(load_s, 1), "window_ms": round(per_window_ms, 3),
                           "decision_agreement": round(agree, 4),
                           "max_prob_diff": round(float(np.max(np.abs(got - want))), 4)})
    out["ok"] = all(r["decision_agreement"] >= 0.98 for r in out["gpu"])
    return out


def _log_spectrum(audio: np.ndarray) -> np.ndarray:
    frames = np.lib.stride_tricks.sliding_window_view(audio, 1024)[::256]
    spec = np.abs(np.fft.rfft(frames * np.hanning(1024), axis=1))
    return np.log10(spec + 1e-6)


def check_tts(caps: Any) -> dict[str, Any]:
    """Piper's model on each GPU backend vs the CPU: log-spectral distance in dB."""
    from piper import PiperVoice

    from appliance.engines.tts.piper import default_voice
    from appliance.runtime.factory import create_session
    from appliance.runtime.manifest import load_manifest

    spec = load_manifest().get("piper-en-us-joe-medium")
    voice = PiperVoice.load(default_voice())  # phonemizer and config only
    text = "The next train to Northgate leaves from platform two in four minutes."
    ids = [i for phonemes in voice.phonemize(text) for i in voice.phonemes_to_ids(phonemes)]
    feeds: dict[str, np.ndarray] = {"input": np.asarray([ids], np.int64),
             "input_lengths": np.asarray([len(ids)], np.int64),
             "scales": np.asarray([0.0, 1.0, 0.0], np.float32)}  # no noise: deterministic
    with create_session(spec, "fp32", backend=ORT_CPU) as cpu:
        want = np.ravel(cpu.run(feeds)["output"])
    out: dict[str, Any] = {"phonemes": len(ids), "samples_cpu": len(want), "gpu": []}
    for backend, precision in _gpu_runs(caps, spec):
        t0 = time.monotonic()
        with create_session(spec, precision, backend=backend) as sess:
            load_s = time.monotonic() - t0
            t0 = time.monotonic()
            got = np.ravel(sess.run(feeds)["output"])
            synth_ms = (time.monotonic() - t0) * 1000
        n = min(len(got), len(want))
        lsd = float(np.mean(np.sqrt(np.mean(
            (20 * (_log_spectrum(got[:n]) - _log_spectrum(want[:n]))) ** 2, axis=1))))
        out["gpu"].append({"backend": backend, "precision": precision,
                           "load_s": round(load_s, 1), "synth_ms": round(synth_ms, 1),
                           "samples": len(got), "log_spectral_distance_db": round(lsd, 2)})
    out["ok"] = all(r["log_spectral_distance_db"] < 3.0 and r["samples"] == len(want)
                    for r in out["gpu"])
    return out


def check_asr(caps: Any) -> dict[str, Any]:
    """WER on the bench questions: CTranslate2 on CUDA (float16) vs the CPU (int8)."""
    from appliance.bench.asr_bias import QUESTIONS, score
    from appliance.engines.asr.whisper import WhisperAsr
    from appliance.runtime.plan import ct2_cuda_devices

    count, why = ct2_cuda_devices()
    questions = QUESTIONS[:10]
    cpu = score(WhisperAsr(), "en-us", questions, [])
    out: dict[str, Any] = {"cpu": cpu}
    if not count:
        out.update(gpu=None, skipped=why, ok=True)
        return out
    t0 = time.monotonic()
    gpu_engine = WhisperAsr(device="cuda", compute_type="float16")
    load_s = time.monotonic() - t0
    gpu = score(gpu_engine, "en-us", questions, [])
    out.update(gpu={**gpu, "load_s": round(load_s, 1)},
               ok=bool(gpu["wer"] <= cpu["wer"] + 0.02))
    return out


CHECKS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "encoder": check_encoder, "vad": check_vad, "tts": check_tts, "asr": check_asr,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Every model on the GPU vs the CPU path.")
    parser.add_argument("--out", type=Path, default=Path("build/gpu-check.json"))
    parser.add_argument("--budget-s", type=float, default=420.0)
    parser.add_argument("--only", nargs="*", choices=sorted(CHECKS), default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    caps = probe()
    doc: dict[str, Any] = {"machine": caps.to_dict() | {"gpu_variant": caps.gpu_variant},
                           "checks": {}}
    gpu_backends = [b for b in (TENSORRT, ORT_TENSORRT, ORT_CUDA) if caps.has(b)]
    doc["gpu_backends"] = gpu_backends
    status = 0
    if not gpu_backends:
        doc["skipped"] = "no GPU backend here: " + "; ".join(f"{k}: {v}"
                                                             for k, v in caps.notes.items())
        status = 2
    else:
        for name in args.only or list(CHECKS):
            if time.monotonic() - started > args.budget_s:
                doc["checks"][name] = {"ok": False, "skipped": "time budget spent"}
                status = 1
                continue
            t0 = time.monotonic()
            try:
                result = CHECKS[name](caps)
            except Exception as exc:  # one broken model never hides the others' results
                logger.exception("gpu-check %s failed", name)
                result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            result["seconds"] = round(time.monotonic() - t0, 1)
            doc["checks"][name] = result
            status = status or (0 if result.get("ok") else 1)
    doc["seconds"] = round(time.monotonic() - started, 1)
    doc["ok"] = status == 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print(json.dumps({k: {"ok": v.get("ok")} for k, v in doc["checks"].items()}
                     | {"ok": doc["ok"], "out": str(args.out)}))
    return status


if __name__ == "__main__":
    sys.exit(main())
