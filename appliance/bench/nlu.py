"""NLU + QA quality and speed on the held-out evaluation set (``make bench`` merges this).

For each engine (the MiniLM encoder at FP32 and INT8, and the keyword fallback):
intent accuracy, out-of-scope precision/recall/F1, emotion accuracy, slot accuracy,
QA top-1 (the answer's source is the expected one) and latency p50/p95 of the NLU
alone and of NLU + QA. The eval set (``eval/heldout.jsonl`` of the pack) is never
used for training.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from appliance.behavior.dialog import Dialog
from appliance.engines.nlu.base import NluEngine
from appliance.engines.qa.site_qa import SiteQa
from appliance.sitepack import SitePack, bundled_sitepack_dir, load_sitepack

logger = logging.getLogger(__name__)


def load_eval(pack_dir: Path, split: str = "heldout") -> list[dict[str, Any]]:
    """The pack's ``eval/<split>.jsonl``: ``heldout`` (the test set) or ``dev`` (for tuning)."""
    path = pack_dir / "eval" / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def evaluate(pack: SitePack, nlu: NluEngine, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Quality and latency of one NLU engine (+ the site QA) on ``rows``."""
    encoder = getattr(nlu, "encoder", None)
    dialog = Dialog(pack, nlu, SiteQa(pack, encoder))
    for row in rows[:5]:  # warm-up: caches, lazy allocations
        nlu.understand(row["text"] + " warm up")
    intent_ok = emo_ok = emo_n = slot_ok = slot_n = qa_ok = qa_n = 0
    tp = fp = fn = 0
    nlu_ms: list[float] = []
    turn_ms: list[float] = []
    errors: list[str] = []
    for row in rows:
        text = row["text"]
        if encoder is not None and hasattr(encoder, "clear"):
            encoder.clear()
        t0 = time.perf_counter()
        result = nlu.understand(text)
        nlu_ms.append((time.perf_counter() - t0) * 1000)
        dialog.reset()
        if encoder is not None and hasattr(encoder, "clear"):
            encoder.clear()  # the turn pays for its own encode, as in the kiosk
        t0 = time.perf_counter()
        turn = dialog.turn(text)
        turn_ms.append((time.perf_counter() - t0) * 1000)
        gold = row["intent"]
        intent_ok += result.intent == gold
        if result.intent != gold and len(errors) < 25:
            errors.append(f"{text!r}: {result.intent} (want {gold})")
        is_oos, said_oos = gold == "out_of_scope", result.intent == "out_of_scope"
        tp += is_oos and said_oos
        fp += said_oos and not is_oos
        fn += is_oos and not said_oos
        if "emotion" in row:
            emo_n += 1
            emo_ok += result.emotion.label == row["emotion"]
        if "slots" in row:
            slot_n += 1
            slot_ok += all(turn.nlu.slots.get(k) == v for k, v in row["slots"].items())
        if "source" in row:
            qa_n += 1
            qa_ok += turn.answer.source == row["source"]
    prec = tp / max(1, tp + fp)
    rec = tp / max(1, tp + fn)
    return {
        "intent_accuracy_pct": round(100 * intent_ok / len(rows), 2),
        "oos": {"precision": round(prec, 3), "recall": round(rec, 3),
                "f1": round(2 * prec * rec / max(1e-9, prec + rec), 3)},
        "emotion_accuracy_pct": round(100 * emo_ok / max(1, emo_n), 2),
        "slot_accuracy_pct": round(100 * slot_ok / max(1, slot_n), 2),
        "qa_top1_pct": round(100 * qa_ok / max(1, qa_n), 2),
        "nlu_latency_ms": _pcts(nlu_ms),
        "nlu_qa_latency_ms": _pcts(turn_ms),
        "lines": len(rows), "emotion_lines": emo_n, "qa_lines": qa_n,
        "errors": errors,
    }


def _pcts(ms: list[float]) -> dict[str, float]:
    arr = np.array(ms)
    return {"p50": round(float(np.percentile(arr, 50)), 2),
            "p95": round(float(np.percentile(arr, 95)), 2)}


def run(quick: bool = False, split: str = "heldout") -> dict[str, Any]:
    """Evaluate every engine available; ``quick`` uses every 4th eval line.

    ``split="dev"`` evaluates the pack's development set instead: tune on that, and
    look at the held-out set only to report.
    """
    from appliance.engines.nlu.encoder_nlu import EncoderNlu
    from appliance.engines.nlu.keyword import KeywordNlu
    from appliance.engines.nlu.sentence import load_encoder
    from appliance.errors import KioskError

    pack_dir = bundled_sitepack_dir()
    pack = load_sitepack(pack_dir)
    rows = load_eval(pack_dir, split)
    if quick:
        rows = rows[::4]
    out: dict[str, Any] = {"eval_lines": len(rows), "split": split, "site": pack.manifest.name}
    for precision in ("fp32", "int8"):
        try:
            nlu = EncoderNlu.for_pack(pack, precision, encoder=load_encoder(precision))
        except KioskError as exc:
            out[f"encoder_{precision}"] = {"skipped": str(exc)}
            continue
        out[f"encoder_{precision}"] = evaluate(pack, nlu, rows)
    out["keyword"] = evaluate(pack, KeywordNlu(pack), rows)
    fp32, int8 = out.get("encoder_fp32", {}), out.get("encoder_int8", {})
    if "intent_accuracy_pct" in fp32 and "intent_accuracy_pct" in int8:
        out["int8_minus_fp32_intent_pts"] = round(
            int8["intent_accuracy_pct"] - fp32["intent_accuracy_pct"], 2)
    return out


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(run(quick="--quick" in sys.argv,
                         split="dev" if "--dev" in sys.argv else "heldout"), indent=1))
