"""The encoder's fine-tune step (build time): its corpus format and one real training step."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from appliance.runtime.encoder_finetune import finetune, read_corpus
from appliance.runtime.errors import EngineLoadError


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_the_corpus_groups_rows_by_task(tmp_path: Path) -> None:
    corpus = write(tmp_path / "c.jsonl", [
        {"_meta": "x"},  # type: ignore[dict-item]
        {"text": "where is the loo", "task": "intent", "label": "find_toilet"},
        {"text": "he has a knife", "task": "safety", "label": "threat_violence"},
        {"text": "any toilets", "task": "intent", "label": "find_toilet"},
    ])
    tasks = read_corpus(corpus)
    assert tasks["intent"] == (["where is the loo", "any toilets"], ["find_toilet"] * 2)
    assert tasks["safety"] == (["he has a knife"], ["threat_violence"])


@pytest.mark.parametrize("row", [{"text": "x", "task": "intent"},
                                 {"text": "", "task": "intent", "label": "a"}])
def test_a_bad_corpus_row_names_its_line(tmp_path: Path, row: dict[str, str]) -> None:
    corpus = write(tmp_path / "c.jsonl", [{"text": "ok", "task": "t", "label": "a"}, row])
    with pytest.raises(EngineLoadError, match=r"c\.jsonl:2"):
        read_corpus(corpus)


@pytest.mark.slow
def test_one_fine_tune_step_moves_the_weights_and_keeps_a_loadable_model(
        tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from transformers import AutoModel

    from appliance.runtime.encoder import encoder_spec
    from appliance.runtime.store import package_dir

    src = package_dir(encoder_spec())
    rows = [{"text": t, "task": "intent", "label": lb} for t, lb in (
        ("where is the toilet", "toilet"), ("loo please", "toilet"), ("any restrooms", "toilet"),
        ("next train to northgate", "train"), ("when does the train come", "train"),
        ("is the red line running", "train"))]
    rows += [{"text": "he has a knife", "task": "safety", "label": "danger"},
             {"text": "where is the fire exit", "task": "safety", "label": "none"}]
    said: list[str] = []
    out = tmp_path / "tuned"
    info = finetune(src, write(tmp_path / "c.jsonl", rows), out,
                    {"epochs": 2, "batch": 4, "lr": 1e-4, "threads": 1}, said.append)
    assert info["rows"] == {"intent": 6, "safety": 2} and info["steps"] == 3
    assert said and said[-1].startswith("fine-tune step 3/3")
    assert (out / "tokenizer.json").is_file()
    before = AutoModel.from_pretrained(str(src)).state_dict()
    after = AutoModel.from_pretrained(str(out)).state_dict()
    moved = [k for k in before if not np.allclose(before[k].numpy(), after[k].numpy())]
    assert moved, "no weight changed"
