"""The audio clock: where in the current reply the speaker is, read from any thread.

The lips must follow what the visitor *hears*, not the wall clock. Under load the
speaker can run late or starve (a sentence synthesised slower than it plays), and
the renderer itself can miss deadlines; a mouth timed from "reply start + wall
time" then runs ahead of the sound and shows silence while the voice goes on.

:class:`AudioClock` is fed by the speaker's played-block listener (block length,
monotonic time it left the speaker) and answers :meth:`position`: seconds of the
reply heard at a given moment. Inside a block it advances with time; past the end
of the last block it *holds* (the sound stopped, so must the mouth) until more
audio is played. When the reply is over (:meth:`release`) it runs on freely, so
gestures and the last words finish on time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

HOLD_SLACK_S = 0.04
"""How far past the last block played the clock may run before it holds: frames are
drawn a little ahead (for the time they will be seen), and the next block is due."""


@dataclass(frozen=True)
class _Mark:
    position: float
    """Reply seconds at the start of the last block played."""
    at: float
    """Clock time that block started playing."""
    length: float
    """Its length (seconds): the clock holds at ``position + length``."""
    free: bool = False
    """The reply is over: extrapolate without holding."""


class AudioClock:
    """Reply position (seconds of audio heard) as a function of clock time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mark: _Mark | None = None
        self._stream: object = None

    def played(self, stream: object, position_after: float, length: float, at: float) -> None:
        """The speaker played a block of ``length`` s at ``at``, reaching ``position_after``.

        ``stream`` identifies the reply (a new value starts the clock afresh).
        """
        with self._lock:
            self._stream = stream
            self._mark = _Mark(position_after - length, at, length)

    def release(self, at: float) -> None:
        """The reply ended at ``at``: from where it stands, the clock runs freely."""
        with self._lock:
            if self._mark is not None and not self._mark.free:
                pos = self._position(self._mark, at)
                self._mark = _Mark(pos, at, 0.0, free=True)

    def reset(self) -> None:
        """Forget the current reply (a new one has not started playing yet)."""
        with self._lock:
            self._mark = None
            self._stream = None

    @property
    def stream(self) -> object:
        """The identity of the reply the clock follows (None: none yet)."""
        return self._stream

    @staticmethod
    def _position(mark: _Mark, now: float) -> float:
        dt = max(0.0, now - mark.at)
        return mark.position + (dt if mark.free else min(dt, mark.length + HOLD_SLACK_S))

    def position(self, now: float) -> float | None:
        """Seconds of the reply heard at clock time ``now`` (None before it plays)."""
        mark = self._mark
        return None if mark is None else self._position(mark, now)

    @property
    def holding(self) -> bool:
        """True while the clock follows a playing reply (not yet released)."""
        mark = self._mark
        return mark is not None and not mark.free
