"""Audio front-end benchmark: echo cancellation, direction of arrival, speed, WER hook.

``run(quick)`` returns one nested dict (``make bench`` merges it):

- ``aec.erle_db``: echo return loss enhancement of WebRTC AEC3 on a simulated
  4-mic station (the kiosk's reply played back at -6 dB after 60 ms through a
  room response), after convergence (second half) and over the whole reply;
- ``doa.error_deg``: bearing error of the streaming tracker (after AEC) for a
  visitor at several bearings, talking over the kiosk at 10 dB and 0 dB SNR,
  for a circular and a linear array;
- ``frontend.frame_ms``: CPU time per 20 ms frame of the whole front end;
- ``wer``: the kiosk's Whisper ASR on the visitors' lines, clean and at 10/0 dB SNR
  with the kiosk's own reply as echo, from one raw microphone and after the front end,
  in two scenes: ``snr_*`` the kiosk keeps talking over the whole line (worst case,
  no barge-in), ``barge_in_snr_*`` the kiosk stops ``BARGE_IN_STOP_S`` after the
  visitor starts, as the pipeline does (interrupt after 200 ms of voice + clearing).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from appliance.system.metrics import word_error_rate
from hw.array_geometry import ArrayGeometry, bearing_error
from hw.array_sim import KIOSK_LINE, VISITOR_LINE, mix_scene, power, spoken
from hw.echo import AcousticFrontEnd, webrtc_available

RATE = 16_000
FRAME = 320


def _frames(mics: np.ndarray, reference: np.ndarray, frontend: AcousticFrontEnd,
            timings: list[float] | None = None) -> np.ndarray:
    out = []
    for i in range(0, len(mics) - FRAME + 1, FRAME):
        start = time.perf_counter()
        out.append(frontend.process(mics[i:i + FRAME], reference[i:i + FRAME]))
        if timings is not None:
            timings.append((time.perf_counter() - start) * 1000)
    return np.concatenate(out)


def erle(geometry: ArrayGeometry) -> dict[str, float]:
    """ERLE (dB) of the per-mic echo canceller on the kiosk's reply alone."""
    scene = mix_scene(geometry, RATE, played=spoken(KIOSK_LINE), snr_db=None)
    frontend = AcousticFrontEnd(geometry, RATE, noise_suppression=False, agc=False)
    out = np.concatenate([frontend.cancel_echo(scene.mics[i:i + FRAME],
                                               scene.reference[i:i + FRAME])
                          for i in range(0, len(scene.mics) - FRAME + 1, FRAME)])
    n, half = len(out), len(out) // 2
    mic = scene.mics[:n, 0].astype(np.float64)
    res = out[:, 0].astype(np.float64)
    return {"converged": round(10 * np.log10(power(mic[half:]) / (power(res[half:]) + 1e-9)), 1),
            "whole_reply": round(10 * np.log10(power(mic) / (power(res) + 1e-9)), 1)}


VISITOR_LINES = (VISITOR_LINE, "How long does the train to the city centre take?",
                 "Is there a lift to platform four?")
"""What visitors say in the WER measurement (each over the kiosk's reply)."""


BARGE_IN_STOP_S = 0.3
"""Visitor onset to the kiosk's silence: ``interrupt_min_speech_ms`` (200) + ~100 ms to clear."""


def barge_in_scene(geometry: ArrayGeometry, bearing: float, snr_db: float,
                   line: str = VISITOR_LINE, stop_after_s: float | None = None) -> Any:
    """The visitor talks over the end of the kiosk's reply, in station noise.

    With ``stop_after_s`` the kiosk's playback (and so its echo) ends that long
    after the visitor starts, as when the barge-in interrupts it.
    """
    kiosk = spoken(KIOSK_LINE)
    said = spoken(line, "en+f3")
    visitor = np.zeros_like(kiosk)
    start = len(kiosk) - len(said) - RATE // 2
    visitor[start:start + len(said)] = said
    played = kiosk
    if stop_after_s is not None:
        played = kiosk.copy()
        played[start + int(stop_after_s * RATE):] = 0.0
    return mix_scene(geometry, RATE, visitor=visitor, played=played, visitor_bearing_deg=bearing,
                     echo_bearing_deg=0.0, snr_db=snr_db), slice(start, start + len(said))


