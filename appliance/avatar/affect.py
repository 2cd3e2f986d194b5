"""The face a reply is said with: the visitor's emotion, tempered by what the reply is.

The avatar mirrors the visitor's mood with sympathy (see :func:`motion.expression_for`),
but a reply about danger or a complaint is said with a concerned face whatever the
visitor's words sounded like: a calmly reported bag, or a sarcastic "great, the lift is
broken again", is never answered with a grin.
"""

from __future__ import annotations

from appliance.avatar.motion import Expression, clamp
from appliance.frames import Reply
from appliance.language.style import COMPLAINT_INTENTS, SUBDUED

CONCERNED = (-0.5, 0.6)
"""(valence, arousal) of the concerned face: inner brows up, corners a little down, alert."""
APOLOGETIC_VALENCE = -0.4
"""At most this valence for an apology or a complaint's answer."""
SUBDUED_VALENCE = 0.1
"""At most this for a calm, gentle or clear answer: a soft face, no beaming."""
QUIZZICAL_TILT = 0.7
"""One brow up this far while the kiosk asks back ("Did you mean Northgate?", "Which
station?") or says it is not sure: the face asks too."""
ASKING_BACK = ("dialog:clarify", "template:out_of_scope.unsure")


def reply_affect(reply: Reply) -> tuple[float, float]:
    """(valence, arousal) the avatar's face shows while saying ``reply``."""
    v, a = reply.emotion.valence, reply.emotion.arousal
    if reply.source.startswith("safety:") or reply.style == "urgent" \
            or reply.intent == "emergency":
        return CONCERNED
    if reply.style == "apologetic" or reply.intent in COMPLAINT_INTENTS:
        return min(v, APOLOGETIC_VALENCE), clamp(a, 0.3, 0.6)
    if reply.style in SUBDUED:
        return min(v, SUBDUED_VALENCE), a
    return v, a


def reply_tilt(reply: Reply) -> float:
    """How far one brow goes up while saying ``reply``: a question back to the visitor, never
    on a concerned face (danger, an apology)."""
    if reply.source.startswith(ASKING_BACK) and reply_affect(reply)[0] > APOLOGETIC_VALENCE:
        return QUIZZICAL_TILT
    return 0.0


def is_concerned(expr: Expression) -> bool:
    """True for a concerned face: inner brows up, mouth corners not up (no grin)."""
    return expr.brow_inner >= 0.4 and expr.smile <= 0.0
