"""Expressive speech: the reply's style follows the visitor's emotion.

:func:`choose_style` maps (emotion, intent) to a style; :func:`rewrite` changes the
words (an apology first and only the essentials for a frustrated visitor, reassurance
and short sentences for an anxious one, warmth for a happy one); :func:`prosody_for`
gives the TTS settings (slower and softer when calming, brisk when urgent) and
:data:`PITCH_SEMITONES` a pitch shift for engines that can apply one.
"""

from __future__ import annotations

import re

from appliance.engines.nlu.emotion import is_sarcastic
from appliance.engines.nlu.text import normalize
from appliance.engines.tts.base import Prosody
from appliance.frames import Emotion

STYLES = ("neutral", "cheerful", "calm", "apologetic", "gentle", "clear", "urgent", "slow")

PROSODY: dict[str, Prosody] = {
    "neutral": Prosody(length_scale=1.0, volume=1.0, noise_scale=0.667),
    "cheerful": Prosody(length_scale=0.94, volume=1.08, noise_scale=0.8),
    "calm": Prosody(length_scale=1.18, volume=0.88, noise_scale=0.5),
    "apologetic": Prosody(length_scale=1.06, volume=0.92, noise_scale=0.55),
    "gentle": Prosody(length_scale=1.14, volume=0.85, noise_scale=0.5),
    "clear": Prosody(length_scale=1.12, volume=1.0, noise_scale=0.45),
    "urgent": Prosody(length_scale=0.92, volume=1.15, noise_scale=0.4),
    "slow": Prosody(length_scale=1.35, volume=1.0, noise_scale=0.5),  # "say that again slowly"
}
PITCH_SEMITONES = {"neutral": 0.0, "cheerful": 1.5, "calm": -1.0, "apologetic": -0.5,
                   "gentle": -1.0, "clear": 0.0, "urgent": 0.5}

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


COMPLAINT_INTENTS = frozenset({"refund", "help_human", "stop"})
"""Intents that are a complaint or a brush-off: never answered cheerfully."""
SUBDUED = frozenset({"calm", "apologetic", "gentle", "urgent", "clear"})
"""Styles for a visitor who is not having a good time: never an exclamation mark."""


_SORRY = re.compile(r"(?i)(sorry|i'm sorry|i am sorry|i apologi[sz]e)")
"""A reply that already opens with an apology gets no second one."""


def choose_style(emotion: Emotion, intent: str, said: str = "") -> str:
    """The style to answer in.

    Cheerful only for a visitor who is plainly happy (a happy label with a positive
    valence), never for a complaint intent or for words that read as sarcasm (``said``:
    the visitor's words, when the caller has them).
    """
    if intent == "emergency":
        return "urgent"
    style = {"happy": "cheerful", "anxious": "calm", "frustrated": "apologetic", "sad": "gentle",
             "confused": "clear"}.get(emotion.label, "neutral")
    if style == "cheerful":
        if intent in COMPLAINT_INTENTS or (said and is_sarcastic(normalize(said), said)):
            return "apologetic"
        if emotion.valence <= 0.2:  # a weak, mixed "happy" is no reason to beam
            return "neutral"
    return style


def rewrite(text: str, style: str, intent: str = "") -> str:
    """Reword ``text`` for ``style`` (never drops the first sentence's facts)."""
    if not text:
        return text
    if style in SUBDUED:  # a frustrated, sad, anxious or confused visitor: no exclamation marks
        text = _calm_punctuation(text)
    if style in ("neutral", "urgent") or intent in ("stop", "repeat"):
        return text
    sentences = _SENTENCE.split(text.strip())
    if style == "apologetic":
        body = " ".join(sentences[:2])  # brief: the essentials only
        if not _SORRY.match(body):
            body = "I'm sorry about that. " + body
        return body
    if style == "calm":
        lead = "Don't worry, I can help. " if not text.lower().startswith("don't worry") else ""
        return lead + " ".join(_split_long(s) for s in sentences)
    if style == "gentle":
        body = " ".join(sentences)
        if _SORRY.match(body):
            return body  # the answer is sorry already: once is enough
        return "I'm sorry to hear that. " + body
    if style == "clear":
        return "Let me put it simply. " + " ".join(_split_long(s) for s in sentences[:3])
    if style == "cheerful":
        # "... help you with?" stays a question: "?!" reads as shouting
        return text if text.rstrip().endswith(("!", "?")) else text.rstrip().rstrip(".") + "!"
    return text


def _calm_punctuation(text: str) -> str:
    """"Great!" -> "Great."; "Really?!" -> "Really?"."""
    text = re.sub(r"\?!+|!+\?", "?", text)
    return re.sub(r"!+", ".", text)


def _split_long(sentence: str, limit: int = 14) -> str:
    """Break a long sentence at its first ", " / "; " past the middle into two."""
    words = sentence.split()
    if len(words) <= limit:
        return sentence
    half = len(" ".join(words[: len(words) // 2]))
    for sep in ("; ", ", then ", ", and ", ", "):
        cut = sentence.find(sep, half)
        if cut > 0:
            head, tail = sentence[:cut], sentence[cut + len(sep):]
            return f"{head}. {tail[:1].upper()}{tail[1:]}"
    return sentence


def prosody_for(style: str) -> Prosody:
    """TTS prosody of a style (``neutral`` for an unknown one)."""
    return PROSODY.get(style, PROSODY["neutral"])
