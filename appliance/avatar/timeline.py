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
from dataclasses import dataclass, field, replace

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
    saccade_at,
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


PERFORM_S: dict[str, float] = {
    "wave": 2.6, "beckon": 2.6, "beckon_staff": 3.4, "point_help": 3.2, "point_screen": 2.8,
    "hand_on_chest": 2.8, "open_arms": 2.4, "talk": 2.2, "think": 6.0, "open_hand": 2.4,
    "point_left": 2.4, "point_right": 2.4, "point_ahead": 2.2, "point_media": 2.4,
    "nod": 0.7, "slow_nod": 1.4, "lean_in": 2.0,
}
"""How long each behaviour-tree gesture lasts, preparation to rest."""
HEAD_GESTURES = frozenset({"nod", "slow_nod", "lean_in"})

EXPRESSION_EASE_S = 0.6
ACK_NOD_S = 0.6
"""A listening nod (the visitor paused): down and back up in this long."""
ACK_NOD_PITCH = 0.45
"""Its depth (``head_pitch`` at the bottom): smaller than a decided ``nod`` (1.0)."""
ACK_GAP_S = 1.2
"""At most one listening nod per this long: a nod at every breath reads as a tic."""
LISTEN_BROW = 0.12
"""Brows a little up while listening: interest."""
LISTEN_LEAN = 0.006
"""Head a little lower and forward while listening (in head widths)."""
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
        self._performed: GestureCue | None = None
        self._ack_t: float | None = None  # start of the last listening nod
        self.media_gaze: tuple[float, float] = (0.35, 0.8)
        """Where the eyes go while pointing at the answer card (``point_media``), in gaze
        units: the scene sets it from its layout (down on portrait, aside on landscape)."""

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

    def set_emotion(self, valence: float, arousal: float, t: float, tilt: float = 0.0) -> None:
        """Show this emotion, easing from the current face over ~0.6 s; ``tilt`` lifts one
        brow (a question back to the visitor)."""
        self._expr_from = self.expression_at(t)
        self._expr_to = replace(expression_for(valence, arousal), brow_tilt=clamp(tilt))
        self._expr_t0 = t

    def look_at(self, bearing_deg: float | None, t: float) -> None:
        """Turn eyes (fast) and head (slowly) toward a bearing; None looks ahead."""
        gx = 0.0 if bearing_deg is None else gaze_from_bearing(bearing_deg)
        self._gaze_eyes = self._gaze_eyes.retarget(gx, t, GAZE_EYES_S)
        self._gaze_head = self._gaze_head.retarget(gx, t, GAZE_HEAD_S)

    def looking_at(self, t: float) -> float:
        """Where the eyes are turned at ``t`` (gaze units), before the small saccades."""
        return self._gaze_eyes.at(t)

    def acknowledge(self, t: float) -> bool:
        """The visitor paused while speaking: a small nod from ``t`` (a listener's "mm").

        Only while listening or idle (never over its own reply), and at most one per
        :data:`ACK_GAP_S`. Its own channel: a ``lean_in`` the behaviour tree decided
        stays. Returns whether the avatar nods.
        """
        if self.mode not in ("listening", "idle"):
            return False
        if self._ack_t is not None and 0.0 <= t - self._ack_t < ACK_GAP_S:
            return False
        self._ack_t = t
        return True

    def _ack_pitch(self, t: float) -> float:
        if self._ack_t is None or not 0.0 < t - self._ack_t < ACK_NOD_S:
            return 0.0
        return ACK_NOD_PITCH * math.sin(math.pi * (t - self._ack_t) / ACK_NOD_S)

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

    def perform(self, kind: str, t: float) -> None:
        """Do a gesture the behaviour tree decided, from ``t`` (its own channel).

        Arm gestures of the reply (Text2Action, from its content) take precedence
        while they play; head gestures (``nod``, ``slow_nod``, ``lean_in``) nod or lean.
        """
        length = PERFORM_S.get(kind)
        if length is None:
            self._performed = None  # idle, wait: arms back to rest
            return
        apex = min(0.45, length / 3)
        self._performed = GestureCue(kind, t, t + apex, t + length, "")

    def _performed_at(self, t: float) -> tuple[str, float, float]:
        g = self._performed
        if g is None or not g.start < t < g.end:
            return "", 0.0, 0.0
        relax = min(RELAX_S, max(0.05, g.end - g.apex))
        return g.kind, envelope(t, g.start, g.apex, g.end, relax), t - g.apex

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
        p_kind, p_weight, p_since = self._performed_at(t)
        if p_kind in HEAD_GESTURES:
            if p_weight > nod_weight:
                nod_weight, nod_since = p_weight, p_since
                if p_kind == "slow_nod":
                    nod_since *= 0.5
        elif p_kind and weight < 0.05:  # the reply's own gesture wins while it plays
            kind, weight, since = p_kind, p_weight, p_since
        mx, my, mr = micro_motion(t, self.seed)
        talking = self.speaking_at(t)
        energy = 1.6 if talking else 1.0
        loud = 0.0
        if talking and r is not None and r.mouth.envelope is not None:
            loud = r.mouth.envelope.at(local - 0.05)  # the head follows stressed syllables
        head_x = 0.012 * mx * energy
        head_y = 0.010 * my * energy + 0.008 * mouth.open + 0.006 * loud
        roll = 2.0 * mr * energy
        pitch = 0.15 * loud
        if nod_weight > 0:
            x = clamp((nod_since + 0.22) / 0.6)
            pitch += math.sin(math.pi * x) * nod_weight
        pitch += self._ack_pitch(t)
        sac_x, sac_y = saccade_at(t, self.seed)
        if self.mode == "listening":  # eyes stay on the visitor: smaller saccades
            sac_x, sac_y = 0.4 * sac_x, 0.4 * sac_y
        gaze_x = self._gaze_eyes.at(t) + sac_x
        gaze_y = 0.08 * my + sac_y
        head_yaw = 0.45 * self._gaze_head.at(t)
        brow = 0.0
        if self.mode == "listening":  # a slight tilt, lean and raised brows: attentive
            roll += 3.0
            head_y += LISTEN_LEAN
            brow = LISTEN_BROW
            if p_kind == "lean_in":
                head_y += 0.01 * p_weight
        elif self.mode == "thinking":  # eyes up and aside, a slight tilt: working it out
            gaze_x, gaze_y = 0.55 + 0.3 * sac_x, -0.75
            roll -= 4.0
            brow = 0.35
        if kind == "point_left":
            gaze_x = gaze_x * (1 - weight) - 0.8 * weight
        elif kind == "point_right":
            gaze_x = gaze_x * (1 - weight) + 0.8 * weight
        elif kind == "point_screen":
            gaze_y = gaze_y * (1 - weight) + 0.8 * weight
        elif kind == "point_media":
            gaze_x = gaze_x * (1 - weight) + self.media_gaze[0] * weight
            gaze_y = gaze_y * (1 - weight) + self.media_gaze[1] * weight
        if brow:
            expr = replace(expr, brow_raise=clamp(expr.brow_raise + brow, -1.0, 1.0))
        return AvatarPose(
            mouth=mouth,
            expression=expr,
            blink=self.blinks.closure_at(t),
            gaze_x=clamp(gaze_x, -1.0, 1.0),
            gaze_y=clamp(gaze_y, -1.0, 1.0),
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
