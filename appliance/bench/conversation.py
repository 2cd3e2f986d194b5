"""The conversation, measured: NLU + safety + dialogue + QA on three sets (``make bench``).

- ``heldout``: the pack's own held-out set (``eval/heldout.jsonl``; written by the team
  next to its training data, so it flatters);
- ``frozen_independent``: ``eval/frozen-independent.jsonl``, written before the model was
  changed by a writer who never saw the pack's examples; never trained or tuned on,
  and only its aggregate figures are ever printed;
- ``dev``: ``eval/conversation-dev.jsonl``, the tuning set (safety thresholds, out of
  scope), reported so the gap between tuned and untouched data shows.

The frozen set is also scored on its ``unseen_only`` lines: those that are not (nearly) a
training text. Per set: intent accuracy beside the always-the-commonest-intent baseline,
out-of-scope P/R/F1, danger recall (confirm + alert, and alert alone), immediate false alerts and
danger questions on safe lines, emotion per class beside the majority baseline, the
share of answers refused or clarified, and the NLU + safety + QA latency per turn.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from typing import Any

import numpy as np

from appliance.behavior.dialog import Dialog
from appliance.sitepack import bundled_sitepack_dir
from appliance.sitepack.jsonl import read_rows

logger = logging.getLogger(__name__)

SETS = {"heldout": "heldout.jsonl", "frozen_independent": "frozen-independent.jsonl",
        "dev": "conversation-dev.jsonl"}
REFUSED = ("template:out_of_scope", "dialog:clarify", "dialog:network", "safety:confirm")


def evaluate(dialog: Dialog, rows: list[dict[str, Any]], *,
             show_errors: bool = False) -> dict[str, Any]:
    """Every figure of one set; each row is a fresh visitor (the dialogue is reset)."""
    from appliance.engines.nlu.emotion_eval import emotion_report

    encoder = getattr(dialog.nlu, "encoder", None)
    for row in rows[:5]:
        dialog.turn(row["text"] + " warm up")
    golds, preds, ms, sources = [], [], [], []
    actions: list[str] = []
    emo_gold, emo_pred = [], []
    errors: list[str] = []
    for row in rows:
        dialog.reset()
        if encoder is not None and hasattr(encoder, "clear"):
            encoder.clear()  # each turn pays for its own encode, as in the kiosk
        t0 = time.perf_counter()
        nlu = dialog.understand(row["text"])
        turn = dialog.respond(row["text"], nlu)
        ms.append((time.perf_counter() - t0) * 1000)
        golds.append(row["intent"])
        preds.append(turn.nlu.intent)  # what the kiosk acted on (danger makes it emergency)
        actions.append(nlu.safety.action)
        sources.append(turn.answer.source)
        if "emotion" in row:
            emo_gold.append(row["emotion"])
            emo_pred.append(nlu.emotion.label)
        if show_errors and turn.nlu.intent != row["intent"] and len(errors) < 60:
            errors.append(f"{row['text']!r}: {turn.nlu.intent} (want {row['intent']})")
    out: dict[str, Any] = {"lines": len(rows), **_intent_figures(golds, preds)}
    if any("safety" in r for r in rows):
        out["safety"] = _safety_figures(rows, actions)
    if emo_gold:
        out["emotion"] = emotion_report(emo_gold, emo_pred)
    safe_sources = [s for r, s in zip(rows, sources, strict=True) if r.get("safety") != "danger"]
    out["refused_or_clarified_pct"] = round(  # of the safe lines: a question back on a danger
        100 * sum(s.startswith(REFUSED) for s in safe_sources) / max(1, len(safe_sources)), 1)
    arr = np.array(ms)
    out["nlu_safety_qa_latency_ms"] = {"p50": round(float(np.percentile(arr, 50)), 2),
                                       "p95": round(float(np.percentile(arr, 95)), 2)}
    if show_errors:
        out["errors"] = errors
    return out


def _intent_figures(golds: list[str], preds: list[str]) -> dict[str, Any]:
    g, p = np.array(golds), np.array(preds)
    tp = int(np.sum((g == "out_of_scope") & (p == "out_of_scope")))
    prec = tp / max(1, int(np.sum(p == "out_of_scope")))
    rec = tp / max(1, int(np.sum(g == "out_of_scope")))
    commonest, count = Counter(golds).most_common(1)[0]
    return {"intent_accuracy_pct": round(100 * float(np.mean(g == p)), 1),
            "intent_baseline_pct": round(100 * count / len(golds), 1),
            "intent_baseline": f"always '{commonest}'",
            "oos": {"precision": round(prec, 3), "recall": round(rec, 3),
                    "f1": round(2 * prec * rec / max(1e-9, prec + rec), 3)}}


def _safety_figures(rows: list[dict[str, Any]], actions: list[str]) -> dict[str, Any]:
    danger = [a for r, a in zip(rows, actions, strict=True) if r.get("safety") == "danger"]
    safe = [a for r, a in zip(rows, actions, strict=True) if r.get("safety") != "danger"]
    per_cat: dict[str, list[int]] = {}
    for r, a in zip(rows, actions, strict=True):
        if r.get("safety") == "danger":
            hit = per_cat.setdefault(r.get("category", "?"), [0, 0])
            hit[0] += a != "none"
            hit[1] += 1
    return {
        "danger_lines": len(danger), "safe_lines": len(safe),
        "danger_recall_pct": round(100 * sum(a != "none" for a in danger) / max(1, len(danger)),
                                   1),
        "danger_alert_pct": round(100 * sum(a == "alert" for a in danger) / max(1, len(danger)),
                                  1),
        "false_alerts_on_safe_pct": round(100 * safe.count("alert") / max(1, len(safe)), 2),
        "false_alerts_on_safe": safe.count("alert"),
        "confirm_prompts_on_safe_pct": round(100 * safe.count("confirm") / max(1, len(safe)), 2),
        "recall_by_category": {c: f"{h}/{n}" for c, (h, n) in sorted(per_cat.items())},
    }


def training_texts(dialog: Dialog) -> list[str]:
    """Every normalised text the kiosk's heads train on (pack, visitor lines, safety data)."""
    from appliance.engines.nlu.text import normalize
    from appliance.engines.nlu.training import intent_examples
    from appliance.engines.safety.data import DANGER, SAFE

    texts, _ = intent_examples(dialog.pack, copies=1)
    texts += SAFE + [t for lines in DANGER.values() for t in lines]
    return sorted({normalize(t) for t in texts})


