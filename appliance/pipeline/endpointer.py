"""When did the visitor start and stop talking? A pure state machine fed numbers.

Fed one VAD probability per window with the window's start time and length
(seconds on the microphone's clock), it returns ``("start", t)`` when enough
voiced time has accumulated and ``("end", t_last_voice)`` once the silence after
speech is long enough (or the utterance hits its maximum length). Hysteresis:
a window is voiced above ``threshold`` and unvoiced below ``threshold - 0.15``.

How much silence is enough depends on the words, when something has judged them
(:meth:`Endpointer.judge`, from :mod:`appliance.pipeline.turn_end`): a finished
sentence ends after ``complete_silence_s``, an open one waits ``open_silence_s``,
an unjudged pause ``min_silence_s``. A judgement holds for one pause only. A pause
whose judgement is on its way (:meth:`Endpointer.expect_judgement`) waits for it, up
to ``open_silence_s``: on a slow CPU the words arrive after ``min_silence_s``, and
ending before they say "open" would split the question they were meant to keep.
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
                 min_silence_s: float = 0.3, max_utterance_s: float = 15.0,
                 complete_silence_s: float | None = None,
                 open_silence_s: float | None = None) -> None:
        self.on = threshold
        self.off = max(0.05, threshold - 0.15)
        self.min_speech_s = min_speech_s
        self.min_silence_s = min_silence_s
        self.max_utterance_s = max_utterance_s
        # never longer than the plain wait / never shorter: a judgement only moves one way
        self.complete_silence_s = min(min_silence_s, complete_silence_s or min_silence_s)
        self.open_silence_s = max(min_silence_s, open_silence_s or min_silence_s)
        self.reset()

    def reset(self) -> None:
        self.speaking = False
        self._voiced_run = 0.0
        self._run_start = 0.0
        self._onset = 0.0
        self._last_voice_end = 0.0
        self._silence = 0.0
        self._complete: bool | None = None
        self._awaiting = False

    def expect_judgement(self) -> None:
        """The words of the current pause are being judged: do not end before they are."""
        if self.speaking:
            self._awaiting = True

    def judge(self, complete: bool | None, last_voice_end: float) -> None:
        """The words up to ``last_voice_end`` are a finished sentence (or not, or
        unknown). Ignored if the visitor has spoken again since: it is stale."""
        if self.speaking and abs(last_voice_end - self._last_voice_end) < 1e-6:
            self._complete = complete
            self._awaiting = False

    @property
    def needed_silence_s(self) -> float:
        """Silence that ends the current pause, given the judgement of its words."""
        if self._complete is None:
            return self.open_silence_s if self._awaiting else self.min_silence_s
        return self.complete_silence_s if self._complete else self.open_silence_s

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
            self._complete = None  # new words: the last judgement no longer holds
            self._awaiting = False
        else:
            self._silence += dur
        if self._silence >= self.needed_silence_s:
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
