"""Feeds pipeline frames to the avatar scene: the one place frames meet the renderer.

The pipeline (or the lead's output stage) calls :meth:`AvatarOutput.handle` with
each frame and the monotonic time its audio starts playing; the display loop
renders the same scene on the same clock. Speech arrives sentence by sentence:
each :class:`SpeechAudio` with its :class:`Visemes` extends the current reply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from appliance.avatar.affect import reply_affect, reply_tilt
from appliance.avatar.answer_map import AnswerMaps
from appliance.avatar.scene import Scene
from appliance.avatar.visemes import Envelope
from appliance.frames import (
    Frame,
    Interrupt,
    PlaybackStopped,
    Presence,
    Reply,
    SpeechAudio,
    SpeechPaused,
    StageError,
    Transcript,
    VisemeCue,
    Visemes,
)

logger = logging.getLogger(__name__)

FATAL_CODES = frozenset({"engine-load-failed", "tts-failed", "asr-failed", "audio-failed"})
"""Stage errors that put the kiosk out of service until cleared."""


class AvatarOutput:
    """Maps frames onto a :class:`Scene` (thread-safe scene setters, so any thread)."""

    def __init__(self, scene: Scene, clock: Callable[[], float] = time.monotonic,
                 heard: Callable[[], float | None] | None = None) -> None:
        self.scene = scene
        self.clock = clock
        self.heard = heard
        """Seconds of the current reply the visitor has heard (the audio clock), if known."""
        self.reply_start: float | None = None
        """Clock time of the current reply's first sample (set by :meth:`playback_started`)."""
        self._reply: Reply | None = None
        self._cues: list[VisemeCue] = []
        self._phonemes: list[tuple[str, float, float]] = []
        self._text = ""
        self._duration = 0.0
        self._envelope = Envelope()
        self.direction_of: Callable[[str], str | None] = lambda _source: None
        """Reply source -> where to point (the site pack's exit ``directions``; set by
        the live avatar once the kiosk's pack is known)."""
        self._direction: str | None = None
        self.answer_maps: AnswerMaps | None = None
        """Draws what a reply shows (a route, a place) from the site pack; set by the
        live avatar once the pack is known. Without it the reply's media image shows."""
        self.media_root: Path | None = None
        """The site pack's folder: a reply's media paths are relative to it (set by the
        live avatar once the pack is known)."""
        self.sign_language = ""
        """The site pack's sign language (``asl``); empty: replies are never signed."""
        self.sign_replies = False
        """Sign every reply (the ``avatar.sign_replies`` setting)."""
        self.sign_next = False
        """Sign the next reply only (a visitor asked: the touch screen's sign button); a
        reply whose question asked for it (``Reply.asked.sign``) is signed too."""
        self._signing = False

    def playback_started(self, at: float | None = None) -> None:
        """The speaker started the current reply at clock time ``at`` (default now)."""
        self.reply_start = self.clock() if at is None else at
        self._update()  # the card shows something: Text2Action points at it (Scene.speak)

    def handle(self, frame: Frame) -> None:
        """Route one pipeline frame."""
        now = self.clock()
        if isinstance(frame, Presence):
            self.scene.look_at(frame.nearest_bearing_deg, now)
            if frame.faces == 0 and frame.event == "left":
                self.scene.set_mode("attract")
            elif frame.faces and self.scene.state.mode == "attract":
                self.scene.set_mode("idle")
        elif isinstance(frame, SpeechPaused):
            # the visitor paused: a small nod says "I'm following" (the VAD stage
            # sends this at every pause, the last one before the turn ends included)
            self.scene.acknowledge(now)
        elif isinstance(frame, Transcript) and frame.final:
            self.scene.heard(frame.text)
            self.scene.set_mode("listening")
        elif isinstance(frame, Reply):
            self._reply = frame
            self._direction = self.direction_of(frame.source) if frame.source else None
            self._cues, self._phonemes, self._text, self._duration = [], [], "", 0.0
            self._envelope = Envelope()
            self.reply_start = None
            # concerned for danger; one brow up when it asks the visitor back
            self.scene.set_emotion(*reply_affect(frame), now, tilt=reply_tilt(frame))
            drawn = self.answer_maps.draw(frame.show, self.scene.media_size) \
                if frame.show is not None and self.answer_maps is not None else None
            if drawn is not None:
                self.scene.show_image(drawn)
            else:  # a picture, or a video that plays from now
                self.scene.show_media(self._media_path(frame.media[0]) if frame.media else None,
                                      at=now)
            self.scene.stop_signing(now)  # the last reply's hands go back to rest
            asked = self.sign_replies or self.sign_next or frame.asked.sign
            self._signing = bool(self.sign_language) and asked
            self.sign_next = False
        elif isinstance(frame, SpeechAudio):
            # phonemes and cues are already on the reply's clock (the speech and
            # lip-sync stages add the chunk's offset): adding it again pushed every
            # sentence after the first late by its offset, and the lips shut while it played
            self._phonemes += [(p.phoneme, p.start, p.end) for p in frame.phonemes]
            self._text = f"{self._text} {frame.text}".strip()
            self._duration = max(self._duration, frame.offset + frame.duration)
            self._envelope.add(frame.pcm, frame.sample_rate, frame.offset)
            self._update()
        elif isinstance(frame, Visemes):
            self._cues += [VisemeCue(c.viseme, c.start, c.end) for c in frame.cues]
            self._update()
        elif isinstance(frame, (Interrupt, PlaybackStopped)):
            if not isinstance(frame, PlaybackStopped) or frame.interrupted:
                self.scene.interrupt(now, self.heard() if self.heard else None)
        elif isinstance(frame, StageError) and frame.code in FATAL_CODES:
            logger.error("avatar shows out of service: %s %s", frame.stage, frame.code)
            self.scene.set_mode("out_of_service", reason=frame.code)

    def _media_path(self, rel: str) -> str:
        """A reply's media path on disk: relative paths are the site pack's."""
        p = Path(rel)
        return str(self.media_root / p) if self.media_root is not None and not p.is_absolute() \
            else rel

    def _update(self) -> None:
        if self.reply_start is None or not self._cues:
            return
        if self._signing and self._reply is not None:
            # the whole reply is signed from its first sample (the same start and text
            # again keep the signing as it is); the hands may go on after the voice
            self.scene.sign(self.reply_start, self._reply.text, self.sign_language)
        self.scene.speak(self.reply_start, self._cues, self._text, self._phonemes,
                         duration=self._duration, envelope=self._envelope,
                         direction=self._direction)
