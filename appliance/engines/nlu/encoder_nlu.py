"""Encoder NLU: MiniLM sentence embeddings + intent and emotion heads trained from the pack.

Intent: a softmax head over the pack's intents (``out_of_scope`` is a class too,
taught by the pack's negative examples); anything whose best in-scope probability is
below a threshold calibrated by cross-validation on the training examples is
``out_of_scope``, so a vague request never gets a wrong confident answer. Emotion: a
softmax head over :data:`emotion.LABELS` fused with cue words, voice and intent.
Heads are trained once per (site pack, encoder) and cached under the state dir.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.engines.nlu import emotion
from appliance.engines.nlu.base import NluEngine, NluResult, VoiceFeatures
from appliance.engines.nlu.emotion_data import EMOTION_EXAMPLES
from appliance.engines.nlu.heads import SoftmaxHead
from appliance.engines.nlu.keyword import KeywordNlu
from appliance.engines.nlu.sentence import (
    CachedEncoder, SentenceEncoder, encoder_id, load_encoder,
)
from appliance.engines.nlu.slots import SlotExtractor
from appliance.engines.nlu.text import normalize
from appliance.engines.nlu.training import intent_examples
from appliance.sitepack.model import SitePack

logger = logging.getLogger(__name__)

OOS = "out_of_scope"
DEFAULT_THRESHOLD = 0.5


@dataclass
class NluHeads:
    intent: SoftmaxHead
    emotion: SoftmaxHead
    threshold: float


def train_heads(pack: SitePack, encoder: SentenceEncoder, *, folds: int = 4) -> NluHeads:
    """Train the intent and emotion heads and calibrate the out-of-scope threshold."""
    t0 = time.monotonic()
    texts, labels = intent_examples(pack)
    x = encoder.encode([normalize(t) for t in texts])
    intent = SoftmaxHead.fit(x, labels)
    threshold = calibrate_threshold(x, labels, folds=folds)
    etexts = [t for texts_ in EMOTION_EXAMPLES.values() for t in texts_]
    elabels = [lb for lb, texts_ in EMOTION_EXAMPLES.items() for _ in texts_]
    emo = SoftmaxHead.fit(encoder.encode([normalize(t) for t in etexts]), elabels, l2=1e-3)
    logger.info("trained NLU heads on %d examples (%d intents) in %.1f s, OOS threshold %.2f",
                len(texts), len(set(labels)), time.monotonic() - t0, threshold)
    return NluHeads(intent=intent, emotion=emo, threshold=threshold)


def calibrate_threshold(x: np.ndarray, labels: list[str], *, folds: int = 4,
                        seed: int = 0) -> float:
    """The confidence threshold that best separates in-scope from out-of-scope.

    K-fold over the training examples: each fold's head scores the held-out rows;
    the threshold maximising (in-scope accuracy + OOS F1) / 2 wins.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    fold_of = np.empty(len(labels), dtype=int)
    fold_of[order] = np.arange(len(labels)) % folds
    best_p, pred = np.zeros(len(labels)), [""] * len(labels)
    for k in range(folds):
        train = np.where(fold_of != k)[0]
        test = np.where(fold_of == k)[0]
        head = SoftmaxHead.fit(x[train], [labels[i] for i in train], steps=200)
        probs = head.predict_proba(x[test])
        for row, i in enumerate(test):
            j = int(np.argmax(probs[row]))
            pred[i], best_p[i] = head.classes[j], float(probs[row, j])
    truth = np.array([lb == OOS for lb in labels])
    best = (DEFAULT_THRESHOLD, -1.0)
    for tau in np.arange(0.2, 0.9, 0.02):
        said_oos = np.array([p == OOS or bp < tau for p, bp in zip(pred, best_p, strict=True)])
        tp = float(np.sum(said_oos & truth))
        prec = tp / max(1.0, float(said_oos.sum()))
        rec = tp / max(1.0, float(truth.sum()))
        f1 = 2 * prec * rec / max(1e-9, prec + rec)
        ins = ~truth
        acc = float(np.mean([(not s) and p == lb for s, p, lb in
                             zip(said_oos[ins], np.array(pred)[ins], np.array(labels)[ins],
                                 strict=True)]))
        score = (acc + f1) / 2
        if score > best[1] + 1e-9:
            best = (float(tau), score)
    return round(best[0], 2)


