"""The avatar as numbers: :class:`AvatarState` turns a time into an :class:`AvatarPose`.

The state holds what the pipeline told the avatar (the reply being spoken with its
visemes and gestures, the emotion to show, where the visitor stands, the mode) on
one clock (seconds, usually ``time.monotonic()`` or a video's frame time).
:meth:`AvatarState.pose_at` is a pure function of that state and ``t``: no
pixels, no wall clock, so tests check lip-sync, gaze and gestures with numbers
and the renderer draws whatever pose it is handed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from appliance.avatar.motion import (
    BlinkSchedule,
    Ease,
    Expression,
    breathing,
    clamp,
    envelope,
    expression_for,
    gaze_from_bearing,
    micro_motion,
)
from appliance.avatar.text2action import RELAX_S, GestureCue
from appliance.avatar.visemes import REST, Envelope, MouthShape, MouthTrack
from appliance.frames import VisemeCue, WordTiming

MODES = ("idle", "listening", "thinking", "speaking", "attract", "out_of_service")


@dataclass(frozen=True)
class AvatarPose:
    """Everything the renderer needs for one frame."""

    mouth: MouthShape = REST
    expression: Expression = field(default_factory=Expression)
    blink: float = 0.0
    """Lid closure 0 (open) .. 1 (shut)."""
    gaze_x: float = 0.0
    """Eyes, -1 screen left .. 1 screen right."""
    gaze_y: float = 0.0
    """Eyes, -1 up .. 1 down."""
    head_x: float = 0.0
    """Head drift, in head widths (small, about +-0.03)."""
    head_y: float = 0.0
    head_roll_deg: float = 0.0
    head_yaw: float = 0.0
    """Head turn, -1 (toward screen left) .. 1."""
    head_pitch: float = 0.0
    """Nod, 0 level .. 1 chin down."""
    breath: float = 0.0
    """Chest rise -1..1."""
    gesture: str = ""
    """The arm gesture in progress (``point_left`` ... ``open_hand``), or empty."""
    gesture_weight: float = 0.0
    """How far into the gesture the arm is, 0 rest .. 1 full stroke."""
    gesture_time: float = 0.0
    """Seconds since the gesture's stroke (negative before it), for waving."""
    mode: str = "idle"


@dataclass
class ReplyTrack:
    """One reply being spoken, on the state's clock from ``start``."""

    start: float
    mouth: MouthTrack
    gestures: list[GestureCue]
    words: list[WordTiming]
    duration: float
    text: str = ""

    @property
    def end(self) -> float:
        return self.start + self.duration


EXPRESSION_EASE_S = 0.6
GAZE_EYES_S = 0.09
GAZE_HEAD_S = 0.7


