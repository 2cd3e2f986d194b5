"""The whole screen for time ``t``: background, avatar, answer media, subtitles, screens.

:class:`Scene` owns an :class:`AvatarState` (the numbers) and draws it with an
:class:`AvatarPainter` (the signing one, which draws signing arms while a reply is
signed: :meth:`Scene.sign`). Everything static is rendered once (background with its
halo, the subtitle panel, the media card, the subtitle pages, the out-of-service
screen); a frame restores the stage from the cached background and paints only
the figure and the subtitle highlight. Setters are thread-safe so the pipeline
can feed a scene that a display thread renders.

An answer's media shows on the card: a still image, a drawn map (:meth:`Scene.show_image`)
or a short video that plays there on the scene's clock (:mod:`appliance.avatar.media`).
While the card shows something, a reply's gestures include one point at it
(Text2Action's ``point_media``, drawn toward wherever the layout puts the card).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from appliance.avatar import draw as d
from appliance.avatar.layout import layout_for
from appliance.avatar.media import ClipPlayer, load_clip
from appliance.avatar.screens import attract_gestures, out_of_service_screen
from appliance.avatar.subtitles import SubtitleTrack, render_line
from appliance.avatar.text2action import GestureCue, gestures_from_reply, word_timings
from appliance.avatar.timeline import AvatarState
from appliance.avatar.visemes import Envelope
from appliance.frames import PhonemeTiming, VisemeCue
from appliance.sign.render import SigningPainter, face_pose
from appliance.sign.reply import SignedReply
from appliance.sitepack.media import is_video
from appliance.sitepack.screens import ScreenLines

logger = logging.getLogger(__name__)


ATTRACT_PERIOD_S = 9.0
"""One wave per this many seconds in the attract loop."""
ATTRACT_LINE_S = 3.0
"""Each invitation line shows this long."""


def _phonemes(items: Sequence[PhonemeTiming | tuple[str, float, float]]) -> list[PhonemeTiming]:
    return [p if isinstance(p, PhonemeTiming) else PhonemeTiming(*p) for p in items]


def card_border(width: int) -> int:
    """The answer card's frame, in pixels, for a card ``width`` wide."""
    return max(4, width // 90)


class Scene:
    """Renders the kiosk screen; ``render(t)`` returns the frame buffer (reused)."""

    def __init__(self, size: tuple[int, int] = (1080, 1920), seed: int = 7,
                 language: str = "en", screens: ScreenLines | None = None,
                 face: str = "drawn") -> None:
        self.width, self.height = size
        self.screens = screens or ScreenLines.for_languages((language,))
        """The attract and out-of-service lines (the site pack's, see :meth:`set_screens`)."""
        self.layout = layout_for(*size)
        self.language = language
        self.state = AvatarState(seed)
        self.state.media_gaze = self._media_gaze()
        self.painter = SigningPainter(self.layout, face=face)
        """The avatar's painter; it draws signing arms while a reply is signed."""
        self._lock = threading.Lock()
        self._bg = self._background()
        self._frame = self._bg.copy()
        self._card: tuple[np.ndarray, int, int] | None = None
        self._clip: ClipPlayer | None = None
        self._subs: SubtitleTrack | None = None
        self._heard = self._heard_strip("")
        self._media_path: str | None = None
        self._oos: np.ndarray | None = None
        self._attract_tracks: list[SubtitleTrack] = []
        self._signed: tuple[SignedReply, SubtitleTrack] | None = None

    # --- static layers ------------------------------------------------------------

    def _background(self) -> np.ndarray:
        lay = self.layout
        bg = d.vertical_gradient(self.width, self.height, d.BG_TOP, d.BG_BOTTOM)
        hx, hy = lay.head
        d.dot(bg, (hx, hy), 430 * lay.scale, d.HALO)
        _x, y, _w, _h = lay.heard
        bg[y : self.height, :] = d.PANEL
        return bg

    def _heard_strip(self, text: str) -> np.ndarray:
        _, _, w, h = self.layout.heard
        prefix = "You: " if text else ""
        return render_line(text, w, h, int(self.layout.font_px * 0.7), self.language,
                           prefix=prefix)

    @property
    def media_size(self) -> tuple[int, int]:
        """The answer card's inner size: an image drawn at it is shown unscaled."""
        _x, _y, w, h = self.layout.media
        border = card_border(w)
        return w - 2 * border, h - 2 * border

    def _media_card(self, path: str | None) -> tuple[np.ndarray, int, int] | None:
        """The answer image as a framed card and where it goes (or None)."""
        if not path:
            return None
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            logger.warning("answer media %s cannot be read; not shown", path)
            return None
        return self._card_of(img)

    def _clip_card(self, path: str, at: float | None) -> ClipPlayer | None:
        """The answer video, ready to play on the card from scene time ``at`` (or None)."""
        try:
            clip = load_clip(path, self.media_size)
            if clip is None:
                return None
            return ClipPlayer(clip, self._card_of, card_border(self.layout.media[2]), at)
        except Exception:  # whatever the file holds, the avatar goes on without it
            logger.warning("answer video %s cannot be shown", path, exc_info=True)
            return None

    def _media_gaze(self) -> tuple[float, float]:
        """Where the eyes look (gaze units) to see the card: its middle, from the head."""
        x, y, w, h = self.layout.media
        hx, hy = self.layout.head
        dx, dy = x + w / 2 - hx, y + h / 2 - hy
        n = max(1.0, (dx * dx + dy * dy) ** 0.5)
        return 0.8 * dx / n, 0.8 * dy / n

    def _card_of(self, img: np.ndarray) -> tuple[np.ndarray, int, int]:
        """A BGR image framed as the answer card, and where the card goes."""
        x, y, w, h = self.layout.media
        border = card_border(w)
        k = min((w - 2 * border) / img.shape[1], (h - 2 * border) / img.shape[0])
        iw, ih = max(1, int(img.shape[1] * k)), max(1, int(img.shape[0] * k))
        card = np.empty((ih + 2 * border, iw + 2 * border, 3), np.uint8)
        card[:] = d.SHIRT
        card[border : border + ih, border : border + iw] = cv2.resize(
            img, (iw, ih), interpolation=cv2.INTER_AREA)
        cv2.rectangle(card, (0, 0), (card.shape[1] - 1, card.shape[0] - 1), d.JACKET_SHADE, 2)
        return card, x + (w - card.shape[1]) // 2, y + (h - card.shape[0]) // 2

    # --- events (thread-safe) -----------------------------------------------------------

    def speak(self, start: float, cues: Sequence[VisemeCue], text: str,
              phonemes: Sequence[PhonemeTiming | tuple[str, float, float]] = (),
              duration: float | None = None, gestures: Sequence[GestureCue] | None = None,
              valence: float | None = None, arousal: float | None = None,
              envelope: Envelope | None = None, direction: str | None = None) -> None:
        """Say ``text`` from ``start``: lips from ``cues`` (and the audio's ``envelope``),
        words and gestures from phonemes; ``direction`` (from the structured answer,
        :func:`direction_from_source`) is where to point, whatever the wording. While the
        answer card shows something (show it first), the gestures point at it once near
        the start."""
        ph = _phonemes(phonemes)
        dur = duration if duration is not None else max((c.end for c in cues), default=0.0)
        words = word_timings(text, ph, dur)
        planned = list(gestures) if gestures is not None else gestures_from_reply(
            text, ph, dur, direction=direction, media=self.showing_media)
        _, _, w, h = self.layout.subtitles
        subs = SubtitleTrack(text, w, h, self.layout.font_px, self.language) if text else None
        with self._lock:
            if valence is not None:
                self.state.set_emotion(valence, 0.4 if arousal is None else arousal, start)
            self.state.speak(start, cues, planned, words, dur, text, envelope)
            self._subs = subs

    def sign(self, start: float, text: str, language: str = "asl") -> float:
        """Sign ``text`` from ``start`` as well as speaking it (see
        :class:`SignedReply`): the arms sign, the face adds the sign's markers and the
        subtitles follow the hands. Returns the scene time the hands are back at rest.
        Asking again for the same start and text keeps the signing as it is."""
        with self._lock:
            cur = self._signed
        if cur is not None and cur[0].start == start and cur[0].text == text \
                and cur[0].language == language:
            return cur[0].end
        signed = SignedReply(text, start, language)  # built before the lock: a frame never waits
        _, _, w, h = self.layout.subtitles
        subs = SubtitleTrack(text, w, h, self.layout.font_px, self.language)
        with self._lock:
            self._signed = (signed, subs)
        return signed.end

    @property
    def signing(self) -> SignedReply | None:
        """The reply being signed (or last signed), if any."""
        with self._lock:
            return self._signed[0] if self._signed is not None else None

    def stop_signing(self, t: float) -> None:
        """The hands go back to rest from ``t`` (a new reply, a barge-in)."""
        with self._lock:
            if self._signed is not None:
                self._signed[0].stop(t)

    def interrupt(self, t: float, heard: float | None = None) -> None:
        """Barge-in: stop the lips, gestures and signing now (``heard`` s into the reply,
        when the audio clock knows), keep the words said so far."""
        with self._lock:
            self.state.interrupt(t, heard)
            if self._signed is not None:
                self._signed[0].stop(t)

    def heard(self, text: str) -> None:
        """Show what the avatar heard the visitor say."""
        strip = self._heard_strip(text)
        with self._lock:
            self._heard = strip

    def show_media(self, path: str | Path | None, at: float | None = None) -> None:
        """Show an answer image, or play an answer video, beside the avatar (None hides it).

        A video (by its suffix: ``.mp4``, ``.webm``, ``.gif``...) plays from scene time
        ``at`` (None: from the first frame rendered with it) and loops while it is shown;
        one that cannot be read logs a warning and shows nothing."""
        p = str(path) if path else None
        card: tuple[np.ndarray, int, int] | None = None
        clip: ClipPlayer | None = None
        if p and is_video(p):
            clip = self._clip_card(p, at)  # decoded before the lock: a frame never waits
        else:
            card = self._media_card(p)
        with self._lock:
            self._media_path = p
            self._card = card
            self._clip = clip

    @property
    def showing_media(self) -> bool:
        """The answer card shows something (an image, a video or a drawn map)."""
        with self._lock:
            return self._card is not None or self._clip is not None

    def show_image(self, img: np.ndarray | None) -> None:
        """Show a drawn answer (BGR, best at :attr:`media_size`) beside the avatar; None
        hides it."""
        card = self._card_of(img) if img is not None else None
        with self._lock:
            self._media_path = None
            self._card = card
            self._clip = None

    def look_at(self, bearing_deg: float | None, t: float) -> None:
        """Look toward a visitor at ``bearing_deg`` (+ = screen right), None = ahead."""
        with self._lock:
            self.state.look_at(bearing_deg, t)

    def perform(self, gesture: str, t: float) -> None:
        """Do a gesture the behaviour tree decided (``wave``, ``point_help``, ``nod``...).

        ``point_screen`` while an answer card shows points at the card instead: the screen
        hand would be drawn behind the card (portrait), and the card is what to look at."""
        if gesture == "point_screen" and self.showing_media:
            gesture = "point_media"
        with self._lock:
            self.state.perform(gesture, t)

    def acknowledge(self, t: float) -> bool:
        """The visitor paused mid-question: a small listening nod from ``t`` (see
        :meth:`AvatarState.acknowledge`); returns whether the avatar nods."""
        with self._lock:
            return self.state.acknowledge(t)

    def set_emotion(self, valence: float, arousal: float, t: float, tilt: float = 0.0) -> None:
        """Ease the face to this emotion from ``t`` (``tilt``: one brow up, a question)."""
        with self._lock:
            self.state.set_emotion(valence, arousal, t, tilt)

    def set_screens(self, screens: ScreenLines) -> None:
        """Show the site pack's attract and out-of-service lines from now on."""
        tracks = self._attract_layout(screens)  # laid out before the lock: a frame never waits
        with self._lock:
            self.screens = screens
            self._attract_tracks = tracks

    def _attract_layout(self, screens: ScreenLines) -> list[SubtitleTrack]:
        _, _, w, h = self.layout.subtitles
        return [SubtitleTrack(text, w, h, self.layout.font_px, lang)
                for lang, text in screens.attract]

    def set_mode(self, mode: str, reason: str = "") -> None:
        """``idle``, ``listening``, ``speaking``, ``attract`` or ``out_of_service``."""
        oos = out_of_service_screen(self.width, self.height, reason, self.screens) \
            if mode == "out_of_service" else None
        with self._lock:
            self.state.set_mode(mode)
            self._oos = oos
            if mode == "attract" and not self._attract_tracks:
                self._attract_tracks = self._attract_layout(self.screens)

    # --- drawing --------------------------------------------------------------------------

    def render(self, t: float, heard: tuple[float, float] | None = None) -> np.ndarray:
        """Draw the frame for time ``t``; the returned buffer is reused by the next call.

        ``heard`` is ``(reply start, seconds heard)`` from the audio clock: when it is
        about the reply being shown, lips, words and gestures follow the sound.
        The lock is held only to read the state; painting runs without it, so an
        event (the next sentence's visemes) never waits for a frame to be drawn.
        """
        with self._lock:
            oos = self._oos
            state = self.state
            if oos is None and state.mode == "attract":
                self._attract_cycle(t)
            r = state.reply
            local = heard[1] if heard is not None and r is not None \
                and abs(heard[0] - r.start) < 1e-6 else None
            pose = state.pose_at(t, local) if oos is None else None
            word = state.current_word(t, local)
            attract = state.mode == "attract"
            card, clip, subs, heard_strip = self._card, self._clip, self._subs, self._heard
            tracks = self._attract_tracks
            signed = self._signed if not attract else None
        frame = self._frame
        if oos is not None or pose is None:
            if oos is not None:
                np.copyto(frame, oos)
            return frame
        if clip is not None and not attract:  # the video's frame for t, in its own buffer
            card = (clip.card_at(t), clip.x, clip.y)
        sign = signed[0].pose_at(t) if signed is not None else None
        if signed is not None and sign is not None:
            # signing: the face adds the sign's markers, the subtitles follow the hands
            pose = face_pose(pose, sign)
            word, subs = signed[0].word_at(t), signed[1]
        self.painter.sign = sign
        _sx, sy, _sw, sh = self.layout.stage
        np.copyto(frame[sy : sy + sh], self._bg[sy : sy + sh])
        # signing hands go over the card (a sign hidden behind a map says nothing)
        self.painter.paint(frame, pose, arms=sign is None or card is None or attract)
        if card is not None and not attract:
            # the card goes over the figure: a gesture never covers the map it is about
            img, cx, cy = card
            frame[cy : cy + img.shape[0], cx : cx + img.shape[1]] = img
            if sign is not None:
                self.painter.paint_arms(frame, pose)
        # the figure is painted past the stage; the safe margin below the subtitles is
        # kept bare, as the heard line and the subtitle band cover their own rows
        frame[self.height - self.layout.safe_bottom :] = d.PANEL
        x, y, w, h = self.layout.heard
        if attract:
            frame[y : y + h, x : x + w] = d.PANEL
            x, y, w, h = self.layout.subtitles
            if tracks:
                track = tracks[int(t // ATTRACT_LINE_S) % len(tracks)]
                track.draw(frame[y : y + h, x : x + w], 10_000, highlight=False)
            return frame
        frame[y : y + h, x : x + w] = heard_strip
        x, y, w, h = self.layout.subtitles
        band = frame[y : y + h, x : x + w]
        if subs is None:
            band[:] = d.PANEL
        else:
            subs.draw(band, word)
        return frame

    def _attract_cycle(self, t: float) -> None:
        """While nobody is there: a friendly wave every cycle (call with the lock held)."""
        state = self.state
        cycle = int(t // ATTRACT_PERIOD_S)
        if state.reply is None or state.reply.start != cycle * ATTRACT_PERIOD_S:
            state.speak(cycle * ATTRACT_PERIOD_S, [], attract_gestures(), (), ATTRACT_PERIOD_S,
                        "")
            state.mode = "attract"
