"""Encoder NLU: MiniLM sentence embeddings + intent and emotion heads trained from the pack.

Intent: a softmax head over the pack's intents (``out_of_scope`` is a class too,
taught by the pack's negative examples); anything whose best in-scope probability is
below a threshold calibrated by cross-validation on the training examples is
``out_of_scope``, so a vague request never gets a wrong confident answer. Emotion: a
softmax head over :data:`emotion.LABELS` fused with cue words, voice and intent.
Heads are trained once per (site pack, encoder) and cached under the state dir.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.engines.nlu import emotion
from appliance.engines.nlu.base import NluEngine, NluResult, VoiceFeatures
from appliance.engines.nlu.emotion_data import EMOTION_EXAMPLES
from appliance.engines.nlu.heads import SoftmaxHead, blend
from appliance.engines.nlu.oos_data import all_oos
from appliance.engines.nlu.sentence import (
    CachedEncoder,
    SentenceEncoder,
    encoder_id,
    encoder_words,
    load_encoder,
)
from appliance.engines.nlu.slots import SlotExtractor
from appliance.engines.nlu.text import SpellFixer, normalize
from appliance.engines.nlu.training import intent_examples, training_set
from appliance.sitepack.jsonl import read_rows
from appliance.sitepack.model import SitePack

logger = logging.getLogger(__name__)

OOS = "out_of_scope"
DEFAULT_THRESHOLD = 0.5


OOS_CONFLICT = 0.85
"""A general out-of-scope sentence this close (cosine) to an in-scope example is dropped."""
DEV_FILES = ("dev.jsonl", "conversation-dev.jsonl")
"""The pack's tuning sets under ``eval/``: calibrate the out-of-scope decision if present."""
TRAINING_VERSION = 3
"""Bumped whenever training changes, so cached heads of an older recipe are retrained."""


@dataclass
class NluHeads:
    intent: SoftmaxHead
    emotion: SoftmaxHead
    threshold: float
    floor: float
    """Least cosine to any in-scope training example; below it the input is out of scope."""
    train_x: np.ndarray
    train_y: np.ndarray  # class index per row of ``train_x``

    def intent_proba(self, q: np.ndarray) -> tuple[np.ndarray, float]:
        """Blended class probabilities of one embedding, and its best in-scope cosine."""
        return blend(self.intent, self.train_x, self.train_y, q)


def spell_vocabulary(pack: SitePack) -> list[str]:
    """Every text of the pack and the emotion data: the words the spell fixer trusts."""
    texts, _ = intent_examples(pack, copies=1)
    texts += [t for ts in EMOTION_EXAMPLES.values() for t in ts]
    for values in pack.slots.values():
        for v in values:
            texts += [v.name, *v.synonyms]
    texts += [e.answer for e in pack.faq]
    texts += all_oos()
    return texts


def make_spell_fixer(pack: SitePack, encoder: SentenceEncoder) -> SpellFixer:
    """The spell fixer for live input: the pack's words, never "fixing" real English words."""
    return SpellFixer(spell_vocabulary(pack), known=encoder_words(encoder))


def train_heads(pack: SitePack, encoder: SentenceEncoder, *, folds: int = 4,
                spell: SpellFixer | None = None) -> NluHeads:
    """Train the intent and emotion heads and calibrate the out-of-scope decision."""
    t0 = time.monotonic()
    spell = spell or make_spell_fixer(pack, encoder)
    texts, labels = training_set(pack, spell.fix)
    x = encoder.encode(texts)
    texts, labels, x = drop_conflicts(texts, labels, x)
    intent = SoftmaxHead.fit(x, labels, l2=1e-3)
    y = np.array([intent.classes.index(lb) for lb in labels])
    order = np.argsort(y, kind="stable")  # rows grouped by class: a fast per-class max
    x, y = np.ascontiguousarray(x[order]), y[order]
    dev = dev_rows(pack)
    if dev:
        q = encoder.encode([spell.fix(t) for t, _ in dev])
        threshold, floor = calibrate_on_dev(intent, x, y, q, [lb for _, lb in dev])
    else:
        threshold, floor = calibrate(x, labels, folds=folds)
    etexts = [t for texts_ in EMOTION_EXAMPLES.values() for t in texts_]
    elabels = [lb for lb, texts_ in EMOTION_EXAMPLES.items() for _ in texts_]
    emo = SoftmaxHead.fit(encoder.encode([normalize(t) for t in etexts]), elabels, l2=1e-3)
    logger.info("trained NLU heads on %d examples (%d intents) in %.1f s; out of scope below "
                "p=%.2f or cosine %.2f", len(texts), len(set(labels)), time.monotonic() - t0,
                threshold, floor)
    return NluHeads(intent=intent, emotion=emo, threshold=threshold, floor=floor,
                    train_x=x.astype(np.float32), train_y=y)


