"""Audio DSP on signals with known answers: delays, bearings, beams, echo."""

from __future__ import annotations

import numpy as np
import pytest

from hw.array_geometry import ArrayGeometry, bearing_error
from hw.array_sim import KIOSK_LINE, VISITOR_LINE, mix_scene, power, propagate, spoken
from hw.beamformer import DelayAndSum
from hw.delays import FractionalDelayBank
from hw.doa import DoaTracker, gcc_phat, srp_phat_bearing
from hw.echo import AcousticFrontEnd, EchoReference, webrtc_available

RATE = 16_000
CIRCLE = ArrayGeometry.circular(4, 0.032)
LINE = ArrayGeometry.linear(4, 0.04)


def db(ratio: float) -> float:
    return float(10 * np.log10(ratio))


@pytest.mark.parametrize("delay", [7, -12, 2.5])
def test_gcc_phat_recovers_a_known_delay(delay: float) -> None:
    rng = np.random.default_rng(0)
    ref = rng.standard_normal(4096)
    sig = propagate(ref, ArrayGeometry(((0.0, 0.0),)), 0.0, RATE)[:, 0]
    sig = np.real(np.fft.irfft(np.fft.rfft(ref, 8192) * np.exp(
        -2j * np.pi * np.fft.rfftfreq(8192) * delay), 8192))[:4096]
    tau, _ = gcc_phat(sig, ref, RATE, max_tau=0.01)
    assert tau * RATE == pytest.approx(delay, abs=1 / 16)


def test_fractional_delay_bank_matches_an_exact_shift() -> None:
    x = spoken(VISITOR_LINE)[:8000]
    bank = FractionalDelayBank([0.0, 3.25])
    out = np.concatenate([bank.process(x[i:i + 320]) for i in range(0, len(x), 320)])
    exact = propagate(x, ArrayGeometry(((0.0, 0.0),)), 0.0, RATE)[:, 0]
    shifted = np.fft.irfft(np.fft.rfft(exact, 16384) * np.exp(
        -2j * np.pi * np.fft.rfftfreq(16384) * (3.25 + bank.latency)), 16384)[: len(x)]
    err = out[:, 1] - shifted
    assert db(power(shifted) / power(err[100:])) > 30


@pytest.mark.parametrize("geometry", [CIRCLE, LINE], ids=["circular", "linear"])
@pytest.mark.parametrize("bearing", [-70.0, -25.0, 0.0, 40.0, 75.0])
def test_srp_phat_finds_the_visitor_in_station_noise(geometry: ArrayGeometry,
                                                      bearing: float) -> None:
    scene = mix_scene(geometry, RATE, visitor=spoken(VISITOR_LINE),
                      visitor_bearing_deg=bearing, snr_db=10)
    found, score = srp_phat_bearing(scene.mics, geometry, RATE)
    # the noise shared by all mics pulls a linear array toward broadside a little
    assert bearing_error(found, bearing) <= (2.0 if not geometry.is_linear else 5.0)
    assert score > 0


def test_doa_tracker_moves_only_on_voiced_blocks() -> None:
    scene = mix_scene(CIRCLE, RATE, visitor=spoken(VISITOR_LINE), visitor_bearing_deg=-50,
                      snr_db=10)
    tracker = DoaTracker(CIRCLE, RATE)
    assert tracker.update(scene.mics[:320], voiced=False) is None
    for i in range(0, len(scene.mics) - 320, 320):
        tracker.update(scene.mics[i:i + 320], voiced=power(scene.visitor[i:i + 320]) > 1e4)
    assert tracker.bearing_deg is not None
    assert bearing_error(tracker.bearing_deg, -50) <= 5
    tracker.reset()
    assert tracker.bearing_deg is None


