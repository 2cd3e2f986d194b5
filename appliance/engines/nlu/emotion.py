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
from dataclasses import dataclass, field

from appliance.engines.nlu.base import VoiceFeatures
from appliance.frames import Emotion

LABELS = ("neutral", "happy", "frustrated", "anxious", "sad", "confused")
VALENCE = {"neutral": 0.0, "happy": 0.7, "frustrated": -0.6, "anxious": -0.45, "sad": -0.65,
           "confused": -0.2}
AROUSAL = {"neutral": 0.3, "happy": 0.6, "frustrated": 0.75, "anxious": 0.8, "sad": 0.2,
           "confused": 0.45}
URGENT_AROUSAL = 0.88
NEUTRAL_FLOOR = 0.9  # the evidence a feeling needs to beat "neutral" (the words alone)
MODEL_WEIGHT = 0.8  # the encoder head's probability of a feeling, as cue evidence
MODEL_NEUTRAL_WEIGHT = 0.2  # ... and of neutral (at 1.6 its vote drowned real cues on the dev set)

# cue phrase -> weight, per label (matched on normalised text, word boundaries)
CUES: dict[str, dict[str, float]] = {
    "happy": {"great": 1, "thanks": 0.6, "thank you": 0.6, "wonderful": 1.2, "love": 1,
              "awesome": 1.2, "perfect": 1.2, "brilliant": 1.2, "lovely": 1, "excited": 1.2,
              "happy": 1.2, "amazing": 1.2, "fantastic": 1.2, "nice": 0.7, "cool": 0.6,
              "yay": 1.2, "can't wait": 1.2, "fun": 0.8, "glad": 1, "good day": 0.8,
              "helpful": 0.8, "dying to": 1.2, "panic over": 1.6, "the bomb": 1.2,
              "hooray": 1.2, "cheers": 0.6, "enjoy": 0.8, "enjoyed": 0.8, "beautiful": 0.9,
              "thank you so much": 0.6, "thanks so much": 0.6, "saved my": 1.0,
              "lifesaver": 1.2, "you're a star": 1.2, "good morning": 0.4},
    "frustrated": {"ridiculous": 1.5, "useless": 1.5, "annoying": 1.3, "annoyed": 1.3,
                   "fed up": 1.5, "again": 0.6, "still": 0.5, "ugh": 1.3, "terrible": 1.2,
                   "not working": 0.9, "doesn't work": 0.9, "broken": 0.8, "waited": 0.9,
                   "waiting for ages": 1.4, "for ages": 1, "sick of": 1.5, "unacceptable": 1.5,
                   "joke": 0.8, "stupid": 1.4, "seriously": 1.1, "angry": 1.5,
                   "furious": 1.6, "rubbish": 1.3, "third time": 1.3, "every time": 0.9,
                   "wrong": 0.6, "ate my": 1, "took my money": 1, "charged twice": 0.8,
                   "not helping": 1.3, "damn": 1.3, "what the": 1.2, "always late": 1.3,
                   "killing me": 1.2, "losing my mind": 1.4, "drowning in": 0.9, "rude": 1.1,
                   "shut up": 1.4, "in circles": 1.1, "this century": 1.2, "just missed": 1.0,
                   "missed my stop": 1.0, "my money back": 1.0, "get me a human": 1.1,
                   "not a robot": 0.8, "death trap": 1.2, "a maze": 0.9, "how clever": 1.2,
                   "so long": 0.7, "broken down": 1.0, "for nothing": 1.0, "disgusting": 1.4,
                   "nightmare": 1.2,
                   "die of boredom": 1.2, "wasted": 1.0, "shoot": 0.5, "argh": 1.3},
    "anxious": {"worried": 1.5, "scared": 1.5, "afraid": 1.4, "nervous": 1.4, "hurry": 1.2,
                "quickly": 1.2, "quick": 0.6, "miss my": 1.4, "going to miss": 1.5,
                "late for": 1.2, "panic": 1.5, "urgent": 1.3, "urgently": 1.3, "help": 0.5,
                "emergency": 1.2, "asap": 1.2, "right now": 0.8, "in a rush": 1.3,
                "running late": 1.3, "flight": 0.6, "can't find my": 1.2, "missing": 0.9,
                "stressed": 1.4, "oh no": 1.3, "please help": 1.0, "what do i do": 1.0,
                "is it safe": 1.2, "heart's racing": 1.4, "heart is racing": 1.4,
                "make my connection": 1.0, "separated from": 1.2, "really bad": 0.6,
                "no data": 1.0, "no battery": 1.0, "phone is dying": 1.0, "phone's dying": 1.0,
                "recording me": 1.0, "desperate": 1.3, "freaking out": 1.5},
    "sad": {"sad": 1.5, "upset": 1.3, "crying": 1.5, "unfortunately": 0.8, "lonely": 1.5,
            "bad day": 1.3, "lost my": 0.8, "died": 1.5, "miss him": 1.4, "miss her": 1.4,
            "heartbroken": 1.6, "depressed": 1.5, "nobody": 0.8, "alone": 1.0, "sorry": 0.3,
            "awful day": 1.4, "gift from": 0.8, "can't afford": 1.0, "gone forever": 1.3,
            "feel down": 1.4, "sentimental": 1.0, "stolen": 1.0, "left my": 0.6,
            "lost his": 0.6, "lost her": 0.6, "perdí": 0.8, "perdi": 0.8,
            # despair: the safety engine calls staff; the feeling is sadness, not worry
            "don't want to be here anymore": 2.4, "can't do this anymore": 2.4,
            "can't go on": 2.4, "what's the point": 2.0, "want to die": 2.4,
            "kill myself": 2.4, "end it all": 2.4, "nobody would notice": 2.2,
            "no one would notice": 2.2, "nobody would care": 2.2, "better off without me": 2.4,
            "don't want to live": 2.4, "no quiero vivir": 2.4, "hopeless": 1.0},
    "confused": {"confused": 1.5, "confusing": 1.4, "don't understand": 1.5, "not sure": 0.9,
                 "what do you mean": 1.4, "don't know": 0.9, "huh": 1.2, "which one": 0.7,
                 "lost": 0.5, "i'm lost": 1.3, "makes no sense": 1.5, "how does": 0.6,
                 "no idea": 1.1, "which way": 0.6, "unclear": 1.3, "first time": 0.9,
                 "i thought": 0.8, "what does that mean": 1.4, "complicated": 1.2,
                 "puzzled": 1.5, "wait what": 1.4, "sorry what": 0.9, "so do i": 0.7,
                 "lost my way": 1.3, "still lost": 1.3, "we're lost": 1.3, "by mistake": 0.7,
                 "um": 0.6, "erm": 0.6, "uh": 0.5, "hmm": 0.6, "can you hear me": 0.9,
                 "did you say": 0.9, "slower please": 1.0, "say that again": 0.9,
                 "my app says": 0.8, "someone said": 0.6, "is that the": 0.5, "baffled": 1.5},
}