def doa_errors(geometry: ArrayGeometry, bearings: list[float], snr_db: float) -> list[float]:
    """Bearing error (degrees) reported at the end of the visitor's barge-in."""
    errors = []
    for bearing in bearings:
        scene, span = barge_in_scene(geometry, bearing, snr_db)
        frontend = AcousticFrontEnd(geometry, RATE)
        _frames(scene.mics[:span.stop], scene.reference[:span.stop], frontend)
        found = frontend.bearing_deg
        errors.append(180.0 if found is None else bearing_error(found, bearing))
    return errors


def wer_table(asr: Callable[[np.ndarray], str], *, snrs: tuple[float, ...] = (10.0, 0.0),
              geometry: ArrayGeometry | None = None,
              lines: tuple[str, ...] = VISITOR_LINES) -> dict[str, Any]:
    """WER of ``asr`` (int16 16 kHz mono -> text) on the visitors' lines.

    ``clean`` is each line alone; for each SNR, ``raw`` is one microphone of
    the barge-in scene (the kiosk's reply as echo + station noise) and
    ``frontend`` is the same audio after AEC, beamforming, noise suppression
    and AGC. WER is pooled over the lines (total errors / total words).
    """
    geometry = geometry or ArrayGeometry.circular(4, 0.032)
    words = sum(len(re.findall(r"[a-z0-9']+", line.lower())) for line in lines)

    def pooled(errors: list[float]) -> float:
        return round(sum(errors) / words, 3)

    def errors(line: str, pcm: np.ndarray) -> float:
        return word_error_rate(line, asr(pcm)) * len(re.findall(r"[a-z0-9']+", line.lower()))

    clean = [errors(line, np.round(spoken(line, "en+f3")).astype(np.int16)) for line in lines]
    table: dict[str, Any] = {"clean": pooled(clean)}
    for snr in snrs:
        for prefix, stop in (("", None), ("barge_in_", BARGE_IN_STOP_S)):
            raw_errors, fe_errors = [], []
            for line in lines:
                scene, span = barge_in_scene(geometry, 30.0, snr, line, stop_after_s=stop)
                out = _frames(scene.mics, scene.reference, AcousticFrontEnd(geometry, RATE))
                lo, hi = max(0, span.start - RATE // 4), span.stop + RATE // 4
                raw_errors.append(errors(line, scene.mics[lo:hi, 0]))
                fe_errors.append(errors(line, out[lo:hi]))
            table[f"{prefix}snr_{snr:g}db"] = {"raw": pooled(raw_errors),
                                               "frontend": pooled(fe_errors)}
    return table


def run(quick: bool = False, asr: Callable[[np.ndarray], str] | None = None) -> dict[str, Any]:
    """Measure the audio front end; with ``asr`` also the WER table."""
    if not webrtc_available():
        return {"skipped": "pywebrtc-audio is not installed"}
    circle, line = ArrayGeometry.circular(4, 0.032), ArrayGeometry.linear(4, 0.04)
    bearings = [-60.0, 30.0] if quick else [-75.0, -45.0, -15.0, 0.0, 20.0, 50.0, 80.0]
    result: dict[str, Any] = {"aec": {"erle_db": erle(circle)}, "doa": {"error_deg": {}}}
    for name, geometry in (("circular4", circle), ("linear4", line)):
        for snr in (10.0, 0.0):
            errs = doa_errors(geometry, bearings, snr)
            result["doa"]["error_deg"][f"{name}_snr{snr:g}db"] = {
                "median": round(float(np.median(errs)), 1), "max": round(float(max(errs)), 1)}
    timings: list[float] = []
    scene, _ = barge_in_scene(circle, 30.0, 10.0)
    _frames(scene.mics, scene.reference, AcousticFrontEnd(circle, RATE), timings)
    result["frontend"] = {"frame_ms": {"p50": round(float(np.percentile(timings, 50)), 3),
                                       "p95": round(float(np.percentile(timings, 95)), 3)},
                          "realtime_factor": round(20.0 / float(np.mean(timings)), 1)}
    if asr is None:
        asr = _whisper()
    result["wer"] = wer_table(asr, lines=VISITOR_LINES[:2] if quick else VISITOR_LINES)
    result["wer"]["asr"] = "whisper tiny.en int8"
    return result


def _whisper() -> Callable[[np.ndarray], str]:
    """The kiosk's own ASR as ``pcm -> text``."""
    from appliance.engines.asr.whisper import WhisperAsr

    engine = WhisperAsr()
    return lambda pcm: engine.transcribe(np.asarray(pcm, dtype=np.int16)).text


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(run(quick=True), indent=2))
