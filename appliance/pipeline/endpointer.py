"""When did the visitor start and stop talking? A pure state machine fed numbers.

Fed one VAD probability per window with the window's start time and length
(seconds on the microphone's clock), it returns ``("start", t)`` when enough
voiced time has accumulated and ``("end", t_last_voice)`` once the silence after
speech is long enough (or the utterance hits its maximum length). Hysteresis:
a window is voiced above ``threshold`` and unvoiced below ``threshold - 0.15``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EndpointEvent:
    kind: str  # "start" | "end"
    time: float  # onset time for "start"; end of the last voiced window for "end"
    forced: bool = False  # "end" because the utterance reached its maximum length


class Endpointer:
    """Turns per-window speech probabilities into speech start/end events."""

    def __init__(self, threshold: float = 0.5, min_speech_s: float = 0.15,
                 min_silence_s: float = 0.3, max_utterance_s: float = 15.0) -> None:
        self.on = threshold
        self.off = max(0.05, threshold - 0.15)
        self.min_speech_s = min_speech_s
        self.min_silence_s = min_silence_s
        self.max_utterance_s = max_utterance_s
        self.reset()

    def reset(self) -> None:
        self.speaking = False
        self._voiced_run = 0.0
        self._run_start = 0.0
        self._onset = 0.0
        self._last_voice_end = 0.0
        self._silence = 0.0

    def update(self, prob: float, t: float, dur: float) -> EndpointEvent | None:
        """Feed one window; return an event when the state changes."""
        if not self.speaking:
            if prob >= self.on:
                if self._voiced_run == 0.0:
                    self._run_start = t
                self._voiced_run += dur
                if self._voiced_run >= self.min_speech_s:
                    self.speaking = True
                    self._onset = self._run_start
                    self._last_voice_end = t + dur
                    self._silence = 0.0
                    return EndpointEvent("start", self._onset)
            else:
                self._voiced_run = 0.0
            return None
        if prob >= self.off:
            self._last_voice_end = t + dur
            self._silence = 0.0
        else:
            self._silence += dur
        if self._silence >= self.min_silence_s:
            return self._end(forced=False)
        if t + dur - self._onset >= self.max_utterance_s:
            return self._end(forced=True)
        return None

    @property
    def silence_s(self) -> float:
        """Unvoiced time since the last voiced window (0 outside speech)."""
        return self._silence if self.speaking else 0.0

    @property
    def last_voice_end(self) -> float:
        return self._last_voice_end

    def _end(self, *, forced: bool) -> EndpointEvent:
        end = self._last_voice_end
        self.reset()
        return EndpointEvent("end", end, forced)