INTENT_PRIOR: dict[str, dict[str, float]] = {
    "emergency": {"anxious": 1.2},
    "refund": {"frustrated": 0.45},
    "help_human": {"frustrated": 0.25, "confused": 0.2},
    "thanks": {"happy": 0.2},
    "greeting": {"happy": 0.25},
    "farewell": {"happy": 0.3},
    "repeat": {"confused": 0.5},
    "lost_and_found": {"anxious": 0.2, "sad": 0.35},
    "stop": {"frustrated": 0.3},
    "service_status": {"frustrated": 0.1},
}

_CUE_RES = {label: [(p, re.compile(rf"(?<![\w']){re.escape(p)}(?![\w'])"), w)
                    for p, w in cues.items()] for label, cues in CUES.items()}

# Cues that need a pattern rather than a phrase: (label, pattern, weight).
_NUM = r"(?:\d+|a few|a couple of|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty)"
PATTERN_CUES: list[tuple[str, str, float]] = [
    # urgency: the visitor is late or short of time
    ("anxious", r"(?:i'm|i am|we're|we are) (?:so |really |very |already |a bit )?late\b", 1.5),
    ("anxious", r"(?:leaves|leaving|departs|departing|boards|boarding|closes|starts|goes)"
                r" in\b", 1.1),
    ("anxious", rf"\bin {_NUM} (?:min|mins|minute|minutes)\b", 0.6),
    ("anxious", r"\bmy (?:flight|plane|connection|interview|appointment|exam)\b", 0.5),
    ("anxious", r"\b(?:as soon as possible|no time|running out of time|right away|fast as)\b", 1.2),
    ("anxious", r"\b(?:hurry|hurrying|rushing|in a rush|quick quick)\b", 0.4),
    ("anxious", rf"\b(?:got|have|'ve got|only) (?:only )?{_NUM} (?:min|mins|minute|minutes)\b",
     1.0),
    ("anxious", r"\b(?:flight|plane|train|coach)(?:'s| is) at \d|\b\d+ ?(?:am|pm) flight\b", 0.9),
    ("anxious", r"\bphone(?:'s| is) (?:on \d+|dying|dead|about to die)", 1.1),
    # a late or broken service: a complaint, not the visitor's own hurry
    ("frustrated", r"\b(?:is|was|are|were|'s|always|again|still|running|got) (?:so )?"
                   r"(?:late|delayed|cancelled|canceled)\b", 0.7),
    ("frustrated", r"\bwhy (?:is|are|was|were|does|do) .*\b(?:delayed|late|cancelled|closed|"
                   r"broken|shut|slow)\b", 1.0),
    ("frustrated", r"\b(\w+) \1 \1\b|\bstop talking\b", 1.0),  # "stop stop stop"
    ("sad", r"\b(?:nobody|no one) would (?:even )?(?:notice|care|miss me)\b|\bcut myself\b|"
            r"\bhurt myself\b|\bswallowed (?:all )?(?:my|the) pills\b|"
            r"\bin front of (?:the|a) (?:next )?train\b", 2.4),
    ("frustrated", r"(?:^|\b(?:oh|aw|just|seriously|please|oh) )come on\b(?! (?:a|an|the|time|"
                   r"this|that|line|platform|board|in|at|over|through|mondays?|tuesdays?|"
                   r"wednesdays?|thursdays?|fridays?|saturdays?|sundays?|weekends?|weekdays?)\b)",
     1.1),
    ("frustrated", r"\b(?:yet another|once again|as usual|never works|never on time|"
                   r"no thanks to you|waste of time|typical|pathetic|hopeless|disgrace|"
                   r"worst|horrible|hate|how hard can it be|no help|not helpful|"
                   r"not much help|for the (?:second|third|fourth|fifth) time)\b", 1.3),
]
# Danger in the station: a visitor who reports it is frightened, whatever the intent engine
# says (the safety engine decides what to do; this is only how the visitor feels).
DANGER = (
    "knife", "gun", "stabbed", "weapon", "fighting", "punched", "attacked", "attacking",
    "kicking", "hitting", "robbed", "mugged", "fire", "flames", "burning", "smoke", "smoky",
    "collapsed", "unconscious", "fainted", "passed out", "not breathing", "can't breathe",
    "bleeding", "seizure", "chest pain", "heart attack", "choking", "going blue",
    "following me", "followed me", "touching me", "won't leave me alone", "harassing",
    "trapped", "stuck in the lift", "stuck in the elevator", "caught in the door",
    "on the tracks", "onto the tracks", "unattended", "suspicious", "ticking", "beeping",
    "wires", "bomb", "help help", "somebody help", "someone help", "call the police",
    "ambulance", "socorro", "ayuda", "au secours", "hilfe", "aiuto", "pomoc", "bachao",
    "помогите", "救命", "助けて", "도와주세요")