def drop_conflicts(texts: list[str], labels: list[str],
                   x: np.ndarray) -> tuple[list[str], list[str], np.ndarray]:
    """Without the general out-of-scope rows too close to an in-scope example of the pack.

    A pack that serves a topic the general list calls out of scope keeps it.
    """
    general = {normalize(t) for t in all_oos()}
    is_oos = np.array([lb == OOS for lb in labels])
    cand = np.array([lb == OOS and t in general for t, lb in zip(texts, labels, strict=True)])
    if not cand.any() or is_oos.all():
        return texts, labels, x
    nearest = (x[cand] @ x[~is_oos].T).max(axis=1)
    drop = np.zeros(len(texts), dtype=bool)
    drop[np.where(cand)[0][nearest > OOS_CONFLICT]] = True
    if drop.any():
        logger.info("dropped %d general out-of-scope examples close to the pack's intents: %s",
                    int(drop.sum()), [t for t, d in zip(texts, drop, strict=True) if d][:5])
    keep = ~drop
    return ([t for t, k in zip(texts, keep, strict=True) if k],
            [lb for lb, k in zip(labels, keep, strict=True) if k], x[keep])


def dev_rows(pack: SitePack) -> list[tuple[str, str]]:
    """(text, intent) rows of the pack's tuning sets under ``eval/`` (never its held-out
    or frozen evaluation sets): ``dev.jsonl`` and ``conversation-dev.jsonl``."""
    return [(str(r["text"]), str(r["intent"])) for name in DEV_FILES
            for r in read_rows(pack.root / "eval" / name) if "intent" in r]


def calibrate_on_dev(head: SoftmaxHead, x: np.ndarray, y: np.ndarray, q: np.ndarray,
                     golds: list[str]) -> tuple[float, float]:
    """The probability threshold and cosine floor that maximise intent accuracy + OOS F1
    on the pack's dev set (never on its held-out test set); coarse steps, so the
    choice does not chase single dev lines.
    """
    scored = [blend(head, x, y, row) for row in q]
    probs = np.array([p for p, _ in scored])
    sims = np.array([s for _, s in scored])
    top = probs.argmax(axis=1)
    preds = np.array([head.classes[j] for j in top])
    top_p = probs[np.arange(len(top)), top]
    gold = np.array(golds)
    truth = gold == OOS
    best = (DEFAULT_THRESHOLD, 0.0, -1.0)
    for tau in np.arange(0.1, 0.75, 0.05):
        for floor in np.arange(0.2, 0.65, 0.05):
            said = (preds == OOS) | (top_p < tau) | (sims < floor)
            final = np.where(said, OOS, preds)
            acc = float(np.mean(final == gold))
            f1 = _f1(said, truth)
            if acc + f1 > best[2] + 1e-9:
                best = (float(tau), float(floor), acc + f1)
    return round(best[0], 2), round(best[1], 2)


def _f1(said: np.ndarray, truth: np.ndarray) -> float:
    tp = float(np.sum(said & truth))
    prec = tp / max(1.0, float(said.sum()))
    rec = tp / max(1.0, float(truth.sum()))
    return 2 * prec * rec / max(1e-9, prec + rec)


