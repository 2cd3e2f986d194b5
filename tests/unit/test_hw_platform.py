"""Jetson sensors parsed from recorded sysfs trees; the psutil fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from hw.health import HealthState
from hw.platform import GenericSensors, JetsonSensors, detect, is_jetson

DATA = Path(__file__).resolve().parents[1] / "data/sysfs"


def test_orin_nano_jetpack6_tree() -> None:
    sensors = detect(DATA / "orin-nano-jp6")
    assert isinstance(sensors, JetsonSensors)
    snap = sensors.read()
    assert "Orin Nano" in snap.model
    assert snap.temperatures_c["cpu-thermal"] == pytest.approx(52.343)
    assert "cv0-thermal" not in snap.temperatures_c  # disabled zone (-256 °C) is skipped
    assert snap.hottest_c == pytest.approx(52.343)
    assert set(snap.power_rails) == {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}
    assert snap.power_rails["VDD_IN"].power_w == pytest.approx(5.064 * 1.432)
    assert snap.total_power_w == pytest.approx(5.064 * 1.432)
    assert snap.gpu_load_pct == pytest.approx(34.7)
    assert snap.gpu_freq_mhz == pytest.approx(624.8, abs=0.1)
    assert snap.emc_freq_mhz == pytest.approx(2133.0)
    assert snap.emc_load_pct == pytest.approx(18.0, abs=0.1)
    assert snap.cpu_freq_mhz == [1510.4, 729.6, 1510.4, 1510.4, 1728.0, 1728.0]
    assert snap.fan_pwm_pct == pytest.approx(43.1, abs=0.1)
    assert snap.fan_rpm == 2391
    assert snap.power_mode == "MAXN_SUPER"
    assert snap.memory_total_mb == pytest.approx(7619.2, abs=0.1)
    assert sensors.health.state == HealthState.OK


def test_agx_orin_jetpack5_tree() -> None:
    sensors = JetsonSensors(DATA / "agx-orin-jp5")
    snap = sensors.read()
    assert snap.model == "Jetson AGX Orin"
    assert len(snap.temperatures_c) == 11
    assert set(snap.power_rails) == {"VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0",
                                     "VDDQ_VDD2_1V8AO"}  # NC channels dropped
    assert snap.total_power_w == pytest.approx(4.984 * 1.207)
    assert snap.gpu_load_pct == 0.0 and snap.gpu_freq_mhz == pytest.approx(306.0)
    assert snap.emc_freq_mhz is None and snap.emc_load_pct is None  # debugfs not mounted
    assert len(snap.cpu_freq_mhz) == 12
    assert snap.fan_pwm_pct == 0.0 and snap.fan_rpm is None
    assert snap.power_mode == "MAXN"
    data = snap.as_dict()
    assert data["power_rails"]["VDD_GPU_SOC"]["power_w"] == pytest.approx(7.947, abs=0.001)


def test_missing_tree_is_a_health_state_not_a_crash(tmp_path: Path) -> None:
    assert not is_jetson(tmp_path)
    sensors = JetsonSensors(tmp_path)
    snap = sensors.read()
    assert snap.temperatures_c == {} and snap.power_rails == {} and snap.gpu_load_pct is None
    assert sensors.health.state == HealthState.FAILED
    assert sensors.health.code == "sysfs-missing"


def test_generic_linux_fallback_reads_this_machine(tmp_path: Path) -> None:
    sensors = detect(tmp_path)
    assert isinstance(sensors, GenericSensors)
    snap = sensors.read()
    assert snap.memory_total_mb is not None and snap.memory_total_mb > 0
    assert snap.cpu_load_pct is not None and 0 <= snap.cpu_load_pct <= 100
