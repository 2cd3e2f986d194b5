"""The endpointer is a pure state machine: fed numbers, it answers with events."""

from appliance.pipeline.endpointer import Endpointer

W = 0.032  # one Silero window


def feed(ep: Endpointer, probs: list[float], t0: float = 0.0) -> list[tuple[str, float]]:
    events = []
    for i, p in enumerate(probs):
        ev = ep.update(p, t0 + i * W, W)
        if ev:
            events.append((ev.kind, round(ev.time, 3)))
    return events


def test_start_needs_min_speech_and_end_needs_min_silence() -> None:
    ep = Endpointer(0.5, min_speech_s=0.1, min_silence_s=0.3)
    probs = [0.0] * 5 + [0.9] * 20 + [0.0] * 12
    events = feed(ep, probs)
    assert events[0] == ("start", round(5 * W, 3))
    # end is the end of the last voiced window, not when the silence was noticed
    assert events[1] == ("end", round(25 * W, 3))
    assert len(events) == 2


def test_short_blip_is_not_speech() -> None:
    ep = Endpointer(0.5, min_speech_s=0.15, min_silence_s=0.3)
    assert feed(ep, [0.0, 0.9, 0.9, 0.0, 0.0, 0.9, 0.0] + [0.0] * 20) == []


def test_short_pause_inside_speech_does_not_end_it() -> None:
    ep = Endpointer(0.5, min_speech_s=0.1, min_silence_s=0.3)
    probs = [0.9] * 10 + [0.0] * 5 + [0.9] * 10 + [0.0] * 12
    kinds = [k for k, _ in feed(ep, probs)]
    assert kinds == ["start", "end"]


def test_hysteresis_keeps_speech_alive_just_below_threshold() -> None:
    ep = Endpointer(0.5, min_speech_s=0.1, min_silence_s=0.2)
    probs = [0.9] * 5 + [0.4] * 20 + [0.1] * 10
    events = feed(ep, probs)
    assert events[1] == ("end", round(25 * W, 3))


def test_max_utterance_forces_an_end() -> None:
    ep = Endpointer(0.5, min_speech_s=0.1, min_silence_s=0.3, max_utterance_s=1.0)
    ends = []
    for i in range(100):
        ev = ep.update(0.95, i * W, W)
        if ev and ev.kind == "end":
            ends.append(ev)
    assert ends and ends[0].forced
    assert abs(ends[0].time - 1.0) < 2 * W