PATTERN_CUES.append(
    ("anxious", r"(?<![\w'])(?:" + "|".join(re.escape(d) for d in DANGER) + r")(?![\w'])", 1.3))
_PATTERN_RES = [(label, re.compile(p), w) for label, p, w in PATTERN_CUES]

# A negator up to NEGATION_WINDOW words before a cue flips a positive cue (to frustrated)
# and cancels any other; a clause break ("but") ends its reach.
NEGATORS = frozenset({
    "not", "never", "no", "don't", "doesn't", "didn't", "isn't", "wasn't", "aren't", "weren't",
    "won't", "can't", "cannot", "couldn't", "wouldn't", "haven't", "hasn't", "hardly", "barely",
    "nothing", "nor", "without", "ain't"})
_CLAUSE_BREAKS = frozenset({"but", "though", "although", "however", "except"})
NEGATION_WINDOW = 3
_NO_FLIP = frozenset({"thanks", "thank you", "cool", "fun"})  # "no thanks" is polite, not angry

# Sarcasm: praise said of a bad situation is a complaint.
POSITIVE_WORDS = ("great", "wonderful", "fantastic", "brilliant", "perfect", "lovely", "love",
                  "amazing", "awesome", "marvellous", "marvelous", "terrific", "superb",
                  "excellent", "splendid", "fabulous", "super", "nice", "good job", "well done",
                  "thanks a lot", "thanks a bunch", "thank you so much", "just what i needed",
                  "just what i need", "exactly what i needed", "my favourite", "my favorite")
