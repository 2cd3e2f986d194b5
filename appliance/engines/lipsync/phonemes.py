"""Visemes from the TTS's phoneme alignment (Piper ``include_alignments``)."""

from __future__ import annotations

import itertools

from appliance.engines.lipsync.base import LipSyncEngine
from appliance.engines.lipsync.visemes import NEXT, viseme_for
from appliance.engines.tts.base import TtsChunk
from appliance.frames import VisemeCue


class PhonemeLipSync(LipSyncEngine):
    """Maps timed phonemes to visemes, merges repeats and too-short cues."""

    name = "phoneme-lipsync"

    def __init__(self, min_cue_s: float = 0.04) -> None:
        self.min_cue_s = min_cue_s

    def visemes(self, chunk: TtsChunk) -> list[VisemeCue]:
        cues: list[VisemeCue] = []
        pending_start: float | None = None  # time borrowed by a mark before a sound
        for phoneme, start, end in chunk.phonemes:
            v = viseme_for(phoneme)
            if v is None:
                if phoneme in NEXT:
                    pending_start = start if pending_start is None else pending_start
                elif cues:
                    cues[-1].end = end
                else:
                    pending_start = start if pending_start is None else pending_start
                continue
            begin = pending_start if pending_start is not None else start
            pending_start = None
            if cues and cues[-1].viseme == v:
                cues[-1].end = end
            else:
                cues.append(VisemeCue(v, begin, end))
        if pending_start is not None and cues:
            cues[-1].end = max(cues[-1].end, chunk.phonemes[-1][2])
        return _finish(_merge_short(cues, self.min_cue_s), chunk.duration)


# Lip closures are brief but are what a viewer checks sync by: never fold them away.
_KEEP = frozenset({"PP", "FF"})


def _merge_short(cues: list[VisemeCue], min_s: float) -> list[VisemeCue]:
    """Fold cues too short to see into the previous one (or the next, at the start)."""
    out: list[VisemeCue] = []
    for cue in cues:
        short = cue.end - cue.start < min_s and cue.viseme not in _KEEP
        if out and (short or out[-1].viseme == cue.viseme):
            out[-1].end = cue.end
        else:
            out.append(VisemeCue(cue.viseme, cue.start, cue.end))
    if len(out) > 1 and out[0].end - out[0].start < min_s and out[0].viseme not in _KEEP:
        out[1].start = out[0].start
        out.pop(0)
    return out


def _finish(cues: list[VisemeCue], duration: float) -> list[VisemeCue]:
    """Make the cues tile [0, duration] exactly: no gaps, nothing past the audio."""
    if not cues:
        return [VisemeCue("sil", 0.0, duration)]
    cues[0].start = 0.0
    for a, b in itertools.pairwise(cues):
        a.end = b.start
    cues[-1].end = duration
    return [c for c in cues if c.end > c.start]
