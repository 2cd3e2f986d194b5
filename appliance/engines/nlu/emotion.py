"""Emotion from three sources: the words, the voice and the intent.

The text gives label scores (a cue lexicon, plus optional model probabilities from
the encoder's emotion head); the voice (energy, pitch, speaking rate) moves arousal
and separates agitated from flat negative feelings; the intent adds a prior (an
emergency is anxious, a refund is often frustrated). The result is a label from
:data:`LABELS` with continuous valence (-1..1) and arousal (0..1).
"""

from __future__ import annotations

import math
import re

from appliance.engines.nlu.base import VoiceFeatures
from appliance.frames import Emotion

LABELS = ("neutral", "happy", "frustrated", "anxious", "sad", "confused")
VALENCE = {"neutral": 0.0, "happy": 0.7, "frustrated": -0.6, "anxious": -0.45, "sad": -0.65,
           "confused": -0.2}
AROUSAL = {"neutral": 0.3, "happy": 0.6, "frustrated": 0.75, "anxious": 0.8, "sad": 0.2,
           "confused": 0.45}

# cue phrase -> weight, per label (matched on normalised text, word boundaries)
CUES: dict[str, dict[str, float]] = {
    "happy": {"great": 1, "thanks": 0.6, "thank you": 0.6, "wonderful": 1.2, "love": 1,
              "awesome": 1.2, "perfect": 1.2, "brilliant": 1.2, "lovely": 1, "excited": 1.2,
              "happy": 1.2, "amazing": 1.2, "fantastic": 1.2, "nice": 0.7, "cool": 0.6,
              "yay": 1.2, "can't wait": 1.2, "fun": 0.8, "glad": 1, "good day": 0.8},
    "frustrated": {"ridiculous": 1.5, "useless": 1.5, "annoying": 1.3, "annoyed": 1.3,
                   "fed up": 1.5, "again": 0.6, "still": 0.5, "ugh": 1.3, "terrible": 1.2,
                   "not working": 0.9, "doesn't work": 0.9, "broken": 0.8, "waited": 0.9,
                   "waiting for ages": 1.4, "for ages": 1, "sick of": 1.5, "unacceptable": 1.5,
                   "joke": 0.8, "stupid": 1.4, "come on": 1.1, "seriously": 1.1, "angry": 1.5,
                   "furious": 1.6, "rubbish": 1.3, "third time": 1.3, "every time": 0.9,
                   "wrong": 0.6, "ate my": 1, "took my money": 1, "charged twice": 0.8,
                   "not helping": 1.3, "damn": 1.3, "what the": 1.2, "always late": 1.3},
    "anxious": {"worried": 1.5, "scared": 1.5, "afraid": 1.4, "nervous": 1.4, "hurry": 1.2,
                "quickly": 0.9, "quick": 0.6, "miss my": 1.4, "going to miss": 1.5,
                "late for": 1.2, "panic": 1.5, "urgent": 1.3, "urgently": 1.3, "help": 0.5,
                "emergency": 1.2, "asap": 1.2, "right now": 0.8, "in a rush": 1.3,
                "running late": 1.3, "flight": 0.6, "can't find my": 1.2, "missing": 0.9,
                "stressed": 1.4, "oh no": 1.3, "please help": 1.0, "what do i do": 1.0,
                "is it safe": 1.2},
    "sad": {"sad": 1.5, "upset": 1.3, "crying": 1.5, "unfortunately": 0.8, "lonely": 1.5,
            "bad day": 1.3, "lost my": 0.8, "died": 1.5, "miss him": 1.4, "miss her": 1.4,
            "heartbroken": 1.6, "depressed": 1.5, "nobody": 0.8, "alone": 1.0, "sorry": 0.3,
            "awful day": 1.4, "gift from": 0.8, "can't afford": 1.0, "gone forever": 1.3,
            "feel down": 1.4, "sentimental": 1.0},
    "confused": {"confused": 1.5, "confusing": 1.4, "don't understand": 1.5, "not sure": 0.9,
                 "what do you mean": 1.4, "don't know": 0.9, "huh": 1.2, "which one": 0.7,
                 "lost": 0.5, "i'm lost": 1.3, "makes no sense": 1.5, "how does": 0.6,
                 "no idea": 1.1, "which way": 0.6, "unclear": 1.3, "first time": 0.9,
                 "i thought": 0.8, "what does that mean": 1.4, "complicated": 1.2,
                 "puzzled": 1.5, "wait what": 1.4, "sorry what": 0.9, "so do i": 0.7},
}