_POSITIVE = "|".join(re.escape(w) for w in POSITIVE_WORDS)
_SARCASM_ALWAYS = re.compile(
    r"\b(?:thanks for nothing|thank you for nothing|yeah right|yeah sure|oh sure|oh joy|"
    r"what a surprise|surprise surprise|no thanks to you|love that for me|story of my life|"
    r"just (?:great|perfect|brilliant|wonderful|fantastic|lovely|marvellous|super)|"
    r"how (?:wonderful|lovely|nice|great|convenient))\b")
_INTERJECTION = re.compile(rf"(?:^|\b(?:oh|ah|well|so|yeah|wow|really) )(?:{_POSITIVE})\b")
_POSITIVE_RE = re.compile(rf"(?<![\w']){_POSITIVE}(?![\w'])")
NEGATIVE_CONTEXT = (
    "delay", "delays", "delayed", "late", "again", "another", "broken", "cancelled", "canceled",
    "cancellation", "queue", "queues", "queueing", "queuing", "waiting", "waited", "wait",
    "stuck", "out of order", "closed", "strike", "missed", "not working", "doesn't work",
    "won't work", "isn't working", "ate my", "charged twice", "crowded", "packed",
    "replacement bus", "no trains", "diverted", "failed", "lost my", "rain", "soaked",
    "for ages", "an hour", "problem", "fault", "faulty", "wrong", "twice")
_NEG_CONTEXT_RE = re.compile(
    r"(?<![\w'])(?:" + "|".join(re.escape(w) for w in NEGATIVE_CONTEXT) + r")(?![\w'])")
_GOOD_AGAIN = re.compile(r"\b(?:working|open|running|back|on|see you|come|again and again) again\b"
                         r"|\bi'm (?:so |really |very |already )?late\b"
                         r"|\blate (?:trains?|night|services?|opening|evening)\b")
_SCARE_QUOTES = re.compile(
    r"(?<!\w)[\"“‘'](?:" + _POSITIVE + r"|helpful|help|service|fast|quick|express|reliable|"
    r"on time|working|customer service|information|assistance)[\"”’'](?!\w)", re.I)


def _preceding(text: str, pos: int) -> list[str]:
    words = text[:pos].split()[-NEGATION_WINDOW:]
    for i in range(len(words) - 1, -1, -1):
        if words[i] in _CLAUSE_BREAKS:
            return words[i + 1:]
    return words


