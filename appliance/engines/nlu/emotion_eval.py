"""How well the emotion labels read people: accuracy, macro-F1, per class, against a baseline.

:func:`emotion_report` scores predicted labels against gold ones. Emotion sets are mostly
neutral, so an accuracy figure means little alone: the report carries the majority-class
baseline (always predict the most frequent gold label) next to it.

``python -m appliance.engines.nlu.emotion_eval FILE.jsonl`` prints the report for the
text-only emotion path (cue lexicon + intent prior, no encoder, no voice) on the rows of
``FILE`` that have an ``"emotion"`` (rows: ``{"text", "intent", "emotion"}``, the gold intent
feeds the prior); ``--encoder`` runs the bundled site pack's encoder NLU instead (emotion head
+ cues, with the intent it predicts itself); ``--json`` prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from appliance.engines.nlu.emotion import LABELS


def _prf(golds: list[str], preds: list[str], label: str) -> dict[str, float | int]:
    tp = sum(g == label and p == label for g, p in zip(golds, preds))
    n_pred = sum(p == label for p in preds)
    support = sum(g == label for g in golds)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "support": support}


def _order(labels: set[str]) -> list[str]:
    return [lb for lb in LABELS if lb in labels] + sorted(labels - set(LABELS))


def _scores(golds: list[str], preds: list[str]) -> tuple[float, float, dict[str, Any]]:
    labels = _order(set(golds) | set(preds))
    per_class = {lb: _prf(golds, preds, lb) for lb in labels}
    accuracy = sum(g == p for g, p in zip(golds, preds)) / len(golds)
    macro_f1 = sum(float(c["f1"]) for c in per_class.values()) / len(per_class)
    return accuracy, macro_f1, per_class


def emotion_report(golds: list[str], preds: list[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class P/R/F1/support and the majority-class baseline.

    Macro-F1 is the plain mean of the per-class F1 over every label that occurs in the gold
    or the predicted labels (a label predicted but never gold counts, with F1 0). The
    baseline always predicts the most frequent gold label (ties: the one seen first) and is
    scored the same way, so its macro-F1 is that label's F1 over the gold labels' count.
    """
    if len(golds) != len(preds):
        raise ValueError(f"{len(golds)} gold labels but {len(preds)} predictions")
    if not golds:
        raise ValueError("no labels to score")
    accuracy, macro_f1, per_class = _scores(golds, preds)
    majority = Counter(golds).most_common(1)[0][0]
    base_acc, base_f1, _ = _scores(golds, [majority] * len(golds))
    return {
        "n": len(golds),
        "accuracy": round(accuracy, 4),
        "macro_f1": round(macro_f1, 4),
        "per_class": per_class,
        "confusion": {g: dict(Counter(p for gg, p in zip(golds, preds) if gg == g))
                      for g in _order(set(golds))},
        "baseline": {"label": majority, "accuracy": round(base_acc, 4),
                     "macro_f1": round(base_f1, 4)},
    }


def format_report(report: dict[str, Any]) -> str:
    """The report as a small text table."""
    base = report["baseline"]
    lines = [f"emotion on {report['n']} lines: accuracy {100 * report['accuracy']:.1f} %, "
             f"macro-F1 {report['macro_f1']:.3f}",
             f"majority baseline (always '{base['label']}'): accuracy "
             f"{100 * base['accuracy']:.1f} %, macro-F1 {base['macro_f1']:.3f}",
             f"{'label':<12}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}"]
    for label, c in report["per_class"].items():
        lines.append(f"{label:<12}{c['precision']:>7.2f}{c['recall']:>7.2f}{c['f1']:>7.2f}"
                     f"{c['support']:>9}")
    return "\n".join(lines)


def _predict(rows: list[dict[str, Any]], encoder: bool) -> list[str]:
    from appliance.engines.nlu import emotion
    from appliance.engines.nlu.text import normalize

    if not encoder:
        return [emotion.combine(normalize(r["text"]), r.get("intent", ""), None, None,
                                raw=r["text"]).label for r in rows]
    from appliance.engines.nlu.encoder_nlu import EncoderNlu
    from appliance.sitepack import bundled_sitepack_dir, load_sitepack

    with tempfile.TemporaryDirectory() as tmp:  # fresh heads: the cache key ignores emotion_data
        nlu = EncoderNlu.for_pack(load_sitepack(bundled_sitepack_dir()), cache_dir=Path(tmp))
    return [nlu.understand(r["text"]).emotion.label for r in rows]  # as the kiosk hears it


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m appliance.engines.nlu.emotion_eval",
                                 description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("file", type=Path, help="JSONL rows with text, intent, emotion")
    ap.add_argument("--encoder", action="store_true",
                    help="the whole encoder NLU of the bundled pack (its own intent, no voice)")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args(argv)
    try:
        rows = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines()
                if line.strip()]
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    rows = [r for r in rows if r.get("emotion") and r.get("text")]
    if not rows:
        print(f"{args.file}: no rows with an emotion", file=sys.stderr)
        return 2
    report = emotion_report([r["emotion"] for r in rows], _predict(rows, args.encoder))
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
