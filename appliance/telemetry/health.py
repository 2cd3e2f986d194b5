"""Health collection: system metrics plus whatever the kiosk reports about itself.

:class:`HealthCollector` gathers CPU, GPU, memory, temperatures, power and disk
(psutil plus the Jetson's sysfs where present) and merges the dict returned by
the kiosk's health source (engine states and latency p50/p95, display, mic,
camera, conversation counters, errors). :class:`HealthSchedule` decides when to
send: on a change of any discrete value (states, flags) and at the heartbeat.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from hw.platform import PlatformSensors, detect

logger = logging.getLogger(__name__)

HealthSource = Callable[[], dict[str, Any]]



def _discrete(value: Any) -> Any:
    """Keep only what a change should trigger on: strings, bools, None, nested."""
    if isinstance(value, dict):
        return {k: _discrete(v) for k, v in sorted(value.items()) if _keep(v)}
    if isinstance(value, list):
        return [_discrete(v) for v in value if _keep(v)]
    return value


def _keep(value: Any) -> bool:
    return isinstance(value, (str, bool, dict, list)) or value is None


def signature(report: dict[str, Any]) -> str:
    """A string that changes when a state/flag in ``report`` changes (not a metric)."""
    return json.dumps(_discrete(report), sort_keys=True, default=str)


class HealthSchedule:
    """When to publish health: on change (debounced) and at least every heartbeat."""

    def __init__(self, heartbeat_s: float = 60.0, min_interval_s: float = 5.0) -> None:
        self.heartbeat_s = heartbeat_s
        self.min_interval_s = min_interval_s
        self._last_sent: float | None = None
        self._last_sig: str | None = None

    def due(self, now: float, sig: str) -> bool:
        """True when a report with signature ``sig`` should go out at ``now``."""
        if self._last_sent is None:
            return True
        since = now - self._last_sent
        if since >= self.heartbeat_s:
            return True
        return sig != self._last_sig and since >= self.min_interval_s

    def sent(self, now: float, sig: str) -> None:
        self._last_sent, self._last_sig = now, sig


class HealthCollector:
    """Builds one health report."""

    def __init__(self, disk_path: Path, source: HealthSource | None = None,
                 platform: PlatformSensors | None = None) -> None:
        self.disk_path = disk_path
        self.source = source
        self.platform = platform or detect()
        self._proc = psutil.Process(os.getpid())
        psutil.cpu_percent(None)  # prime the counters

    def collect(self) -> dict[str, Any]:
        report: dict[str, Any] = {"ts": time.time(), "system": self._system()}
        if self.source is not None:
            try:
                extra = self.source()
                if isinstance(extra, dict):
                    report.update(extra)
            except Exception as exc:  # a broken source must not stop health reports
                logger.warning("health source failed: %s", exc)
                report.setdefault("errors", []).append(
                    {"code": "health-source-failed", "message": str(exc)[:200]}
                )
        return report

    def _system(self) -> dict[str, Any]:
        vm = psutil.virtual_memory()
        try:
            du = psutil.disk_usage(str(self.disk_path))
            disk = {"used_pct": du.percent, "free_mb": du.free // 2**20}
        except OSError:
            disk = {"used_pct": None, "free_mb": None}
        return {
            "cpu_pct": psutil.cpu_percent(None),
            "load1": os.getloadavg()[0],
            "mem_used_pct": vm.percent,
            "mem_avail_mb": vm.available // 2**20,
            "proc_rss_mb": round(self._proc.memory_info().rss / 2**20, 1),
            "disk": disk,
            **self._board(),
            "uptime_s": round(time.time() - psutil.boot_time()),
        }

    def _board(self) -> dict[str, Any]:
        """GPU load, temperatures and power from the board's sensors (hw.platform)."""
        try:
            snap = self.platform.read()
        except Exception as exc:  # a sensor must never stop health reports
            logger.warning("platform sensors failed: %s", exc)
            return {"gpu_pct": None, "temps_c": {}, "power_w": None}
        return {"gpu_pct": snap.gpu_load_pct, "temps_c": snap.temperatures_c,
                "power_w": None if snap.total_power_w is None else round(snap.total_power_w, 2),
                "power_mode": snap.power_mode, "fan_pwm_pct": snap.fan_pwm_pct}