def negated(text: str, pos: int) -> bool:
    """Whether a negator stands within a few words before position ``pos`` of ``text``."""
    return any(w in NEGATORS or w.endswith("n't") for w in _preceding(text, pos))


def is_sarcastic(text: str, raw: str | None = None) -> bool:
    """Praise in a negative context ("oh wonderful, yet another delay"), normalised ``text``.

    ``raw`` (the text before normalisation, when there is one) adds scare quotes around a
    positive word ('so "helpful"').
    """
    if raw and _SCARE_QUOTES.search(raw):
        return True
    if _SARCASM_ALWAYS.search(text):
        return True
    praise = [m for m in _POSITIVE_RE.finditer(text) if not negated(text, m.start())]
    if not praise:
        return False
    masked = _GOOD_AGAIN.sub(" ", text)
    context = [m for m in _NEG_CONTEXT_RE.finditer(masked) if not negated(masked, m.start())]
    return bool(context)


@dataclass
class Reading:
    """What the words say: evidence per label and the rules that fired."""

    scores: dict[str, float]
    sarcastic: bool = False
    urgent: bool = False
    negated: set[str] = field(default_factory=set)  # labels whose only cues were negated


EMOJI: dict[str, str] = {
    **dict.fromkeys("😀😃😄😁😊🙂😍🥰🥳👍🎉❤😂", "happy"),
    **dict.fromkeys("😢😭😞😔☹🙁💔", "sad"),
    **dict.fromkeys("😠😡🤬😤🙄👎", "frustrated"),
    **dict.fromkeys("😰😱😨😟😬", "anxious"),
    **dict.fromkeys("😕🤔😵❓", "confused"),
}
_MASKS = [  # phrases whose cue word means something else here
    (re.compile(r"\b(?:emergency|fire) (?:exits?|doors?|stairs?|escapes?|button|phone|intercom|"
                r"drills?|alarms?|extinguishers?)\b"), "exit"),
    (re.compile(r"\b(?:have|having|for|grab) a (?:smoke|cigarette)\b|\bsmoking area\b"), "break"),
    (re.compile(r"\b(was|is|'s|were|are) (?:the|da) bomb\b"), r"\1 brilliant"),  # praise
    (re.compile(r"\b(card|machine|line|lift|escalator|gate|ticket|reader|app)\b((?: \w+){0,3}) "
                r"(?:died|dead)\b"), r"\1\2 broken down"),  # "my card just died"
]


def _raw_cues(raw: str, scores: dict[str, float]) -> None:
    """What normalising drops: emoji, and exclamation marks (typed text only)."""
    for ch in raw:
        if ch in EMOJI:
            scores[EMOJI[ch]] += 1.2
    if "!" in raw:
        strongest = max(("frustrated", "anxious", "sad", "confused"), key=lambda k: scores[k])
        if scores[strongest] > 0:
            scores[strongest] += 0.4  # "!!" makes a bad feeling stronger
        elif "?" not in raw.split("!")[0]:
            scores["happy"] += 0.4  # "hi!", "we're going to the zoo!"


