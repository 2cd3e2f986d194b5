"""A site pack's ``train/*.jsonl`` visitor lines: read for training, checked line by line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from appliance.engines.nlu.text import normalize
from appliance.engines.nlu.training import intent_examples
from appliance.engines.safety.encoder import training_rows
from appliance.sitepack import bundled_sitepack_dir, check_sitepack, load_sitepack


def test_visitor_lines_train_intents_and_safety_and_bad_lines_are_named(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    shutil.copytree(bundled_sitepack_dir(), root)
    train = root / "train"
    train.mkdir(exist_ok=True)
    lines = [{"_meta": {"name": "t"}},
             {"text": "loo pls", "intent": "find_toilet", "safety": "none"},
             {"text": "the bloke at the edge keeps swaying", "intent": "emergency",
              "safety": "danger", "category": "trapped_or_track"},
             {"text": "x", "intent": "no_such_intent"},
             {"text": "y", "intent": "emergency", "safety": "danger"}]
    (train / "extra.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n{oops\n")
    pack, problems = check_sitepack(root)
    assert pack is not None
    warned = sorted(p.line for p in problems if p.file == "train/extra.jsonl")
    assert warned == [4, 5, 6]  # unknown intent, danger without a category, not JSON
    pack = load_sitepack(root)
    texts, labels = intent_examples(pack, copies=1)
    assert ("loo pls", "find_toilet") in zip(texts, labels, strict=True)
    stexts, slabels = training_rows(pack)
    got = dict(zip(stexts, slabels, strict=True))
    assert got[normalize("loo pls")] == "none"
    assert got[normalize("the bloke at the edge keeps swaying")] == "trapped_or_track"
    assert pack.fingerprint() != load_sitepack(bundled_sitepack_dir()).fingerprint()


def test_no_training_line_is_a_line_of_an_evaluation_or_tuning_set() -> None:
    """Leakage guard: the pack's train/*.jsonl shares no (near-)line with eval/*.jsonl."""
    from rapidfuzz import fuzz, process

    root = bundled_sitepack_dir()
    evaluated = sorted({normalize(json.loads(line)["text"])
                        for path in root.glob("eval/*.jsonl")
                        for line in path.read_text(encoding="utf-8").splitlines()
                        if line.strip() and "_meta" not in line})
    trained = [normalize(row["text"]) for row in load_sitepack(root).training_lines()]
    assert len(trained) > 1000 and len(evaluated) > 1000
    shared = [t for t in trained
              if process.extractOne(t, evaluated, scorer=fuzz.ratio, score_cutoff=90)]
    assert shared == []
