"""NVIDIA Jetson (Orin, JetPack 5/6) sensors straight from sysfs.

Everything is read below ``root`` (``/`` on the device; a recorded tree in
tests), from the places L4T exposes them:

- thermal zones: ``sys/class/thermal/thermal_zone*/{type,temp}`` (m°C)
- power rails: INA3221 hwmon ``in<N>_label``, ``in<N>_input`` (mV),
  ``curr<N>_input`` (mA), under ``sys/bus/i2c/drivers/ina3221/*/hwmon/hwmon*``
  (or any ``sys/class/hwmon/hwmon*`` named ``ina3221``)
- GPU: ``load`` (per mille) next to the GPU's devfreq node, whose
  ``cur_freq`` is in Hz (``sys/class/devfreq/17000000.gpu`` on Orin, ``*.gv11b``/``*.ga10b`` older)
- EMC: ``sys/kernel/debug/bpmp/debug/clk/emc/rate`` (Hz, root only) and the
  activity monitor ``sys/kernel/actmon_avg_activity/mc_all`` (kHz of traffic)
- CPUs: ``sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq`` (kHz)
- fan: hwmon ``pwmfan`` ``pwm1`` (0..255) and ``pwm_tach`` ``rpm`` / ``fan1_input``
- power mode: ``var/lib/nvpmodel/status`` (``pmode:0002``) named by
  ``etc/nvpmodel.conf`` (``< POWER_MODEL ID=2 NAME=15W >``)
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from hw.platform.base import PlatformSensors, PlatformSnapshot, PowerRail, read_number, read_text

logger = logging.getLogger(__name__)

GPU_NODES = ("17000000.gpu", "17000000.ga10b", "17000000.gv11b", "57000000.gpu", "gpu.0")


def is_jetson(root: Path = Path("/")) -> bool:
    """True on a Jetson (Tegra device tree or an L4T release file)."""
    compatible = read_text(root / "proc/device-tree/compatible") or ""
    return "tegra" in compatible or (root / "etc/nv_tegra_release").exists()


class JetsonSensors(PlatformSensors):
    """Reads a Jetson's sensors from sysfs under ``root``."""

    name = "jetson"

    def __init__(self, root: str | Path = "/") -> None:
        super().__init__()
        self.root = Path(root)
        self.model = (read_text(self.root / "proc/device-tree/model") or "NVIDIA Jetson").strip()
        self._gpu_devfreq = self._find_gpu()
        if not (self.root / "sys/class/thermal").exists():
            self.health.fail("sysfs-missing", f"no thermal zones under {self.root}")
        else:
            self.health.ok()

    def _find_gpu(self) -> Path | None:
        devfreq = self.root / "sys/class/devfreq"
        for name in GPU_NODES:
            if (devfreq / name).exists():
                return devfreq / name
        return None

    def read(self) -> PlatformSnapshot:
        snap = PlatformSnapshot(model=self.model)
        snap.temperatures_c = self.temperatures()
        snap.power_rails = self.power_rails()
        snap.cpu_freq_mhz = self.cpu_freqs_mhz()
        snap.gpu_load_pct, snap.gpu_freq_mhz = self.gpu()
        snap.emc_freq_mhz, snap.emc_load_pct = self.emc()
        snap.fan_pwm_pct, snap.fan_rpm = self.fan()
        snap.power_mode = self.power_mode()
        mem = self.memory_mb()
        if mem is not None:
            snap.memory_used_mb, snap.memory_total_mb = mem
        return snap

    def temperatures(self) -> dict[str, float]:
        temps: dict[str, float] = {}
        for zone in sorted((self.root / "sys/class/thermal").glob("thermal_zone*")):
            kind = read_text(zone / "type")
            milli = read_number(zone / "temp")
            # a zone that is off reads -256000 on some L4T releases
            if kind and milli is not None and milli > -40_000:
                temps[kind] = round(milli / 1000.0, 3)
        return temps

    def _ina3221_dirs(self) -> list[Path]:
        found = sorted((self.root / "sys/bus/i2c/drivers/ina3221").glob("*/hwmon/hwmon*"))
        if not found:
            found = [h for h in sorted((self.root / "sys/class/hwmon").glob("hwmon*"))
                     if read_text(h / "name") == "ina3221"]
        return found

    def power_rails(self) -> dict[str, PowerRail]:
        rails: dict[str, PowerRail] = {}
        for hwmon in self._ina3221_dirs():
            for label_file in sorted(hwmon.glob("in*_label")):
                label = read_text(label_file)
                index = label_file.name[2:-6]
                if not label or label.upper() == "NC" or "SUM" in label.upper():
                    continue
                mv = read_number(hwmon / f"in{index}_input")
                ma = read_number(hwmon / f"curr{index}_input")
                if mv is None or ma is None:
                    continue
                rails[label] = PowerRail(mv / 1000.0, ma / 1000.0)
        return rails

    def gpu(self) -> tuple[float | None, float | None]:
        if self._gpu_devfreq is None:
            return None, None
        freq = read_number(self._gpu_devfreq / "cur_freq")
        device = self._gpu_devfreq / "device"
        load = read_number(device / "load")
        if load is None:  # older trees: sys/devices/gpu.0/load
            load = read_number(self.root / "sys/devices/gpu.0/load")
        return (None if load is None else round(load / 10.0, 1),
                None if freq is None else round(freq / 1e6, 1))

    def emc(self) -> tuple[float | None, float | None]:
        rate = read_number(self.root / "sys/kernel/debug/bpmp/debug/clk/emc/rate")
        activity = read_number(self.root / "sys/kernel/actmon_avg_activity/mc_all")
        freq_mhz = None if rate is None else round(rate / 1e6, 1)
        load = None
        if rate and activity is not None:
            load = round(min(100.0, activity / (rate / 1000.0) * 100.0), 1)
        return freq_mhz, load

    def cpu_freqs_mhz(self) -> list[float]:
        cpus = self.root / "sys/devices/system/cpu"
        freqs = []
        for cpu in sorted(cpus.glob("cpu[0-9]*"), key=lambda p: int(p.name[3:])):
            khz = read_number(cpu / "cpufreq/scaling_cur_freq")
            if khz is not None:
                freqs.append(round(khz / 1000.0, 1))
        return freqs

    def fan(self) -> tuple[float | None, float | None]:
        pwm = rpm = None
        for hwmon in sorted((self.root / "sys/class/hwmon").glob("hwmon*")):
            name = read_text(hwmon / "name")
            if name == "pwmfan" and pwm is None:
                value = read_number(hwmon / "pwm1")
                pwm = None if value is None else round(value / 255.0 * 100.0, 1)
            elif name == "pwm_tach" and rpm is None:
                rpm = read_number(hwmon / "rpm")
                if rpm is None:
                    rpm = read_number(hwmon / "fan1_input")
        return pwm, rpm

    def power_mode(self) -> str | None:
        status = read_text(self.root / "var/lib/nvpmodel/status")
        if not status:
            return None
        match = re.search(r"pmode:(\d+)", status)
        if not match:
            return None
        mode = int(match.group(1))
        conf = read_text(self.root / "etc/nvpmodel.conf") or ""
        for found in re.finditer(r"<\s*POWER_MODEL\s+ID=(\d+)\s+NAME=([^\s>]+)\s*>", conf):
            if int(found.group(1)) == mode:
                return found.group(2)
        return str(mode)

    def memory_mb(self) -> tuple[float, float] | None:
        text = read_text(self.root / "proc/meminfo")
        if not text:
            return None
        values = {}
        for line in text.splitlines():
            key, _, rest = line.partition(":")
            if rest.strip():
                values[key] = float(rest.split()[0])
        if "MemTotal" not in values or "MemAvailable" not in values:
            return None
        total = values["MemTotal"] / 1024.0
        return round(total - values["MemAvailable"] / 1024.0, 1), round(total, 1)
