"""One reply signed by the avatar on the scene's clock: the hands and the subtitle word at ``t``.

:class:`SignedReply` glosses the reply text, lays it out as a :class:`SignTrack` and
places the track on the scene's clock. The avatar's own rest pose (hands low, loosely
together) is lower than the signing rest (hands above the subtitle band), so the hands
ease from one to the other over :data:`EASE_S` before the track and back after it;
the arms are drawn by the signing painter for the whole of that span, so the swap from
the gesture arms is not seen. :meth:`SignedReply.word_at` maps the characters being
signed (:meth:`SignTrack.span_at`) onto the subtitle's words, so the highlight follows
the hands, not the voice. The sign track may well outlast the speech.
"""

from __future__ import annotations

import bisect
import logging

from appliance.avatar.arms import REST_L, REST_R
from appliance.avatar.text2action import word_spans
from appliance.sign import handshape
from appliance.sign.gloss import gloss_reply, gloss_text
from appliance.sign.handgeom import HandPlacement
from appliance.sign.lexicon import load
from appliance.sign.timeline import SignPose, SignTrack, build_track, ease, lerp_hand

logger = logging.getLogger(__name__)

EASE_S = 0.3
"""From the avatar's rest pose to the signing rest pose (and back at the end)."""


def avatar_rest(dominant_side: int = -1) -> SignPose:
    """The avatar's own rest pose (:mod:`appliance.avatar.arms`) in the signing frame."""
    flip = 1 if dominant_side > 0 else -1
    relaxed = handshape.get("relaxed")

    def hand(screen_x: float, y: float, angle: float) -> HandPlacement:
        # the signing frame is the screen mirrored for a dominant hand drawn on the left
        return HandPlacement((flip * screen_x, y), angle if flip > 0 else 180.0 - angle,
                             180.0, relaxed)

    dom, non = (REST_R, REST_L) if dominant_side > 0 else (REST_L, REST_R)
    return SignPose(hand(*dom.wrist, dom.angle_deg), hand(*non.wrist, non.angle_deg))


def blend(a: SignPose, b: SignPose, k: float) -> SignPose:
    """``a`` moved ``k`` of the way to ``b`` (hands and face)."""
    return SignPose(lerp_hand(a.dom, b.dom, k), lerp_hand(a.non, b.non, k),
                    a.brow_raise + (b.brow_raise - a.brow_raise) * k,
                    a.head_yaw + (b.head_yaw - a.head_yaw) * k,
                    a.head_pitch + (b.head_pitch - a.head_pitch) * k,
                    a.cheek + (b.cheek - a.cheek) * k, b.item if k >= 0.5 else a.item)


class SignedReply:
    """``text`` signed from scene time ``start`` (the hands leave the rest pose then)."""

    def __init__(self, text: str, start: float, language: str = "asl",
                 dominant_side: int = -1) -> None:
        self.text = text
        self.start = start
        self.language = language
        items = gloss_reply(text, load(language))
        self.gloss = gloss_text(items)
        self.track: SignTrack = build_track(items)
        self.track_start = start + EASE_S
        """Scene time of the track's own t = 0."""
        self.end = self.track_start + self.track.duration + EASE_S
        """Scene time the hands are back at the avatar's rest pose."""
        self._rest = avatar_rest(dominant_side)
        self._stop: float | None = None
        self._word_ends = [e for _s, e in word_spans(text)]
        logger.debug("signing %r as %s (%.2f s)", text, self.gloss, self.track.duration)

    def stop(self, t: float) -> None:
        """Barge-in: the hands go back to rest from ``t``."""
        if t < self.end and (self._stop is None or t < self._stop):
            self._stop = max(t, self.start)
            self.end = self._stop + EASE_S

    def active(self, t: float) -> bool:
        """Whether the signing arms are drawn at ``t``."""
        return self.start <= t < self.end

    def pose_at(self, t: float) -> SignPose | None:
        """Hands and face at scene time ``t`` (None outside the signing)."""
        if not self.active(t):
            return None
        if self._stop is not None and t >= self._stop:
            held = self.track.sample(self._stop - self.track_start)
            return blend(held, self._rest, ease((t - self._stop) / EASE_S))
        local = t - self.track_start
        if local < 0:  # rising from the avatar's rest to the signing rest
            return blend(self._rest, self.track.sample(0.0), ease(1.0 + local / EASE_S))
        if local > self.track.duration:  # and back down
            k = (local - self.track.duration) / EASE_S
            return blend(self.track.sample(self.track.duration), self._rest, ease(k))
        return self.track.sample(local)

    def word_at(self, t: float) -> int:
        """Index of the subtitle word (:func:`text_words` of the text) being signed at
        ``t``: the last word of the current item's span; between items the last one
        signed; -1 before the first; every word once the signing is over."""
        local = t - self.track_start
        if self._stop is not None and t >= self._stop:
            local = self._stop - self.track_start
        if local >= self.track.duration:
            return len(self._word_ends) - 1
        items = self.track.items
        i = self.track.item_at(local)
        if i < 0:  # between items: the one just signed
            i = max((j for j, it in enumerate(items) if it.end <= local), default=-1)
        if i < 0:
            return -1
        _s, e = items[i].span
        return min(len(self._word_ends) - 1, bisect.bisect_left(self._word_ends, e))
