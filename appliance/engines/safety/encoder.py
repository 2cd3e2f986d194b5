"""The safety model: a danger head on the sentence encoder, with keyword cues as a booster.

A softmax head over :data:`~appliance.engines.safety.base.CATEGORIES` + ``none``,
blended with a nearest-example vote like the intent head, trained on
:mod:`appliance.engines.safety.data` plus the site pack (its ``emergency`` examples are
danger, every other intent's examples are safe). ``score`` = 1 - p(none).

- ``score >= alert``: ``alert`` (the model is sure: staff are called at once);
- ``score >= confirm``: ``confirm`` (the kiosk asks first);
- a keyword cue: ``confirm`` when the model gives it at least ``cue_floor`` (or always,
  for a cry in a language the encoder cannot read). Keywords never raise ``alert``.

Thresholds are calibrated on the pack's conversation dev set when it has one
(recall first: see :func:`calibrate`), and the head is cached per pack and encoder.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.engines.nlu.heads import SoftmaxHead, blend
from appliance.engines.nlu.oos_data import all_oos
from appliance.engines.nlu.sentence import SentenceEncoder
from appliance.engines.nlu.text import normalize
from appliance.engines.nlu.training import intent_examples
from appliance.engines.safety import cues
from appliance.engines.safety.base import CATEGORIES, NONE, SafetyEngine
from appliance.engines.safety.data import DANGER, SAFE
from appliance.frames import Safety
from appliance.sitepack.jsonl import read_rows
from appliance.sitepack.model import SitePack

logger = logging.getLogger(__name__)

DATA_VERSION = 2
"""Bumped whenever the training data or recipe changes (cached heads are retrained)."""
DEV_FILE = "conversation-dev.jsonl"
ALERT, CONFIRM, CUE_FLOOR = 0.7, 0.35, 0.1
"""Default thresholds on the danger score (used when the pack has no dev set)."""
RECALL_TARGET = 0.98
MAX_PROMPTS = 0.03
"""At most this share of safe lines may get the danger question (the issue's target)."""
MAX_ALERTS = 0.0
"""The share of dev safe lines allowed to raise an alert (none: the target is 0.5 % on
unseen lines, and a false alarm costs more than a question)."""
DANGER_CLASS = "danger"


@dataclass
class SafetyHead:
    """Two heads: danger vs none (decides), and which danger (names it)."""

    danger: SoftmaxHead
    category: SoftmaxHead
    train_x: np.ndarray
    train_y: np.ndarray  # 0 = danger, 1 = none (the danger head's classes), sorted
    alert: float = ALERT
    confirm: float = CONFIRM
    cue_floor: float = CUE_FLOOR

    def score(self, q: np.ndarray) -> tuple[float, str]:
        """Danger probability of one embedding and the likeliest danger category."""
        probs, _ = blend(self.danger, self.train_x, self.train_y, q)
        danger = float(probs[self.danger.classes.index(DANGER_CLASS)])
        cat = self.category.predict_proba(q[None, :])[0]
        return danger, self.category.classes[int(np.argmax(cat))]


def training_rows(pack: SitePack | None,
                  fix: Callable[[str], str] = normalize) -> tuple[list[str], list[str]]:
    """(texts, labels): the kiosk's safety data plus the pack's examples."""
    texts: list[str] = []
    labels: list[str] = []
    for category, lines in DANGER.items():
        texts += lines
        labels += [category] * len(lines)
    texts += SAFE
    labels += [NONE] * len(SAFE)
    general = all_oos()
    texts += general
    labels += [NONE] * len(general)
    if pack is not None:
        visitors = {r["text"]: r for r in pack.training_lines()}
        ptexts, plabels = intent_examples(pack, copies=1, with_faq=True)
        for text, intent in zip(ptexts, plabels, strict=True):
            row = visitors.get(text)
            if row is not None and "safety" in row:  # a labelled visitor line
                danger = row["safety"] == "danger"
                category = row.get("category", "") if row.get("category") in CATEGORIES \
                    else "cry_for_help"
                labels.append(category if danger else NONE)
            elif intent == "emergency":
                found = cues.find_cue(text)
                labels.append(found[1] if found else "cry_for_help")
            else:
                labels.append(NONE)
            texts.append(text)
    return [fix(t) for t in texts], labels


def train(pack: SitePack | None, encoder: SentenceEncoder,
          fix: Callable[[str], str] = normalize) -> SafetyHead:
    """Fit the safety head and calibrate its thresholds (on the pack's dev set if any).

    ``fix`` is what the NLU does to live text before it encodes it (its spell fixer):
    training and calibration see the embeddings the kiosk will pass in.
    """
    t0 = time.monotonic()
    texts, labels = training_rows(pack, fix)
    x = np.asarray(encoder.encode(texts), dtype=np.float32)
    binary = [NONE if lb == NONE else DANGER_CLASS for lb in labels]
    danger = SoftmaxHead.fit(x, binary, l2=1e-3)
    is_danger = np.array([lb != NONE for lb in labels])
    category = SoftmaxHead.fit(x[is_danger], [lb for lb in labels if lb != NONE], l2=1e-3)
    y = np.array([danger.classes.index(lb) for lb in binary])
    order = np.argsort(y, kind="stable")
    model = SafetyHead(danger, category, np.ascontiguousarray(x[order]), y[order])
    dev = dev_rows(pack) if pack is not None else []
    if dev:
        q = np.asarray(encoder.encode([fix(t) for t, _ in dev]), dtype=np.float32)
        scores = np.array([model.score(row)[0] for row in q])
        found = [cues.find_cue(t) for t, _ in dev]
        cued = np.array([f is not None for f in found])
        foreign = np.array([f is not None and cues.is_foreign_cry(f[0]) for f in found])
        truth = np.array([d for _, d in dev])
        model.alert, model.confirm, model.cue_floor = calibrate(scores, cued, truth, foreign)
    logger.info("trained the safety head on %d lines in %.1f s; alert >= %.2f, confirm >= %.2f",
                len(texts), time.monotonic() - t0, model.alert, model.confirm)
    return model


def dev_rows(pack: SitePack) -> list[tuple[str, bool]]:
    """(text, is danger) rows of the pack's ``eval/conversation-dev.jsonl`` tuning set."""
    return [(r["text"], r["safety"] == "danger")
            for r in read_rows(pack.root / "eval" / DEV_FILE) if "safety" in r]


def calibrate(scores: np.ndarray, cued: np.ndarray, truth: np.ndarray,
              foreign: np.ndarray | None = None) -> tuple[float, float, float]:
    """Thresholds (alert, confirm, cue floor), recall first.

    ``confirm`` and the cue floor: the pair with the highest recall (confirm + alert)
    on the dev danger lines, up to :data:`RECALL_TARGET`, among those that ask at most
    :data:`MAX_PROMPTS` of the dev safe lines; fewest questions on ties. ``alert``:
    just above all but :data:`MAX_ALERTS` of the dev safe lines' scores (at least 0.5,
    so an alarm always needs a confident model). ``foreign`` cries always ask.
    """
    safe = ~truth
    foreign = np.zeros_like(cued) if foreign is None else foreign
    n_safe = max(1, int(safe.sum()))
    best = (CONFIRM, CUE_FLOOR, -1.0, 1e9)
    for confirm in np.arange(0.05, 0.9, 0.025):
        for floor in np.arange(0.0, confirm + 1e-9, 0.025):
            asked = (scores >= confirm) | (cued & (scores >= floor)) | foreign
            recall = float(asked[truth].mean()) if truth.any() else 1.0
            prompts = float(asked[safe].sum())
            if prompts / n_safe > MAX_PROMPTS:
                continue
            key = (min(recall, RECALL_TARGET), -prompts)
            if key > (min(best[2], RECALL_TARGET), -best[3]):
                best = (float(confirm), float(floor), recall, prompts)
    ranked = np.sort(scores[safe])[::-1]
    allowed = int(MAX_ALERTS * n_safe)
    edge = float(ranked[allowed]) if len(ranked) > allowed else 0.0
    alert = max(0.5, min(0.95, edge + 0.01))
    return round(alert, 3), round(best[0], 3), round(best[1], 3)


class EncoderSafety(SafetyEngine):
    """Danger from the sentence encoder (model) and keyword cues (booster)."""

    name = "encoder"

    def __init__(self, model: SafetyHead, encoder: SentenceEncoder,
                 fix: Callable[[str], str] = normalize) -> None:
        self.model = model
        self.encoder = encoder
        self.fix = fix

    def assess(self, text: str, embedding: np.ndarray | None = None) -> Safety:
        norm = normalize(text)
        if not norm and not text.strip():
            return Safety()
        q = embedding if embedding is not None else \
            np.asarray(self.encoder.encode([self.fix(text)])[0], dtype=np.float32)
        score, category = self.model.score(q)
        category = cues.foreign_category(text) or category
        if score >= self.model.alert:
            return Safety("alert", category, score)
        found = cues.find_cue(text)
        if score >= self.model.confirm:
            return Safety("confirm", category, score, found[0] if found else "")
        if found is not None and (score >= self.model.cue_floor or cues.is_foreign_cry(found[0])):
            return Safety("confirm", found[1], score, found[0])
        return Safety("none", "", score)


def _cache_path(pack: SitePack | None, enc_id: str, cache_dir: Path) -> Path:
    digest = hashlib.sha256()
    if pack is not None:
        digest.update(pack.fingerprint().encode())
        dev = pack.root / "eval" / DEV_FILE
        if dev.is_file():
            digest.update(dev.read_bytes())
    name = pack.manifest.name if pack is not None else "nopack"
    return cache_dir / f"safety-{name}-{digest.hexdigest()[:12]}-{enc_id}-v{DATA_VERSION}.npz"


def load_or_train(pack: SitePack | None, encoder: SentenceEncoder, enc_id: str,
                  cache_dir: Path | None, fix: Callable[[str], str] = normalize) -> SafetyHead:
    """The cached safety head for this pack and encoder, trained now if absent."""
    path = _cache_path(pack, enc_id, cache_dir) if cache_dir is not None else None
    if path is not None and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as d:
                heads = [SoftmaxHead([str(c) for c in d[f"{n}_classes"]], d[f"{n}_weights"],
                                     d[f"{n}_bias"]) for n in ("danger", "category")]
                return SafetyHead(heads[0], heads[1], d["train_x"], d["train_y"],
                                  float(d["alert"]), float(d["confirm"]), float(d["cue_floor"]))
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("cached safety head unreadable (%s); retraining", exc)
    model = train(pack, encoder, fix)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp.npz")
            arrays = {f"{n}_{k}": v for n, h in (("danger", model.danger),
                                                  ("category", model.category))
                      for k, v in (("classes", np.array(h.classes)), ("weights", h.weights),
                                   ("bias", h.bias))}
            np.savez(tmp, **arrays, train_x=model.train_x, train_y=model.train_y,  # type: ignore[arg-type]
                     alert=np.array(model.alert), confirm=np.array(model.confirm),
                     cue_floor=np.array(model.cue_floor))
            tmp.replace(path)
        except OSError as exc:
            logger.warning("could not cache the safety head in %s: %s", cache_dir, exc)
    return model


assert set(DANGER) == set(CATEGORIES), "every danger category needs training lines"
