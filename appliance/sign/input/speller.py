"""Per-frame letters -> committed letters -> words: a pure state machine on frame counts.

A letter is committed when the classifier reads it on :attr:`SpellerSettings.hold_frames`
frames in a row. The same letter again (the two Ls of "hill") is committed only after
it was let go: at least :attr:`release_frames` frames of another reading or none. After
:attr:`pause_frames` frames without a hand (or without any letter) the word ends and
:meth:`Speller.push` returns it.
"""

from __future__ import annotations

from dataclasses import dataclass

CAMERA_FPS = 30.0
"""The frame rate the defaults are counted at."""


@dataclass(frozen=True)
class SpellerSettings:
    """Timing in camera frames (30 fps: 6 frames = 0.2 s)."""

    hold_frames: int = 6
    """Frames one letter must be read in a row to count (a steady hold)."""
    release_frames: int = 2
    """Frames of something else before the same letter counts again."""
    pause_frames: int = 24
    """Frames without a letter that end the word (0.8 s at 30 fps)."""
    max_letters: int = 40
    """A word never grows past this (a hand left in view is not a question)."""
    min_letters: int = 1
    """A shorter word is dropped when it ends (a stray hand read as one letter)."""

    @classmethod
    def at_fps(cls, fps: float, min_letters: int = 2) -> SpellerSettings:
        """The defaults' timings in seconds, counted at ``fps`` frames a second (a hold
        of at least 2 frames, a release of 1, a pause of 3)."""
        d, k = cls(), fps / CAMERA_FPS
        return cls(hold_frames=max(2, round(d.hold_frames * k)),
                   release_frames=max(1, round(d.release_frames * k)),
                   pause_frames=max(3, round(d.pause_frames * k)),
                   max_letters=d.max_letters, min_letters=min_letters)


class Speller:
    """Feed one reading per frame (:meth:`push`); words come back as they end."""

    def __init__(self, settings: SpellerSettings | None = None) -> None:
        self.settings = settings or SpellerSettings()
        self._letters: list[str] = []
        self._run_letter: str | None = None
        self._run = 0
        self._committed_run = False
        self._since_commit: str | None = None
        self._away = 0
        self._idle = 0

    @property
    def pending(self) -> str:
        """The letters committed so far in the word being spelt."""
        return "".join(self._letters)

    def push(self, letter: str | None) -> str | None:
        """One frame's reading (``None``: no hand or no letter); a finished word or None."""
        s = self.settings
        if letter is None:
            self._idle += 1
        else:
            self._idle = 0
        if letter == self._run_letter:
            self._run += 1
        else:
            self._run_letter, self._run, self._committed_run = letter, 1, False
        if letter != self._since_commit:
            self._away += 1
        if (letter is not None and not self._committed_run and self._run >= s.hold_frames
                and (letter != self._since_commit or self._away >= s.release_frames)
                and len(self._letters) < s.max_letters):
            self._letters.append(letter)
            self._committed_run = True
            self._since_commit, self._away = letter, 0
        if self._idle >= s.pause_frames and self._letters:
            return self.flush()
        return None

    def flush(self) -> str | None:
        """End the word now (the source ended): the word, or None if nothing (or fewer
        than :attr:`SpellerSettings.min_letters` letters) was spelt."""
        word = "".join(self._letters) or None
        self._letters = []
        self._since_commit, self._away = None, 0
        if word is not None and len(word) < self.settings.min_letters:
            return None
        return word
