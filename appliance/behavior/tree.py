"""What the avatar does next: a behaviour tree over the kiosk states, as a pure function.

``decide(state, events, now) -> Decision`` takes the previous :class:`BehaviorState`,
the events since the last tick and the monotonic time, and returns the next state
with the gesture, facial expression and optional line to say. Nothing else is read
(no clock, no I/O), so a whole visit can be replayed with plain numbers in a test.

The tree is a priority selector; the first branch whose condition holds acts:

1. emergency  - a safety alert: urgent face, point to help; ends when staff clear it, after
                ``EMERGENCY_TIMEOUT_S`` with staff informed, or (no fleet link: nobody could
                clear it) once the alert line has been said. Never stuck.
2. handoff    - help_human / repeated failure: call staff, wait (with a timeout)
3. speak      - a reply is being spoken: talk gestures matching the reply's style
4. think      - the visitor finished; the answer is being prepared
5. listen     - the visitor is speaking: attentive face, nod
6. farewell   - the visitor left or said goodbye: wave, then attract
7. greet      - someone approached and engaged: wave + greeting line (with a cooldown)
8. attract    - nobody here: idle animations, an inviting line now and then
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

STATES = ("attract", "greet", "listen", "think", "speak", "farewell", "handoff", "emergency")
GREET_COOLDOWN_S = 20.0
"""No second greeting for this long after one (someone lingering is not greeted twice)."""
FAREWELL_S = 3.0
ATTRACT_LINE_EVERY_S = 45.0
HANDOFF_TIMEOUT_S = 120.0
IDLE_TIMEOUT_S = 30.0
"""An engaged visitor who says nothing for this long is bid farewell."""
FAILS_BEFORE_HANDOFF = 2
EMERGENCY_TIMEOUT_S = 300.0
"""An emergency nobody cleared ends after this long (staff were informed when it began)."""


@dataclass(frozen=True)
class Event:
    """Something that happened: ``kind`` is one of

    ``approached``, ``engaged``, ``left`` (presence), ``speech_started``,
    ``speech_ended``, ``understood`` (with ``intent`` and ``emotion``),
    ``reply_started`` (with ``style``), ``reply_done``, ``staff_arrived``, ``cleared``,
    ``alert`` (the dialogue called staff for a danger).
    """

    kind: str
    intent: str = ""
    emotion: str = "neutral"
    style: str = "neutral"


@dataclass(frozen=True)
class BehaviorState:
    state: str = "attract"
    since: float = 0.0
    present: bool = False
    engaged: bool = False
    last_greet: float = -1e9
    last_attract_line: float = -1e9
    last_activity: float = 0.0
    fails: int = 0
    pending: str = ""  # a state to enter when the current reply finishes
    emotion: str = "neutral"  # the visitor's last understood emotion
    staff_link: bool = True
    """Staff can acknowledge an emergency (the kiosk is enrolled in a fleet)."""


@dataclass(frozen=True)
class Decision:
    state: BehaviorState
    gesture: str = "idle"
    expression: str = "neutral"
    say: str = ""
    actions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return self.state.state


EXPRESSION_FOR_EMOTION = {"happy": "smile", "frustrated": "concerned", "anxious": "reassuring",
                          "sad": "sympathetic", "confused": "attentive", "neutral": "friendly"}
GESTURE_FOR_STYLE = {"cheerful": "open_arms", "calm": "slow_nod", "apologetic": "hand_on_chest",
                     "gentle": "slow_nod", "clear": "point_screen", "urgent": "point_help",
                     "neutral": "talk"}


def _enter(s: BehaviorState, state: str, now: float, **kw: object) -> BehaviorState:
    return replace(s, state=state, since=now, **kw)  # type: ignore[arg-type]


def _absorb(s: BehaviorState, events: list[Event], now: float) -> BehaviorState:
    """Update the facts (presence, failures) the branches test."""
    for e in events:
        if e.kind == "approached":
            s = replace(s, present=True, last_activity=now)
        elif e.kind == "engaged":
            s = replace(s, present=True, engaged=True, last_activity=now)
        elif e.kind == "left":
            s = replace(s, present=False, engaged=False)
        elif e.kind in ("speech_started", "speech_ended", "reply_done"):
            s = replace(s, last_activity=now)
        elif e.kind == "understood":
            fails = s.fails + 1 if e.intent == "out_of_scope" else 0
            s = replace(s, fails=fails, last_activity=now, emotion=e.emotion)
    return s


def decide(prev: BehaviorState, events: list[Event], now: float) -> Decision:
    """One tick of the tree: the next state, gesture, expression and line."""
    kinds = {e.kind for e in events}
    understood = next((e for e in reversed(events) if e.kind == "understood"), None)
    reply = next((e for e in reversed(events) if e.kind == "reply_started"), None)
    s = _absorb(prev, events, now)

    # 1. emergency: entered on a safety alert; it always ends
    if "alert" in kinds or s.state == "emergency":
        over = "cleared" in kinds or now - s.since >= EMERGENCY_TIMEOUT_S \
            or (not s.staff_link and "reply_done" in kinds)
        if s.state == "emergency" and over and "alert" not in kinds:
            return Decision(_enter(s, "listen" if s.present else "attract", now, fails=0),
                            "idle", "neutral")
        if s.state != "emergency":
            s = _enter(s, "emergency", now)
        return Decision(s, "point_help", "alert", actions=("alert_staff",)
                        if s.since == now else ())

    # 2. handoff to staff
    wants_staff = understood is not None and understood.intent == "help_human"
    if wants_staff or s.fails >= FAILS_BEFORE_HANDOFF or s.state == "handoff" \
            or (s.pending == "handoff" and "reply_done" in kinds):
        if s.state == "handoff":
            if "staff_arrived" in kinds or now - s.since > HANDOFF_TIMEOUT_S \
                    or "left" in kinds:
                return Decision(_enter(s, "attract", now, fails=0, pending=""), "wave",
                                "friendly")
            return Decision(s, "wait", "friendly")
        if (reply is None and s.state != "speak") or s.pending == "handoff":
            s = _enter(s, "handoff", now, pending="", fails=0)
            return Decision(s, "beckon_staff", "reassuring", actions=("page_staff",))
        s = replace(s, pending="handoff")  # say the reply first, then hand off

    # 3. speak
    if reply is not None or (s.state == "speak" and "reply_done" not in kinds):
        if s.state != "speak":
            s = _enter(s, "speak", now)
        style = reply.style if reply else "neutral"
        return Decision(s, GESTURE_FOR_STYLE.get(style, "talk"),
                        EXPRESSION_FOR_EMOTION.get(s.emotion, "friendly"))

    if s.state == "speak" and "reply_done" in kinds:
        if understood is None and s.pending == "farewell":
            return Decision(_enter(s, "farewell", now, pending=""), "wave", "smile")
        s = _enter(s, "listen" if s.present else "farewell", now)
        return Decision(s, "nod" if s.present else "wave", "friendly")

    # 4. think: the visitor finished, the answer is being prepared
    if "speech_ended" in kinds or understood is not None:
        if understood is not None and understood.intent == "farewell":
            s = replace(s, pending="farewell")
        return Decision(_enter(s, "think", now), "think", "thinking")
    if s.state == "think":
        return Decision(s, "think", "thinking")

    # 5. listen
    if "speech_started" in kinds or (s.state == "listen" and s.present
                                     and now - s.last_activity < IDLE_TIMEOUT_S):
        if s.state != "listen":
            s = _enter(s, "listen", now)
        return Decision(s, "lean_in" if "speech_started" in kinds else "nod", "attentive")

    # 6. farewell
    in_visit = prev.state in ("greet", "listen", "think", "speak")
    if s.state == "farewell" or ("left" in kinds and in_visit) or \
            (s.state == "listen" and now - s.last_activity >= IDLE_TIMEOUT_S):
        if s.state != "farewell":
            return Decision(_enter(s, "farewell", now, fails=0), "wave", "smile",
                            say="Goodbye, have a safe journey!" if s.present else "")
        if now - s.since >= FAREWELL_S:
            return Decision(_enter(s, "attract", now, emotion="neutral"), "idle", "neutral")
        return Decision(s, "wave", "smile")

    # 7. greet
    if s.present and s.engaged and s.state in ("attract", "greet"):
        if s.state == "greet":
            return Decision(_enter(s, "listen", now), "nod", "attentive")
        if now - s.last_greet >= GREET_COOLDOWN_S:
            s = _enter(s, "greet", now, last_greet=now)
            return Decision(s, "wave", "smile", say="Hello! How can I help you today?")
        return Decision(_enter(s, "listen", now), "nod", "attentive")

    # 8. attract
    if s.state != "attract":
        s = _enter(s, "attract", now)
    if now - s.last_attract_line >= ATTRACT_LINE_EVERY_S and not s.present:
        s = replace(s, last_attract_line=now)
        return Decision(s, "beckon", "friendly", say="Need help with your journey? Just ask me!")
    return Decision(s, "idle", "neutral")
