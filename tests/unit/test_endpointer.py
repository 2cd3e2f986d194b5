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


def judged_run(judgement: bool | None, pause_windows: int,
               resume_windows: int = 10) -> list[tuple[str, float]]:
    """Speech, a pause judged after 4 windows (the ASR's guess), maybe more speech."""
    ep = Endpointer(0.5, min_speech_s=0.1, min_silence_s=0.3, complete_silence_s=0.2,
                    open_silence_s=0.8)
    events = feed(ep, [0.9] * 20)
    for i in range(pause_windows):
        if i == 4:
            ep.judge(judgement, ep.last_voice_end)
        ev = ep.update(0.0, (20 + i) * W, W)
        if ev:
            events.append((ev.kind, round(ev.time, 3)))
    return events + feed(ep, [0.9] * resume_windows + [0.0] * 30, (20 + pause_windows) * W)


def test_a_finished_sentence_ends_after_the_shorter_silence() -> None:
    # "Where is the nearest toilet?" then silence: over at 0.2 s, not 0.3 s
    ep = Endpointer(0.5, min_speech_s=0.1, min_silence_s=0.3, complete_silence_s=0.2)
    feed(ep, [0.9] * 20)
    ep.judge(True, ep.last_voice_end)
    ends = [i for i in range(12) if ep.update(0.0, (20 + i) * W, W)]
    assert ends == [6]  # 7 windows = 0.224 s of silence


def test_a_mid_sentence_pause_after_an_open_word_is_not_an_end() -> None:
    # "I need to get to ... [0.5 s] ... the museum": one turn, ended after the museum
    events = judged_run(False, pause_windows=16)
    assert [k for k, _ in events] == ["start", "end"]
    assert events[1][1] == round((20 + 16 + 10) * W, 3)


def test_the_same_pause_unjudged_would_have_split_the_question() -> None:
    events = judged_run(None, pause_windows=16)
    assert [k for k, _ in events] == ["start", "end", "start", "end"]


def test_an_open_pause_still_ends_when_the_visitor_stops_for_good() -> None:
    events = judged_run(False, pause_windows=30, resume_windows=0)
    assert events == [("start", 0.0), ("end", round(20 * W, 3))]


def test_a_judgement_holds_for_its_own_pause_only() -> None:
    ep = Endpointer(0.5, min_speech_s=0.1, min_silence_s=0.3, complete_silence_s=0.2,
                    open_silence_s=0.8)
    feed(ep, [0.9] * 20)
    stale = ep.last_voice_end
    feed(ep, [0.0] * 3 + [0.9] * 5, 20 * W)  # the visitor went on
    ep.judge(False, stale)  # the guess about the first pause arrives late
    assert ep.needed_silence_s == 0.3
    ep.judge(False, ep.last_voice_end)
    assert ep.needed_silence_s == 0.8
    feed(ep, [0.9] * 2, 28 * W)  # new words: back to the usual wait
    assert ep.needed_silence_s == 0.3


def test_a_pause_being_judged_waits_for_the_words_then_ends_at_once() -> None:
    ep = Endpointer(0.5, min_speech_s=0.1, min_silence_s=0.3, complete_silence_s=0.2,
                    open_silence_s=0.8)
    feed(ep, [0.9] * 20)
    ep.expect_judgement()
    # 0.38 s of silence: past min_silence, but the words are not in yet
    assert feed(ep, [0.0] * 12, 20 * W) == []
    ep.judge(True, ep.last_voice_end)
    ev = ep.update(0.0, 32 * W, W)
    assert ev is not None and ev.kind == "end"


def test_a_judgement_that_never_comes_waits_the_open_silence_only() -> None:
    ep = Endpointer(0.5, min_speech_s=0.1, min_silence_s=0.3, open_silence_s=0.8)
    feed(ep, [0.9] * 20)
    ep.expect_judgement()
    ends = [i for i in range(40) if ep.update(0.0, (20 + i) * W, W)]
    assert ends == [24]  # 25 windows = 0.8 s
