"""The behaviour tree as a pure function, driven by scripted event timelines."""

from __future__ import annotations

from appliance.behavior.tree import (
    EMERGENCY_TIMEOUT_S,
    GREET_COOLDOWN_S,
    HANDOFF_TIMEOUT_S,
    IDLE_TIMEOUT_S,
    BehaviorState,
    Decision,
    Event,
    decide,
)

Timeline = list[tuple[float, list[Event]]]


def play(timeline: Timeline, state: BehaviorState | None = None) -> list[Decision]:
    s = state or BehaviorState()
    out = []
    for now, events in timeline:
        d = decide(s, events, now)
        s = d.state
        out.append(d)
    return out


def test_a_full_visit() -> None:
    ds = play([
        (0, []), (10, [Event("approached")]), (11, [Event("engaged")]), (12, []),
        (14, [Event("speech_started")]), (16, [Event("speech_ended")]),
        (16.2, [Event("understood", intent="route_planning", emotion="anxious")]),
        (16.3, [Event("reply_started", style="calm")]), (20, [Event("reply_done")]),
        (25, [Event("speech_started")]),
        (26, [Event("speech_ended"), Event("understood", intent="farewell")]),
        (26.2, [Event("reply_started")]), (28, [Event("reply_done")]), (40, []),
    ])
    names = [d.name for d in ds]
    assert names == ["attract", "attract", "greet", "listen", "listen", "think", "think",
                     "speak", "listen", "listen", "think", "speak", "farewell", "attract"]
    assert ds[0].say and ds[2].say.startswith("Hello")  # attract line, then greeting
    assert ds[2].gesture == "wave"
    assert ds[7].gesture == "slow_nod" and ds[7].expression == "reassuring"  # calm, anxious
    assert ds[5].expression == "thinking"


def test_no_second_greeting_within_cooldown() -> None:
    ds = play([(0, [Event("engaged")]), (1, [Event("left")]), (5, []),
               (6, [Event("engaged")]), (6 + GREET_COOLDOWN_S, [Event("left")]),
               (30 + GREET_COOLDOWN_S, []), (31 + GREET_COOLDOWN_S, [Event("engaged")])])
    greets = [d for d in ds if d.name == "greet"]
    assert len(greets) == 2


def test_emergency_overrides_everything_until_cleared() -> None:
    ds = play([(0, [Event("engaged")]), (1, [Event("speech_started")]),
               (2, [Event("understood", intent="emergency", emotion="anxious"),
                    Event("alert")]),
               (3, [Event("reply_started", style="urgent")]), (5, [Event("reply_done")]),
               (60, [Event("left")]), (70, [Event("cleared")])])
    assert [d.name for d in ds[2:6]] == ["emergency"] * 4
    assert ds[2].actions == ("alert_staff",) and ds[3].actions == ()
    assert ds[2].gesture == "point_help" and ds[2].expression == "alert"
    assert ds[-1].name == "attract"


def test_an_emergency_intent_without_an_alert_is_no_alarm() -> None:
    """The intent classifier does not raise alarms: only the safety alert does."""
    ds = play([(0, [Event("engaged")]),
               (1, [Event("understood", intent="emergency", emotion="anxious")])])
    assert all(d.name != "emergency" and "alert_staff" not in d.actions for d in ds)


def test_an_emergency_nobody_clears_ends_after_the_timeout() -> None:
    ds = play([(0, [Event("engaged")]), (1, [Event("alert")]), (2, [Event("reply_done")]),
               (1 + EMERGENCY_TIMEOUT_S - 1, []), (1 + EMERGENCY_TIMEOUT_S, [])])
    assert [d.name for d in ds[1:4]] == ["emergency"] * 3
    assert ds[-1].name in ("listen", "attract")
    assert sum(d.actions == ("alert_staff",) for d in ds) == 1


def test_without_a_fleet_the_emergency_ends_once_the_alert_is_said() -> None:
    ds = play([(0, [Event("engaged")]), (1, [Event("alert")]),
               (2, [Event("reply_started", style="urgent")]), (6, [Event("reply_done")])],
              BehaviorState(staff_link=False))
    assert [d.name for d in ds[1:3]] == ["emergency", "emergency"]
    assert ds[-1].name != "emergency"


def test_handoff_after_repeated_failures_and_timeout() -> None:
    ds = play([(0, [Event("engaged")]), (1, [Event("understood", intent="out_of_scope")]),
               (2, [Event("reply_done")]),
               (3, [Event("understood", intent="out_of_scope")]), (4, []),
               (4 + HANDOFF_TIMEOUT_S + 1, [])])
    assert ds[3].name == "handoff" and ds[3].actions == ("page_staff",)
    assert ds[4].name == "handoff" and ds[4].gesture == "wait"
    assert ds[5].name == "attract"


def test_help_human_speaks_then_hands_off() -> None:
    ds = play([(0, [Event("engaged")]),
               (1, [Event("understood", intent="help_human"),
                    Event("reply_started", style="neutral")]),
               (3, [Event("reply_done")]), (4, [Event("staff_arrived")])])
    assert ds[1].name == "speak"
    assert ds[2].name == "handoff" and ds[2].actions == ("page_staff",)
    assert ds[3].name == "attract"


def test_silent_visitor_gets_farewell_after_idle_timeout() -> None:
    ds = play([(0, [Event("engaged")]), (1, []), (2 + IDLE_TIMEOUT_S, []),
               (10 + IDLE_TIMEOUT_S, [])])
    assert ds[1].name == "listen"
    assert ds[2].name == "farewell" and ds[2].gesture == "wave"
    assert ds[3].name == "attract"


def test_same_inputs_same_outputs() -> None:
    timeline: Timeline = [(0, [Event("engaged")]), (1, [Event("speech_started")]),
                          (2, [Event("speech_ended")])]
    assert play(timeline) == play(timeline)