def calibrate(x: np.ndarray, labels: list[str], *, folds: int = 4,
              seed: int = 0) -> tuple[float, float]:
    """The probability threshold and cosine floor that best separate out-of-scope input.

    K-fold over the training examples: each fold's head (blended with its nearest
    examples) scores the held-out rows; the pair maximising (in-scope accuracy +
    OOS F1, weighted 0.4 / 0.6) wins.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    fold_of = np.empty(len(labels), dtype=int)
    fold_of[order] = np.arange(len(labels)) % folds
    best_p, best_sim, pred = np.zeros(len(labels)), np.zeros(len(labels)), [""] * len(labels)
    for k in range(folds):
        train = np.where(fold_of != k)[0]
        test = np.where(fold_of == k)[0]
        head = SoftmaxHead.fit(x[train], [labels[i] for i in train], steps=200)
        ytr = np.array([head.classes.index(labels[i]) for i in train])
        for i in test:
            probs, sim = blend(head, x[train], ytr, x[i])
            j = int(np.argmax(probs))
            pred[i], best_p[i], best_sim[i] = head.classes[j], float(probs[j]), sim
    truth = np.array([lb == OOS for lb in labels])
    preds, golds = np.array(pred), np.array(labels)
    best = (DEFAULT_THRESHOLD, 0.0, -1.0)
    for tau in np.arange(0.2, 0.9, 0.02):
        for floor in np.arange(0.0, 0.7, 0.05):
            said = (preds == OOS) | (best_p < tau) | (best_sim < floor)
            tp = float(np.sum(said & truth))
            prec = tp / max(1.0, float(said.sum()))
            rec = tp / max(1.0, float(truth.sum()))
            f1 = 2 * prec * rec / max(1e-9, prec + rec)
            acc = float(np.mean((~said & (preds == golds))[~truth]))
            score = 0.4 * acc + 0.6 * f1  # a wrong confident answer costs more than "unsure"
            if score > best[2] + 1e-9:
                best = (float(tau), float(floor), score)
    return round(best[0], 2), round(best[1], 2)


def _cache_path(pack: SitePack, enc_id: str, cache_dir: Path) -> Path:
    digest = hashlib.sha256()
    for name in DEV_FILES:
        dev = pack.root / "eval" / name
        if dev.is_file():
            digest.update(dev.read_bytes())
    dev_hash = digest.hexdigest()[:8]
    return cache_dir / (f"{pack.manifest.name}-{pack.fingerprint()}-{dev_hash}-{enc_id}"
                        f"-v{TRAINING_VERSION}.npz")


def load_or_train(pack: SitePack, encoder: SentenceEncoder, enc_id: str,
                  cache_dir: Path | None, spell: SpellFixer | None = None) -> NluHeads:
    """Cached heads for this pack and encoder, trained now if absent or unreadable."""
    path = _cache_path(pack, enc_id, cache_dir) if cache_dir is not None else None
    if path is not None and path.is_file():
        try:
            return _load(path)
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("cached NLU heads unreadable (%s); retraining", exc)
    heads = train_heads(pack, encoder, spell=spell)
    if path is not None:
        try:
            _save(heads, path)
        except OSError as exc:
            logger.warning("could not cache NLU heads in %s: %s", cache_dir, exc)
    return heads


def _save(heads: NluHeads, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    arrays: dict[str, np.ndarray] = {"threshold": np.array(heads.threshold),
                                     "floor": np.array(heads.floor),
                                     "train_x": heads.train_x, "train_y": heads.train_y}
    for name, head in (("intent", heads.intent), ("emotion", heads.emotion)):
        arrays[f"{name}_classes"] = np.array(head.classes)
        arrays[f"{name}_weights"] = head.weights
        arrays[f"{name}_bias"] = head.bias
    np.savez(tmp, **arrays)  # type: ignore[arg-type]
    tmp.replace(path)


def _load(path: Path) -> NluHeads:
    with np.load(path, allow_pickle=False) as d:
        heads = {name: SoftmaxHead(classes=[str(c) for c in d[f"{name}_classes"]],
                                   weights=d[f"{name}_weights"], bias=d[f"{name}_bias"])
                 for name in ("intent", "emotion")}
        return NluHeads(intent=heads["intent"], emotion=heads["emotion"],
                        threshold=float(d["threshold"]), floor=float(d["floor"]),
                        train_x=d["train_x"], train_y=d["train_y"])


def default_cache_dir() -> Path:
    from appliance.settings import state_dir

    return state_dir() / "nlu"


class EncoderNlu(NluEngine):
    """Intent, slots and emotion from sentence embeddings and the site pack."""

    name = "encoder"

    def __init__(self, pack: SitePack, encoder: SentenceEncoder, heads: NluHeads,
                 spell: SpellFixer | None = None) -> None:
        self.pack = pack
        self.encoder = encoder if isinstance(encoder, CachedEncoder) else CachedEncoder(encoder)
        self.heads = heads
        self.slots = SlotExtractor(pack)
        self.spell = spell or make_spell_fixer(pack, encoder)

    @classmethod
    def for_pack(cls, pack: SitePack, precision: str = "int8",
                 encoder: SentenceEncoder | None = None,
                 cache_dir: Path | None = None) -> EncoderNlu:
        """Load the encoder (raises EngineLoadError) and the pack's heads (trained if needed)."""
        enc = encoder or load_encoder(precision)
        spell = make_spell_fixer(pack, enc)
        heads = load_or_train(pack, enc, encoder_id(enc, precision),
                              cache_dir if cache_dir is not None else default_cache_dir(), spell)
        return cls(pack, enc, heads, spell)

    def embed(self, text: str) -> np.ndarray:
        """The (cached) embedding of one utterance, as the QA retrieval also uses it."""
        return np.asarray(self.encoder.encode([self.spell.fix(text)])[0])

    def understand(self, text: str, voice: VoiceFeatures | None = None) -> NluResult:
        norm = normalize(text)
        if not norm:
            return NluResult(intent=OOS, confidence=1.0)
        q = self.embed(text)
        vec = q[None, :]
        probs, sim = self.heads.intent_proba(q)
        classes = self.heads.intent.classes
        top = int(np.argmax(probs))
        intent, conf = classes[top], float(probs[top])
        if intent != OOS and (conf < self.heads.threshold or sim < self.heads.floor):
            intent, conf = OOS, 1.0 - conf
        slots = self.slots.extract(norm)
        allowed = set(self.pack.intents[intent].slots) if intent in self.pack.intents else set()
        if "station" in allowed:
            allowed.add("origin")
        slots = {k: v for k, v in slots.items() if k in allowed}
        eprobs = self.heads.emotion.predict_proba(vec)[0]
        emo = emotion.combine(norm, intent, voice, raw=text, model_probs=
                              dict(zip(self.heads.emotion.classes, map(float, eprobs),
                                       strict=True)))
        return NluResult(intent=intent, confidence=round(conf, 3), slots=slots, emotion=emo)