def read_text(text: str, raw: str | None = None) -> Reading:
    """Cue evidence per label from normalised ``text``, with negation, sarcasm and urgency.

    ``raw``, the text before normalisation where there is one, adds what normalising drops:
    emoji, exclamation marks, scare quotes.
    """
    scores = dict.fromkeys(LABELS, 0.0)
    for rx, repl in _MASKS:  # the emergency exit is a place, a dead card is a broken one
        text = rx.sub(repl, text)
    cancelled: set[str] = set()
    for label, cues in _CUE_RES.items():
        for phrase, rx, weight in cues:
            hits = [m.start() for m in rx.finditer(text)]
            if not hits:
                continue
            if any(not negated(text, pos) for pos in hits):
                scores[label] += weight
            elif label == "happy" and phrase not in _NO_FLIP:
                scores["frustrated"] += max(1.2, weight)  # "not happy at all", "never helpful"
                cancelled.add(label)
            else:
                cancelled.add(label)  # "not worried", "no thanks"
    urgent = False
    for label, rx, weight in _PATTERN_RES:
        m = rx.search(text)
        if m and not negated(text, m.start()):
            scores[label] += weight
            urgent |= label == "anxious"
    urgent |= any(rx.search(text) for rx in _URGENT_RES)
    if raw:
        _raw_cues(raw, scores)
    sarcastic = is_sarcastic(text, raw)
    if sarcastic:
        scores["frustrated"] += max(1.5, scores["happy"])
        scores["happy"] = 0.0
        cancelled.add("happy")
    return Reading(scores, sarcastic=sarcastic, urgent=urgent,
                   negated={lb for lb in cancelled if scores[lb] <= 0})


_URGENT_RES = [re.compile(rf"(?<![\w']){re.escape(p)}(?![\w'])") for p in
               ("hurry", "quickly", "asap", "urgent", "urgently", "in a rush", "running late",
                "going to miss", "miss my")]


def text_scores(text: str, raw: str | None = None) -> dict[str, float]:
    """Cue-lexicon evidence per label from normalised text (0 = no cue)."""
    return read_text(text, raw).scores


def voice_arousal(voice: VoiceFeatures | None) -> float | None:
    """Arousal 0..1 from loudness, pitch and rate; None when there is no voice."""
    if voice is None or (voice.words_per_s <= 0 and voice.pitch_hz <= 0):
        return None
    loud = math.tanh((voice.energy_dbfs + 24.0) / 8.0)          # -24 dBFS is normal speech
    pitch = math.tanh((voice.pitch_hz - 170.0) / 60.0) if voice.pitch_hz > 0 else 0.0
    rate = math.tanh((voice.words_per_s - 2.6) / 0.9) if voice.words_per_s > 0 else 0.0
    return min(1.0, max(0.0, 0.4 + 0.22 * loud + 0.14 * pitch + 0.18 * rate))


def combine(text: str, intent: str, voice: VoiceFeatures | None = None,
            model_probs: dict[str, float] | None = None, raw: str | None = None) -> Emotion:
    """Fuse text cues, model probabilities, the intent prior and the voice into an Emotion.

    ``text`` is normalised; ``raw``, when given, is the visitor's text as typed (quotes kept).
    """
    reading = read_text(text, raw)
    scores = reading.scores
    if model_probs:
        model_probs = dict(model_probs)
        if reading.sarcastic or "happy" in reading.negated:  # the words' praise is not meant
            model_probs["frustrated"] = (model_probs.get("frustrated", 0.0)
                                         + model_probs.pop("happy", 0.0))
        for label in reading.negated - {"happy"}:  # "i'm not worried": not anxious
            model_probs["neutral"] = model_probs.get("neutral", 0.0) + model_probs.pop(label, 0.0)
        for label, p in model_probs.items():
            if label != "neutral":
                scores[label] += MODEL_WEIGHT * max(0.0, p - 0.15)
    for label, w in INTENT_PRIOR.get(intent, {}).items():
        scores[label] += w
    scores["neutral"] = NEUTRAL_FLOOR + (MODEL_NEUTRAL_WEIGHT * model_probs.get("neutral", 0.0)
                                         if model_probs else 0.0)
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
    if label == "anxious" and reading.urgent:  # short of time: keyed up
        arousal = max(arousal, URGENT_AROUSAL)
    if label in ("frustrated", "anxious", "sad"):  # never a positive valence on a bad feeling
        valence = min(valence, VALENCE[label] / 2)
    if v_arousal is not None:
        arousal = 0.5 * arousal + 0.5 * v_arousal
    return Emotion(label=label, valence=max(-1.0, min(1.0, valence)),
                   arousal=max(0.0, min(1.0, arousal)))
