"""The shipped units, sysusers.d and tmpfiles.d entries, checked by systemd's own tools."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from appliance.bench import system as bench_system
from appliance.system import unitcheck
from provisioning import debbuild

UNITS = unitcheck.units_dir()
SYSTEMD_DIR = Path(__file__).resolve().parents[2] / "systemd"

needs_analyze = pytest.mark.skipif(
    unitcheck.analyzer() is None, reason="systemd-analyze is not installed (Debian package systemd)"
)


def unit_file(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(SYSTEMD_DIR / name)
    return parser


@needs_analyze
@pytest.mark.parametrize("name", unitcheck.SERVICES)
def test_unit_verifies_clean(name: str) -> None:
    (result,) = unitcheck.verify([SYSTEMD_DIR / name])
    assert result.ok, result.output


@needs_analyze
def test_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    bad = tmp_path / "broken.service"
    bad.write_text("[Service]\nType=notifyish\nExecStart=/usr/bin/kiosk run\n")
    (result,) = unitcheck.verify([bad])
    assert not result.ok
    assert "notifyish" in result.output


@needs_analyze
def test_kiosk_service_exposure_within_target() -> None:
    assert unitcheck.security_exposure(SYSTEMD_DIR / "kiosk.service") <= 3.0


@needs_analyze
def test_bench_reports_every_service() -> None:
    report = bench_system.run(quick=True)
    assert set(report["security_exposure"]) == set(unitcheck.SERVICES)
    assert all(report["units_verified"].values())
    assert report["kiosk_service_within_target"] is True


def test_orchestrator_is_notify_with_watchdog_and_escalation() -> None:
    unit = unit_file("kiosk.service")
    assert unit["Service"]["Type"] == "notify"
    assert unit["Service"]["ExecStart"] == "/usr/bin/kiosk run"
    assert unit["Service"]["Restart"] == "on-failure"
    assert unit["Service"]["WatchdogSec"]
    assert unit["Service"]["User"] == "kiosk"
    assert unit["Service"]["DevicePolicy"] == "closed"
    # escalation through the boot-loop guard, never a bare reboot that would fire every boot
    assert unit["Unit"]["OnFailure"] == "kiosk-bootloop-guard.service"
    assert "StartLimitAction" not in unit["Unit"] and "FailureAction" not in unit["Unit"]
    assert int(unit["Unit"]["StartLimitBurst"]) > 0


def test_bootloop_guard_decides_as_kiosk_and_only_the_reboot_runs_as_root() -> None:
    unit = unit_file("kiosk-bootloop-guard.service")
    service = unit["Service"]
    assert service["Type"] == "oneshot"
    assert service["ExecCondition"] == "/usr/bin/kiosk bootloop-guard"
    assert service["ExecStart"] == "+/usr/bin/systemctl --no-block reboot"
    assert service["User"] == "kiosk" and service["StateDirectory"] == "kiosk"
    assert not unit.has_section("Install")  # started by kiosk.service's OnFailure= only
    assert "kiosk-bootloop-guard.service" in debbuild.STATIC_UNITS


def test_firstboot_runs_only_without_identity() -> None:
    unit = unit_file("kiosk-firstboot.service")
    assert unit["Unit"]["ConditionPathExists"] == "!/var/lib/kiosk/identity/device.key"
    assert unit["Service"]["Type"] == "oneshot"
    assert "kiosk-provision firstboot" in unit["Service"]["ExecStart"]


@pytest.mark.skipif(shutil.which("systemd-sysusers") is None, reason="no systemd-sysusers")
def test_sysusers_and_tmpfiles_make_user_and_directories(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    for name in ("passwd", "group"):
        shutil.copyfile(f"/etc/{name}", tmp_path / "etc" / name)
    subprocess.run(
        ["systemd-sysusers", f"--root={tmp_path}", str(SYSTEMD_DIR / "sysusers.d/kiosk.conf")],
        check=True, capture_output=True,
    )
    passwd = (tmp_path / "etc/passwd").read_text().splitlines()
    assert any(line.startswith("kiosk:") and "/var/lib/kiosk" in line for line in passwd)
    group_lines = (tmp_path / "etc/group").read_text().splitlines()
    groups = {line.split(":")[0]: line for line in group_lines}
    for group in ("audio", "video", "render"):
        assert "kiosk" in groups[group].split(":")[3].split(",")
    subprocess.run(
        ["systemd-tmpfiles", f"--root={tmp_path}", "--create",
         str(SYSTEMD_DIR / "tmpfiles.d/kiosk.conf")],
        check=True, capture_output=True,
    )
    identity = tmp_path / "var/lib/kiosk/identity"
    assert identity.is_dir() and (identity.stat().st_mode & 0o777) == 0o700
    assert (tmp_path / "run/kiosk").is_dir()


def test_the_jetson_gpu_nodes_cuda_opens_are_allowed() -> None:
    """DevicePolicy=closed: every node nvgpu's CUDA context opens must be listed, or CUDA
    fails on the device with a bare 'no CUDA-capable device' and the kiosk runs on the CPU."""
    text = (SYSTEMD_DIR / "kiosk.service").read_text()
    allowed = {line.split("=", 1)[1].split()[0] for line in text.splitlines()
               if line.startswith("DeviceAllow=")}
    for node in ("nvmap", "nvhost-ctrl-gpu", "nvhost-gpu", "nvhost-as-gpu", "nvhost-tsg-gpu",
                 "nvhost-ctxsw-gpu", "nvhost-sched-gpu", "nvhost-dbg-gpu", "nvhost-prof-gpu"):
        assert f"/dev/{node}" in allowed, node
    for node in ("as", "channel", "ctrl", "ctxsw", "dbg", "sched", "tsg"):
        assert f"/dev/nvgpu/igpu0/{node}" in allowed, node
    assert "EXTEND_TIMEOUT_USEC" in text  # the start timeout is renewed, and says so
