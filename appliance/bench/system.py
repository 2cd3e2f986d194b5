"""Benchmark of the appliance's system integration: how exposed each service is.

``systemd-analyze security`` scores each unit from 0 (locked down) to 10
(unprotected); the target for ``kiosk.service`` is <= 3.0. Also reports
whether every unit passes ``systemd-analyze verify``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from appliance.system import unitcheck

logger = logging.getLogger(__name__)

EXPOSURE_TARGET = 3.0


def run(quick: bool = False) -> dict[str, Any]:
    """Measure; ``quick`` changes nothing here (the checks take well under a second)."""
    if unitcheck.analyzer() is None:
        return {"skipped": "systemd-analyze is not installed"}
    folder = unitcheck.units_dir()
    units = [folder / name for name in unitcheck.SERVICES if (folder / name).exists()]
    exposure: dict[str, float] = {}
    for unit in units:
        try:
            exposure[unit.name] = unitcheck.security_exposure(unit)
        except (RuntimeError, OSError) as exc:
            logger.warning("no exposure score for %s: %s", unit.name, exc)
    started = time.monotonic()
    verified = unitcheck.verify(units)
    verify_ms = (time.monotonic() - started) * 1000
    main = exposure.get("kiosk.service")
    return {
        "security_exposure": exposure,
        "kiosk_service_within_target": main is not None and main <= EXPOSURE_TARGET,
        "exposure_target": EXPOSURE_TARGET,
        "units_verified": {r.unit: r.ok for r in verified},
        "verify_ms": round(verify_ms, 1),
        "units_dir": str(folder),
    }


if __name__ == "__main__":  # pragma: no cover - manual use
    import json

    print(json.dumps(run(), indent=2))
