"""Audio-driven lip-sync: the fallback when the TTS gives no alignment."""

from __future__ import annotations

import numpy as np

from appliance.engines.lipsync.base import LipSyncEngine
from appliance.engines.tts.base import TtsChunk
from appliance.frames import VisemeCue


class EnergyLipSync(LipSyncEngine):
    """Opens the mouth with the loudness of each 40 ms window (sil / E / aa)."""

    name = "energy-lipsync"

    def __init__(self, window_s: float = 0.04) -> None:
        self.window_s = window_s

    def visemes(self, chunk: TtsChunk) -> list[VisemeCue]:
        n = max(1, int(self.window_s * chunk.sample_rate))
        x = chunk.pcm.astype(np.float64) / 32768.0
        cues: list[VisemeCue] = []
        peak = float(np.sqrt(np.mean(x * x))) * 2.0 + 1e-9 if len(x) else 1.0
        for i in range(0, len(x), n):
            level = float(np.sqrt(np.mean(x[i : i + n] ** 2))) / peak
            v = "sil" if level < 0.15 else ("E" if level < 0.5 else "aa")
            start, end = i / chunk.sample_rate, min(len(x), i + n) / chunk.sample_rate
            if cues and cues[-1].viseme == v:
                cues[-1].end = end
            else:
                cues.append(VisemeCue(v, start, end))
        return cues or [VisemeCue("sil", 0.0, chunk.duration)]
