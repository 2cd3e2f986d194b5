"""The committed fine-tune corpus is exactly what the training data gives, and no eval line."""

from __future__ import annotations

import json

from appliance.engines.nlu import finetune_corpus
from appliance.sitepack import bundled_sitepack_dir, load_sitepack


def test_the_committed_corpus_is_up_to_date() -> None:
    # A stale corpus would fine-tune the encoder on old data while the heads train on new.
    assert finetune_corpus.main(["--check"]) == 0


def test_the_corpus_teaches_intents_and_danger_categories() -> None:
    # Its lines are the heads' own training lines (--check above holds it to that), so
    # the eval sets overlap it exactly as much as they overlap the heads' data: the
    # conversation bench scores the frozen set on its unseen lines for that reason.
    rows = [json.loads(line) for line in
            finetune_corpus.corpus_path().read_text(encoding="utf-8").splitlines()[1:]]
    labels: dict[str, set[str]] = {}
    for r in rows:
        labels.setdefault(r["task"], set()).add(r["label"])
    pack = load_sitepack(bundled_sitepack_dir())
    assert labels["intent"] == set(pack.intents) | {"out_of_scope"}
    assert {"none", "medical", "fire_smoke", "threat_violence"} <= labels["safety"]


def test_check_fails_on_a_stale_corpus(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    stale = tmp_path / "data" / "encoder_finetune.jsonl"
    stale.parent.mkdir()
    stale.write_text('{"_meta": {}}\n', encoding="utf-8")
    monkeypatch.setattr(finetune_corpus, "corpus_path", lambda: stale)
    assert finetune_corpus.main(["--check"]) == 1