class AvatarState:
    """What the avatar is doing, fed by events, queried by time."""

    def __init__(self, seed: int = 7) -> None:
        self.seed = seed
        self.blinks = BlinkSchedule(seed)
        self.mode = "idle"
        self.reply: ReplyTrack | None = None
        self._expr_from = expression_for(0.2, 0.3)
        self._expr_to = self._expr_from
        self._expr_t0 = 0.0
        self._gaze_eyes = Ease(0.0, 0.0, 0.0, 0.0)
        self._gaze_head = Ease(0.0, 0.0, 0.0, 0.0)

    # --- events ------------------------------------------------------------

    def speak(self, start: float, cues: Sequence[VisemeCue],
              gestures: Sequence[GestureCue] = (), words: Sequence[WordTiming] = (),
              duration: float | None = None, text: str = "",
              envelope: Envelope | None = None) -> ReplyTrack:
        """Start a reply at ``start``; cue, gesture and word times are from its start."""
        track = MouthTrack(cues, envelope)
        dur = duration if duration is not None else max(track.end, 0.0)
        self.reply = ReplyTrack(start, track, list(gestures), list(words), dur, text)
        self.mode = "speaking"
        return self.reply

    def interrupt(self, t: float, heard: float | None = None) -> None:
        """Stop speaking at ``t`` (``heard`` s into the reply, when the audio clock knows)."""
        reply = self.reply
        if reply is None:
            return
        local = self.local_time(t, heard)
        cues = [VisemeCue(c.viseme, c.start, min(c.end, local)) for c in reply.mouth.cues
                if c.start < local]
        gestures = [GestureCue(g.kind, g.start, min(g.apex, local), min(g.end, local + RELAX_S),
                               g.word) for g in reply.gestures if g.start < local]
        words = [w for w in reply.words if w.start < local]
        self.reply = ReplyTrack(reply.start, MouthTrack(cues, reply.mouth.envelope), gestures,
                                words, max(0.0, local), reply.text)
        self.mode = "listening"

    def set_emotion(self, valence: float, arousal: float, t: float) -> None:
        """Show this emotion, easing from the current face over ~0.6 s."""
        self._expr_from = self.expression_at(t)
        self._expr_to = expression_for(valence, arousal)
        self._expr_t0 = t

    def look_at(self, bearing_deg: float | None, t: float) -> None:
        """Turn eyes (fast) and head (slowly) toward a bearing; None looks ahead."""
        gx = 0.0 if bearing_deg is None else gaze_from_bearing(bearing_deg)
        self._gaze_eyes = self._gaze_eyes.retarget(gx, t, GAZE_EYES_S)
        self._gaze_head = self._gaze_head.retarget(gx, t, GAZE_HEAD_S)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown avatar mode {mode!r}; one of {', '.join(MODES)}")
        self.mode = mode

    # --- queries -------------------------------------------------------------

    def expression_at(self, t: float) -> Expression:
        k = clamp((t - self._expr_t0) / EXPRESSION_EASE_S)
        return self._expr_from.lerp(self._expr_to, k * k * (3 - 2 * k))

    def speaking_at(self, t: float) -> bool:
        r = self.reply
        return r is not None and r.start <= t < r.end

    def local_time(self, t: float, heard: float | None = None) -> float:
        """Seconds into the current reply at ``t``: ``heard`` (the audio clock) when given."""
        r = self.reply
        if heard is not None:
            return heard
        return t - r.start if r is not None else 0.0

    def current_word(self, t: float, heard: float | None = None) -> int:
        """Index of the word being spoken at ``t`` (-1 before the first)."""
        r = self.reply
        if r is None:
            return -1
        local = self.local_time(t, heard)
        idx = -1
        for i, w in enumerate(r.words):
            if w.start <= local:
                idx = i
            else:
                break
        return idx

    def _gesture_at(self, local: float, nod: bool) -> tuple[str, float, float]:
        """(kind, weight, seconds since the stroke) of the arm gesture or nod at ``local``."""
        r = self.reply
        if r is None:
            return "", 0.0, 0.0
        for g in r.gestures:
            if (g.kind == "nod") == nod and g.start < local < g.end:
                relax = min(RELAX_S, max(0.05, g.end - g.apex))
                return g.kind, envelope(local, g.start, g.apex, g.end, relax), local - g.apex
        return "", 0.0, 0.0

    def pose_at(self, t: float, heard: float | None = None) -> AvatarPose:
        """The pose at ``t`` (seconds on the state's clock).

        ``heard`` is the audio clock's position in the current reply: when given, the
        lips, words and gestures follow it rather than ``t - reply.start``.
        """
        r = self.reply
        local = self.local_time(t, heard)
        mouth = r.mouth.shape_at(local) if r is not None else REST
        expr = self.expression_at(t)
        kind, weight, since = self._gesture_at(local, nod=False)
        _, nod_weight, nod_since = self._gesture_at(local, nod=True)
        mx, my, mr = micro_motion(t, self.seed)
        talking = self.speaking_at(t)
        energy = 1.6 if talking else 1.0
        head_x = 0.012 * mx * energy
        head_y = 0.010 * my * energy + (0.012 * mouth.open if talking else 0.0)
        roll = 2.0 * mr * energy
        pitch = 0.0
        if nod_weight > 0:
            x = clamp((nod_since + 0.22) / 0.6)
            pitch = math.sin(math.pi * x) * nod_weight
        if self.mode == "listening":
            roll += 3.0
        gaze_x = self._gaze_eyes.at(t)
        head_yaw = 0.45 * self._gaze_head.at(t)
        if kind == "point_left":
            gaze_x = gaze_x * (1 - weight) - 0.8 * weight
        elif kind == "point_right":
            gaze_x = gaze_x * (1 - weight) + 0.8 * weight
        return AvatarPose(
            mouth=mouth,
            expression=expr,
            blink=self.blinks.closure_at(t),
            gaze_x=gaze_x,
            gaze_y=0.08 * my,
            head_x=head_x,
            head_y=head_y,
            head_roll_deg=roll,
            head_yaw=head_yaw,
            head_pitch=pitch,
            breath=breathing(t),
            gesture=kind,
            gesture_weight=weight,
            gesture_time=since,
            mode=self.mode,
        )