def _cache_paths(pack: SitePack, enc_id: str, cache_dir: Path) -> tuple[Path, Path]:
    stem = f"{pack.manifest.name}-{pack.fingerprint()}-{enc_id}"
    return cache_dir / f"{stem}.intent.npz", cache_dir / f"{stem}.emotion.npz"


def load_or_train(pack: SitePack, encoder: SentenceEncoder, enc_id: str,
                  cache_dir: Path | None) -> NluHeads:
    """Cached heads for this pack and encoder, trained now if absent or unreadable."""
    paths = _cache_paths(pack, enc_id, cache_dir) if cache_dir is not None else None
    if paths is not None and paths[0].is_file() and paths[1].is_file():
        try:
            head = SoftmaxHead.load(paths[0])
            return NluHeads(intent=head, emotion=SoftmaxHead.load(paths[1]),
                            threshold=head.threshold)
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("cached NLU heads unreadable (%s); retraining", exc)
    heads = train_heads(pack, encoder)
    heads.intent.threshold = heads.threshold
    if paths is not None:
        try:
            heads.intent.save(paths[0])
            heads.emotion.save(paths[1])
        except OSError as exc:
            logger.warning("could not cache NLU heads in %s: %s", cache_dir, exc)
    return heads


def default_cache_dir() -> Path:
    from appliance.settings import state_dir

    return state_dir() / "nlu"


class EncoderNlu(NluEngine):
    """Intent, slots and emotion from sentence embeddings and the site pack."""

    name = "encoder"

    def __init__(self, pack: SitePack, encoder: SentenceEncoder, heads: NluHeads) -> None:
        self.pack = pack
        self.encoder = encoder if isinstance(encoder, CachedEncoder) else CachedEncoder(encoder)
        self.heads = heads
        self.slots = SlotExtractor(pack)
        self.keywords = KeywordNlu(pack)  # safety net for emergencies
        self._oos = heads.intent.classes.index(OOS) if OOS in heads.intent.classes else -1

    @classmethod
    def for_pack(cls, pack: SitePack, precision: str = "int8",
                 encoder: SentenceEncoder | None = None,
                 cache_dir: Path | None = None) -> EncoderNlu:
        """Load the encoder (raises EngineLoadError) and the pack's heads (trained if needed)."""
        enc = encoder or load_encoder(precision)
        heads = load_or_train(pack, enc, encoder_id(enc, precision),
                              cache_dir if cache_dir is not None else default_cache_dir())
        return cls(pack, enc, heads)

    def embed(self, text: str) -> np.ndarray:
        """The (cached) embedding of one utterance, as the QA retrieval also uses it."""
        return np.asarray(self.encoder.encode([normalize(text)])[0])

    def understand(self, text: str, voice: VoiceFeatures | None = None) -> NluResult:
        norm = normalize(text)
        if not norm:
            return NluResult(intent=OOS, confidence=1.0)
        vec = self.embed(text)[None, :]
        probs = self.heads.intent.predict_proba(vec)[0]
        classes = self.heads.intent.classes
        order = np.argsort(-probs)
        top = int(order[0])
        intent, conf = classes[top], float(probs[top])
        if intent != OOS and conf < self.heads.threshold:
            intent, conf = OOS, 1.0 - conf
        kw = self.keywords.scores(norm)
        if intent != "emergency" and kw.get("emergency", 0.0) >= 2.0:
            intent, conf = "emergency", max(conf, 0.6)  # never miss a clear emergency
        slots = self.slots.extract(norm)
        allowed = set(self.pack.intents[intent].slots) if intent in self.pack.intents else set()
        if "station" in allowed:
            allowed.add("origin")
        slots = {k: v for k, v in slots.items() if k in allowed}
        eprobs = self.heads.emotion.predict_proba(vec)[0]
        emo = emotion.combine(norm, intent, voice,
                              dict(zip(self.heads.emotion.classes, map(float, eprobs),
                                       strict=True)))
        return NluResult(intent=intent, confidence=round(conf, 3), slots=slots, emotion=emo)
