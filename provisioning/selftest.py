"""The self-test: small checks, each returning pass / warn / fail / skip with a detail.

Checks run on the real devices when they exist and on the sim twins where
they do not; every result says which (``sim``). The report is a table for the
technician, a JSON document for scripts (kept under ``<state>/selftest/``)
and a telemetry event when the telemetry module is part of this build.

``strict`` (the default on an enrolled device) is for a kiosk about to serve the
public: a microphone, speaker or camera that is only a sim twin fails, and so
does a missing site pack; the kiosk would otherwise run deaf, mute or blind.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from provisioning.checks import STATUSES, Check, CheckContext, CheckResult
from provisioning.paths import atomic_write, selftest_dir

logger = logging.getLogger(__name__)

def registry() -> dict[str, Check]:
    """Every check by name, in the order they run."""
    from provisioning import checks_audio, checks_config, checks_system

    return {
        "microphone": checks_audio.check_microphone,
        "loopback": checks_audio.check_loopback,
        "camera": checks_system.check_camera,
        "sign": checks_system.check_sign,
        "display": checks_system.check_display,
        "config": checks_config.check_config,
        "sitepack": checks_config.check_sitepack,
        "gpu": checks_system.check_gpu,
        "models": checks_system.check_models,
        "mqtt": checks_system.check_mqtt,
        "disk": checks_system.check_disk,
        "temperature": checks_system.check_temperature,
    }


def run_one(name: str, check: Check, ctx: CheckContext) -> CheckResult:
    started = time.monotonic()
    try:
        result = check(ctx)
    except Exception as exc:  # a check that crashes is a failed check, never a crash
        logger.exception("check %s raised", name)
        result = CheckResult(name, "fail", f"check crashed: {type(exc).__name__}: {exc}")
    result.name = name
    result.duration_ms = round((time.monotonic() - started) * 1000, 1)
    return enforce_strict(result, ctx)


STRICT_DEVICES = {"microphone": "microphone", "loopback": "speaker", "camera": "camera"}
"""Checks whose sim twin is a failure under ``strict``, and the device each stands for."""


def enforce_strict(result: CheckResult, ctx: CheckContext) -> CheckResult:
    """Under ``strict``, a device check that ran on (or is configured as) a sim twin fails."""
    device = STRICT_DEVICES.get(result.name)
    if not ctx.strict or device is None:
        return result
    if result.name == "camera" and not ctx.settings.camera.enabled and not ctx.force_sim:
        return result  # the kiosk is set up without a camera: nothing would run blind
    simulated = result.sim or (result.name == "camera" and ctx.settings.camera.source == "sim")
    if simulated and result.status != "fail":
        result.status = "fail"
        result.detail = (f"strict: the {device} is simulated, a kiosk needs a real one "
                         f"({result.detail})")
    return result


def run_checks(
    ctx: CheckContext,
    only: list[str] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> list[CheckResult]:
    checks = registry()
    unknown = sorted(set(only or []) - set(checks))
    if unknown:
        raise KeyError(", ".join(unknown))
    results = []
    for name, check in checks.items():
        if only and name not in only:
            continue
        if on_step is not None:
            on_step(name)
        results.append(run_one(name, check, ctx))
    return results


def overall(results: list[CheckResult]) -> str:
    states = {r.status for r in results}
    return "fail" if "fail" in states else "warn" if "warn" in states else "pass"


def report(results: list[CheckResult], device_id: str | None,
           strict: bool = False) -> dict[str, Any]:
    return {
        "kind": "selftest",
        "device_id": device_id,
        "strict": strict,
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "overall": overall(results),
        "sim": any(r.sim for r in results),
        "counts": {s: sum(r.status == s for r in results) for s in STATUSES},
        "checks": [asdict(r) for r in results],
    }


def save(doc: dict[str, Any]) -> Path:
    """Keep the report as ``last.json`` (and a timestamped copy, the last 10)."""
    folder = selftest_dir()
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    stamp = doc["at"].replace(":", "").replace("-", "")
    atomic_write(folder / f"report-{stamp}.json", text)
    atomic_write(folder / "last.json", text)
    for old in sorted(folder.glob("report-*.json"))[:-10]:
        old.unlink(missing_ok=True)
    return folder / "last.json"


def last_report() -> dict[str, Any] | None:
    try:
        data = json.loads((selftest_dir() / "last.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def publish(doc: dict[str, Any]) -> str:
    """Queue the report as ``evt/selftest`` in the device's outbox; says what happened."""
    from appliance.errors import KioskError
    from appliance.telemetry.events import publish_selftest

    try:
        publish_selftest(doc)
    except KioskError as exc:  # e.g. not enrolled yet: the report stays on disk
        return f"not sent to the fleet: {exc}"
    except Exception as exc:  # telemetry trouble must not fail the self-test
        return f"telemetry refused the event: {exc}"
    return "queued for the fleet (evt/selftest)"
