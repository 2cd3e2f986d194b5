"""The boot-loop guard: one reboot per window, then out of service, reported at next start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.cli import main as cli
from appliance.service import daemon
from appliance.settings import TelemetrySettings
from appliance.system import bootloop
from appliance.system.bootloop import (
    NO_ACTION,
    OUT_OF_SERVICE,
    REBOOT,
    WINDOW_S,
    GuardState,
    decide,
)
from appliance.telemetry import TelemetryAgent, builtins

T0 = 1_800_000_000.0


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path))
    # what systemd >= 251 hands a unit started by OnFailure= after a restart loop
    monkeypatch.setenv("MONITOR_UNIT", "kiosk.service")
    monkeypatch.setenv("MONITOR_SERVICE_RESULT", "start-limit-hit")
    return tmp_path


def test_first_failure_reboots_and_counts_the_reboot() -> None:
    d = decide(GuardState(), T0)
    assert d.action == REBOOT
    assert d.state.reboots == (T0,)


def test_failing_again_within_the_window_is_out_of_service() -> None:
    d = decide(GuardState((T0,)), T0 + 15 * 60)
    assert d.action == OUT_OF_SERVICE
    assert "15 min ago" in d.reason
    assert d.state.reboots == (T0,)  # nothing new to remember


def test_a_fault_after_the_window_gets_its_reboot_again() -> None:
    d = decide(GuardState((T0,)), T0 + WINDOW_S + 1)
    assert d.action == REBOOT
    assert d.state.reboots == (T0, T0 + WINDOW_S + 1)


def test_a_clock_gone_backwards_counts_as_inside_the_window() -> None:
    d = decide(GuardState((T0,)), T0 - 3 * 86400)
    assert d.action == OUT_OF_SERVICE
    assert "ahead of this clock" in d.reason


def test_max_reboots_and_pruning() -> None:
    assert decide(GuardState((T0,)), T0 + 60, max_reboots=2).action == REBOOT
    many = GuardState(tuple(T0 - 86400 * i for i in range(30, 0, -1)))
    d = decide(many, T0)
    assert d.action == REBOOT and len(d.state.reboots) == bootloop.KEPT
    assert d.state.reboots[-1] == T0


def test_a_failure_that_is_not_a_restart_loop_does_nothing() -> None:
    d = decide(GuardState(), T0, result="timeout")
    assert d.action == NO_ACTION and d.state == GuardState()
    assert decide(GuardState(), T0, result="start-limit-hit").action == REBOOT


def test_damaged_state_reads_as_fresh(tmp_path: Path) -> None:
    bad = tmp_path / "bootloop.json"
    bad.write_text("{not json")
    assert bootloop.load_state(bad) == GuardState()
    bad.write_text(json.dumps({"reboots": "x"}))
    assert bootloop.load_state(bad) == GuardState()
    assert GuardState.from_dict({"reboots": [3, "x", 1.5]}).reboots == (1.5, 3.0)


def test_the_loop_across_two_boots_reboots_once_then_stays_out(root: Path) -> None:
    first = bootloop.guard(now=T0)
    assert first.action == REBOOT
    saved = json.loads((root / "var/lib/kiosk/bootloop.json").read_text())
    assert saved["reboots"] == [T0]
    assert not bootloop.out_of_service_path().exists()
    # the next boot: the kiosk fails again ten minutes in
    second = bootloop.guard(now=T0 + 600)
    assert second.action == OUT_OF_SERVICE
    report = json.loads(bootloop.out_of_service_path().read_text())
    assert report["code"] == "bootloop-out-of-service"
    assert report["unit"] == {"unit": "kiosk.service", "service_result": "start-limit-hit"}
    assert report["guard_reboots_in_window"] == 1


def test_cli_exit_status_is_the_units_exec_condition(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["bootloop-guard"]) == bootloop.EXIT_REBOOT
    assert json.loads(capsys.readouterr().out)["action"] == REBOOT
    assert cli.main(["bootloop-guard"]) == bootloop.EXIT_OUT_OF_SERVICE
    assert json.loads(capsys.readouterr().out)["action"] == OUT_OF_SERVICE
    # a window of ~0 h: the earlier reboot is outside it
    assert cli.main(["bootloop-guard", "--window-h", "0.000001"]) == bootloop.EXIT_REBOOT


def test_no_loop_writes_nothing(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_SERVICE_RESULT", "timeout")
    assert cli.main(["bootloop-guard"]) == bootloop.EXIT_OUT_OF_SERVICE
    assert not bootloop.state_path().exists()
    assert not bootloop.out_of_service_path().exists()


def test_next_start_reports_out_of_service_once_through_the_outbox(root: Path) -> None:
    bootloop.guard(now=T0)
    bootloop.guard(now=T0 + 600)
    agent = TelemetryAgent(TelemetrySettings(enabled=True), site="s", device_id="dev-1",
                           data_dir=root / "var/lib/kiosk/telemetry")
    builtins.install(agent)  # rebirth, selftest, logs
    try:
        daemon._report_out_of_service(agent.publish_event)
        daemon._report_out_of_service(agent.publish_event)  # taken once: not sent again
        queued = agent.outbox.batch(0, 100)
    finally:
        agent.stop()
    (message,) = [m for m in queued if m.topic.endswith("/evt/out-of-service")]
    assert len([m for m in queued if "out-of-service" in m.topic]) == 1
    body = json.loads(message.payload)
    assert body["code"] == "bootloop-out-of-service" and "boot loop" in body["reason"]
    assert message.critical  # an alarm: never shed from the outbox
    assert not bootloop.out_of_service_path().exists()


def test_a_damaged_report_is_still_reported(root: Path) -> None:
    path = bootloop.out_of_service_path()
    path.parent.mkdir(parents=True)
    path.write_text("garbage")
    report = bootloop.take_out_of_service()
    assert report is not None and report["code"] == "bootloop-out-of-service"
    assert bootloop.take_out_of_service() is None