def test_delay_and_sum_keeps_the_visitor_and_averages_out_mic_noise() -> None:
    voice = spoken(VISITOR_LINE)
    scene = mix_scene(LINE, RATE, visitor=voice, visitor_bearing_deg=30, snr_db=None)
    hiss = np.random.default_rng(1).standard_normal(scene.visitor.shape) * 100
    beam_voice = DelayAndSum(LINE, RATE, bearing_deg=30)
    beam_hiss = DelayAndSum(LINE, RATE, bearing_deg=30)
    v = np.concatenate([beam_voice.process(scene.visitor[i:i + 320])
                        for i in range(0, len(voice), 320)])
    n = np.concatenate([beam_hiss.process(hiss[i:i + 320]) for i in range(0, len(voice), 320)])
    assert abs(db(power(v) / power(scene.visitor[:, 0]))) < 1.0  # steered talker intact
    assert db(power(hiss[:, 0]) / power(n)) > 5.0  # four mics: 6 dB on independent noise
    wrong = DelayAndSum(LINE, RATE, bearing_deg=-60)
    off = np.concatenate([wrong.process(scene.visitor[i:i + 320])
                          for i in range(0, len(voice), 320)])
    assert power(off) < power(v)  # a beam pointed elsewhere hears the visitor less


def test_echo_reference_resamples_and_keeps_pace() -> None:
    ref = EchoReference(RATE, max_s=1.0)
    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(2205) / 22050)).astype(np.int16)
    for i in range(0, len(tone), 441):
        ref.on_played(tone[i:i + 441], 22050, 0.0)
    got = ref.take(1600)
    assert got.dtype == np.int16 and len(got) == 1600
    assert np.abs(got[:1400]).max() > 6000
    assert np.all(ref.take(320) == 0)  # nothing more was played: silence
    ref.on_played(np.ones(RATE * 2, np.int16), RATE, 0.0)
    assert ref.pending == RATE and ref.dropped == RATE


needs_webrtc = pytest.mark.skipif(not webrtc_available(), reason="pywebrtc-audio not installed")


@needs_webrtc
def test_aec_attenuates_the_kiosks_own_voice_by_a_measured_amount() -> None:
    scene = mix_scene(CIRCLE, RATE, played=spoken(KIOSK_LINE), snr_db=None)
    frontend = AcousticFrontEnd(CIRCLE, RATE, noise_suppression=False, agc=False)
    out = np.concatenate([frontend.cancel_echo(scene.mics[i:i + 320],
                                               scene.reference[i:i + 320])
                          for i in range(0, len(scene.mics) - 319, 320)])
    half = len(out) // 2  # after the canceller converged
    erle = db(power(scene.mics[half:len(out), 0]) / (power(out[half:, 0]) + 1e-9))
    assert erle > 20.0


@needs_webrtc
def test_front_end_keeps_the_visitor_and_drops_the_echo() -> None:
    kiosk = spoken(KIOSK_LINE)
    visitor = np.zeros_like(kiosk)
    line = spoken(VISITOR_LINE, "en+f3")
    start = len(kiosk) - len(line) - RATE // 2
    visitor[start:start + len(line)] = line  # barge-in over the end of the reply
    scene = mix_scene(CIRCLE, RATE, visitor=visitor, played=kiosk, visitor_bearing_deg=45,
                      echo_bearing_deg=0, snr_db=20)
    frontend = AcousticFrontEnd(CIRCLE, RATE, noise_suppression=False, agc=False)
    out = np.concatenate([frontend.process(scene.mics[i:i + 320], scene.reference[i:i + 320])
                          for i in range(0, len(scene.mics) - 319, 320)]).astype(np.float64)
    echo_only = slice(len(kiosk) // 3, start)
    both = slice(start, start + len(line))
    assert db(power(scene.mics[echo_only, 0]) / power(out[echo_only])) > 15
    assert db(power(out[both]) / power(scene.visitor[both, 0])) > -6
    assert frontend.bearing_deg is not None
    assert bearing_error(frontend.bearing_deg, 45) <= 8