def unseen(rows: list[dict[str, Any]], trained: list[str]) -> list[dict[str, Any]]:
    """The rows whose text is not (nearly: rapidfuzz ratio >= 90) a training text: short
    lines ("thanks", "loo?") written independently still coincide, and would flatter."""
    from rapidfuzz import fuzz, process

    from appliance.engines.nlu.text import normalize

    return [r for r in rows if process.extractOne(normalize(r["text"]), trained,
                                                  scorer=fuzz.ratio, score_cutoff=90) is None]


def run(quick: bool = False, show_dev_errors: bool = False,
        sets: tuple[str, ...] = tuple(SETS)) -> dict[str, Any]:
    """Evaluate the kiosk's own dialogue (best NLU available) on every set the pack has.

    Only the dev set may show its misses; the held-out and frozen sets report figures.
    """
    pack_dir = bundled_sitepack_dir()
    dialog = Dialog.create(pack_dir)
    out: dict[str, Any] = {"nlu_engine": dialog.nlu.name, "safety_engine": dialog.safety.name,
                           "targets_on_frozen": {"intent_accuracy_pct": 92, "oos_f1": 0.85,
                                                 "danger_recall_pct": 98,
                                                 "false_alerts_on_safe_pct": 0.5,
                                                 "confirm_prompts_on_safe_pct": 3,
                                                 "nlu_safety_qa_latency_ms_p95": 30}}
    trained = training_texts(dialog)
    for name, file in SETS.items():
        if name not in sets:
            continue
        path = pack_dir / "eval" / file
        if not path.is_file():
            continue
        rows = read_rows(path)
        if quick:
            rows = rows[::3]
        out[name] = evaluate(dialog, rows, show_errors=show_dev_errors and name == "dev")
        if name == "frozen_independent":
            fresh = unseen(rows, trained)
            out[name]["unseen_only"] = {"lines": len(fresh),
                                        **evaluate(dialog, fresh, show_errors=False)}
    return out


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.WARNING)
    # --tuning: the dev set only (what to look at while tuning; the frozen set waits)
    chosen = ("dev",) if "--tuning" in sys.argv else tuple(SETS)
    print(json.dumps(run(quick="--quick" in sys.argv, show_dev_errors="--dev-errors" in sys.argv,
                         sets=chosen), indent=1, ensure_ascii=False))
