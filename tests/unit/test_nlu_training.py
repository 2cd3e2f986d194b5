"""Training data and out-of-scope calibration of the encoder NLU (no model: fast)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from appliance.engines.nlu.augment import augment, noisy, typo
from appliance.engines.nlu.encoder_nlu import (
    calibrate_on_dev,
    dev_rows,
    drop_conflicts,
)
from appliance.engines.nlu.heads import SoftmaxHead, _class_max
from appliance.engines.nlu.oos_data import OOS_TOPICS, all_oos
from appliance.engines.nlu.text import SpellFixer, normalize
from appliance.engines.nlu.training import training_set
from appliance.sitepack import SitePack, bundled_sitepack_dir, load_sitepack


@pytest.fixture(scope="module")
def pack() -> SitePack:
    return load_sitepack(bundled_sitepack_dir())


def test_typo_changes_one_letter_and_keeps_short_words() -> None:
    rng = random.Random(0)
    for _ in range(50):
        out = typo("elevator", rng)
        assert out != "" and abs(len(out) - len("elevator")) <= 1
    assert typo("the", rng) == "the"


def test_noisy_copies_are_reproducible_and_skip_out_of_scope() -> None:
    texts = ["where is the ticket machine", "how do i get to the zoo", "bake me a cake"]
    labels = ["ticket_purchase", "route_planning", "out_of_scope"]
    first = augment(texts, labels, copies=2, skip=frozenset({"out_of_scope"}))
    assert first == augment(texts, labels, copies=2, skip=frozenset({"out_of_scope"}))
    assert first[0] and "out_of_scope" not in first[1]
    assert not set(first[0]) & set(texts)
    assert noisy("", random.Random(1)) == ""


def test_training_set_adds_general_oos_and_noisy_copies(pack: SitePack) -> None:
    plain, plain_labels = training_set(pack, noisy_copies=0, general_oos=[])
    texts, labels = training_set(pack)
    assert len(all_oos()) >= 200 and len(OOS_TOPICS) >= 12
    assert labels.count("out_of_scope") == plain_labels.count("out_of_scope") + len(all_oos())
    assert len(texts) > len(plain) + len(all_oos())
    assert all(t == normalize(t) for t in plain)


def test_general_oos_never_contradicts_the_pack(pack: SitePack) -> None:
    examples = {normalize(e) for i in pack.intents.values() if i.name != "out_of_scope"
                for e in i.examples}
    assert not examples & {normalize(t) for t in all_oos()}
    emergency = {normalize(k) for k in pack.intents["emergency"].keywords}
    assert not [t for t in all_oos() if emergency & set(normalize(t).split())]


def test_spell_fixer_leaves_known_words_alone() -> None:
    fixer = SpellFixer(["my friend fainted", "where is the train"])
    assert fixer.fix("who painted it") == "who fainted it"  # the failure mode
    fixer = SpellFixer(["my friend fainted", "where is the train"], known={"painted"})
    assert fixer.fix("who painted it") == "who painted it"
    assert fixer.fix("where is the trainn") == "where is the train"


def test_conflicting_general_oos_is_dropped() -> None:
    general = normalize(all_oos()[0])
    x = np.array([[1.0, 0.0], [0.99, 0.141], [0.0, 1.0]], dtype=np.float32)
    texts = ["pack example", general, "pack negative"]
    labels = ["weather", "out_of_scope", "out_of_scope"]
    kept_t, kept_l, kept_x = drop_conflicts(texts, labels, x)
    assert kept_t == ["pack example", "pack negative"] and len(kept_x) == 2
    assert kept_l == ["weather", "out_of_scope"]


def test_class_max_sorted_and_unsorted_agree() -> None:
    rng = np.random.default_rng(0)
    y = np.sort(rng.integers(0, 5, 200))
    y[:5] = np.arange(5)
    y = np.sort(y)
    sims = rng.standard_normal(200)
    fast = _class_max(sims, y, 5)
    perm = rng.permutation(200)
    assert np.allclose(fast, _class_max(sims[perm], y[perm], 5))


def test_dev_calibration_finds_the_floor() -> None:
    # two in-scope clusters; out-of-scope dev rows are far from both
    x = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0.1, 0.9, 0]], dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = ["a", "a", "b", "b"]
    head = SoftmaxHead.fit(x, labels, steps=100)
    y = np.array([head.classes.index(lb) for lb in labels])
    q = np.array([[0.95, 0.05, 0.1], [0.05, 0.95, 0.1], [0.2, 0.2, 0.96], [0.1, 0.3, 0.95]],
                 dtype=np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    tau, floor = calibrate_on_dev(head, x, y, q, ["a", "b", "out_of_scope", "out_of_scope"])
    best_sim = (q @ x.T).max(axis=1)
    assert best_sim[2:].max() < floor <= best_sim[:2].min()
    assert 0.0 < tau < 1.0


def test_dev_rows_skip_bad_lines(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    shutil.copytree(bundled_sitepack_dir(), root)
    (root / "eval" / "conversation-dev.jsonl").write_text(
        json.dumps({"_meta": {"name": "conversation-dev"}}) + "\n"
        + json.dumps({"text": "bye", "intent": "farewell"}) + "\n")
    (root / "eval" / "dev.jsonl").write_text(
        json.dumps({"text": "hi", "intent": "greeting"}) + "\n{broken\n\n")
    rows = dev_rows(load_sitepack(root))
    assert rows == [("hi", "greeting"), ("bye", "farewell")]  # both tuning sets, no header
    (root / "eval" / "dev.jsonl").unlink()
    (root / "eval" / "conversation-dev.jsonl").unlink()
    assert dev_rows(load_sitepack(root)) == []


def test_bundled_dev_set_is_separate_from_the_test_set() -> None:
    ev = bundled_sitepack_dir() / "eval"
    dev = [json.loads(line)["text"] for line in (ev / "dev.jsonl").read_text().splitlines()]
    test = [json.loads(line)["text"] for line in (ev / "heldout.jsonl").read_text().splitlines()
            if line.strip()]
    assert len(dev) >= 300
    held = {normalize(t) for t in test}
    assert not {normalize(t) for t in dev} & held
    assert not {normalize(t) for t in all_oos()} & held
