"""Any Linux machine: CPU, memory, temperatures and fans through psutil."""

from __future__ import annotations

import logging

from hw.platform.base import PlatformSensors, PlatformSnapshot

logger = logging.getLogger(__name__)


class GenericSensors(PlatformSensors):
    """psutil-based fallback for development machines and non-Jetson boxes."""

    name = "generic-linux"

    def __init__(self) -> None:
        super().__init__()
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil is a dependency
            self._psutil = None
            self.health.degrade("psutil-missing", "psutil is not installed")
            return
        self._psutil = psutil
        psutil.cpu_percent(interval=None)  # prime the counters
        self.health.ok()

    def read(self) -> PlatformSnapshot:
        snap = PlatformSnapshot(model=self.name)
        ps = self._psutil
        if ps is None:
            return snap
        snap.cpu_load_pct = float(ps.cpu_percent(interval=None))
        try:
            freqs = ps.cpu_freq(percpu=True) or []
            snap.cpu_freq_mhz = [round(float(f.current), 1) for f in freqs]
        except (OSError, AttributeError, NotImplementedError):
            pass
        mem = ps.virtual_memory()
        snap.memory_used_mb = round((mem.total - mem.available) / 2**20, 1)
        snap.memory_total_mb = round(mem.total / 2**20, 1)
        temps = getattr(ps, "sensors_temperatures", None)
        if temps is not None:
            try:
                for chip, entries in temps().items():
                    for i, entry in enumerate(entries):
                        label = entry.label or (chip if i == 0 else f"{chip}-{i}")
                        snap.temperatures_c[label] = float(entry.current)
            except OSError as exc:
                logger.debug("no temperatures: %s", exc)
        fans = getattr(ps, "sensors_fans", None)
        if fans is not None:
            try:
                speeds = [f.current for entries in fans().values() for f in entries]
                snap.fan_rpm = float(max(speeds)) if speeds else None
            except OSError:
                pass
        return snap