INTENT_PRIOR: dict[str, dict[str, float]] = {
    "emergency": {"anxious": 1.2},
    "refund": {"frustrated": 0.45},
    "help_human": {"frustrated": 0.35, "confused": 0.2},
    "thanks": {"happy": 0.6},
    "greeting": {"happy": 0.25},
    "farewell": {"happy": 0.3},
    "repeat": {"confused": 0.5},
    "lost_and_found": {"anxious": 0.3, "sad": 0.25},
    "stop": {"frustrated": 0.3},
    "service_status": {"frustrated": 0.1},
}

_CUE_RES = {label: [(re.compile(rf"(?<![\w']){re.escape(p)}(?![\w'])"), w) for p, w in cues.items()]
            for label, cues in CUES.items()}


def text_scores(text: str) -> dict[str, float]:
    """Cue-lexicon evidence per label from normalised text (0 = no cue)."""
    scores = dict.fromkeys(LABELS, 0.0)
    for label, cues in _CUE_RES.items():
        for rx, weight in cues:
            if rx.search(text):
                scores[label] += weight
    return scores


def voice_arousal(voice: VoiceFeatures | None) -> float | None:
    """Arousal 0..1 from loudness, pitch and rate; None when there is no voice."""
    if voice is None or (voice.words_per_s <= 0 and voice.pitch_hz <= 0):
        return None
    loud = math.tanh((voice.energy_dbfs + 24.0) / 8.0)          # -24 dBFS is normal speech
    pitch = math.tanh((voice.pitch_hz - 170.0) / 60.0) if voice.pitch_hz > 0 else 0.0
    rate = math.tanh((voice.words_per_s - 2.6) / 0.9) if voice.words_per_s > 0 else 0.0
    return min(1.0, max(0.0, 0.4 + 0.22 * loud + 0.14 * pitch + 0.18 * rate))


def combine(text: str, intent: str, voice: VoiceFeatures | None = None,
            model_probs: dict[str, float] | None = None) -> Emotion:
    """Fuse text cues, model probabilities, the intent prior and the voice into an Emotion."""
    scores = text_scores(text)
    if model_probs:
        for label, p in model_probs.items():
            if label != "neutral":
                scores[label] += 1.6 * max(0.0, p - 0.15)
    for label, w in INTENT_PRIOR.get(intent, {}).items():
        scores[label] += w
    scores["neutral"] = 0.9 + (1.6 * model_probs.get("neutral", 0.0) if model_probs else 0.0)
    v_arousal = voice_arousal(voice)
    if v_arousal is not None:
        agitation = v_arousal - 0.45
        negative = scores["frustrated"] + scores["anxious"] + scores["sad"]
        if negative > 0:  # a loud, fast voice turns negative words agitated; a flat one sad
            scores["frustrated"] += 1.2 * agitation * (scores["frustrated"] > 0)
            scores["anxious"] += 1.2 * agitation * (scores["anxious"] > 0)
            scores["sad"] -= 1.2 * agitation * (scores["sad"] > 0)
        if agitation > 0.3 and negative == 0 and scores["happy"] == 0:
            scores["anxious"] += 0.3 * agitation / 0.3
    # a label with no evidence at all keeps only a trace of probability
    exps = {k: math.exp(3.0 * v) if v > 0 or k == "neutral" else 0.05 for k, v in scores.items()}
    total = sum(exps.values())
    probs = {k: v / total for k, v in exps.items()}
    label = max(probs, key=lambda k: probs[k])
    valence = sum(probs[k] * VALENCE[k] for k in LABELS)
    arousal = sum(probs[k] * AROUSAL[k] for k in LABELS)
    if v_arousal is not None:
        arousal = 0.5 * arousal + 0.5 * v_arousal
    return Emotion(label=label, valence=max(-1.0, min(1.0, valence)),
                   arousal=max(0.0, min(1.0, arousal)))
