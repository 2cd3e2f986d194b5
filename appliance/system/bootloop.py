"""Boot-loop guard: reboot once for a kiosk that keeps failing, then stay out of service.

``kiosk.service`` restarts on failure; when it fails more than its start limit allows
it enters ``failed`` and systemd starts ``kiosk-bootloop-guard.service``
(``OnFailure=``). That unit runs ``kiosk bootloop-guard``: :func:`decide` looks at the
reboots the guard made before (a small JSON file under the kiosk state dir) and
allows a reboot only when none was made within the boot-loop window. A reboot resets
the GPU and USB devices and cures most transient faults; a fault that comes back
after one is not cured by a second, so the kiosk is left stopped and *out of
service*: the reason is logged at CRITICAL (the journal) and written to
``out-of-service.json``, which ``kiosk run`` reports over MQTT as an alarm the next
time it starts (:func:`take_out_of_service`), then removes.

The decision is a pure function of plain numbers, so the window, the clock going
backwards and the pruning are tested without a reboot.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.settings.paths import state_dir

logger = logging.getLogger(__name__)

WINDOW_S = 6 * 3600.0
"""The boot-loop window. Longer than one loop (5 failed starts in 10 minutes, a boot,
and at most 45 minutes of engine builds), short enough that a fault which comes back
once a day still gets its reboot."""
MAX_REBOOTS = 1
"""Reboots the guard may make within one window."""
KEPT = 10
"""Reboot times remembered (the newest), so the file stays small whatever happens."""

REBOOT = "reboot"
OUT_OF_SERVICE = "out-of-service"
NO_ACTION = "no-action"
LOOP_RESULT = "start-limit-hit"
"""systemd's ``Result`` of a unit that stopped restarting because it failed too often.
Any other failure of kiosk.service (a stop that timed out during ``systemctl stop``)
is not a loop: it gets neither a reboot nor a count."""
EXIT_REBOOT = 0
"""``ExecCondition=`` passes: the unit's ``ExecStart`` reboots the box."""
EXIT_OUT_OF_SERVICE = 1
"""``ExecCondition=`` fails softly (1-254): no reboot, and the guard unit is not failed."""


@dataclass(frozen=True)
class GuardState:
    """What the guard remembers across boots."""

    reboots: tuple[float, ...] = ()
    """Wall-clock times (epoch s) of the reboots the guard made, oldest first."""

    def as_dict(self) -> dict[str, Any]:
        return {"v": 1, "reboots": list(self.reboots)}

    @classmethod
    def from_dict(cls, data: Any) -> GuardState:
        """Parse the file's content; anything malformed reads as a fresh state."""
        if not isinstance(data, dict) or not isinstance(data.get("reboots"), list):
            return cls()
        times = [float(t) for t in data["reboots"] if isinstance(t, (int, float))]
        return cls(tuple(sorted(times)[-KEPT:]))


@dataclass(frozen=True)
class Decision:
    """What the guard does now, why, and the state to persist before doing it."""

    action: str
    """:data:`REBOOT`, :data:`OUT_OF_SERVICE` or :data:`NO_ACTION`."""
    reason: str
    state: GuardState
    recent: int = 0
    """Guard reboots counted inside the window."""
    extra: dict[str, Any] = field(default_factory=dict)


def decide(state: GuardState, now: float, window_s: float = WINDOW_S,
           max_reboots: int = MAX_REBOOTS, result: str | None = None) -> Decision:
    """Reboot only if fewer than ``max_reboots`` guard reboots fall within ``window_s``.

    ``result`` is systemd's verdict on the unit when known: anything but
    :data:`LOOP_RESULT` is no loop and leaves everything as it is. Unknown (None)
    counts as a loop, as ``StartLimitAction=reboot`` did.

    A reboot time in the future means the clock went backwards (a Jetson without an
    RTC battery boots with an old time until NTP answers): the window cannot be shown
    to have passed, so it counts as recent. Erring that way costs one reboot at most;
    erring the other way is the endless loop this guard exists to stop.
    """
    if result and result != LOOP_RESULT:
        return Decision(NO_ACTION, f"the kiosk failed with result {result!r}, not a restart "
                        "loop: no reboot", state)
    recent = [t for t in state.reboots if now - t < window_s]
    if len(recent) < max_reboots:
        kept = (*state.reboots, now)[-KEPT:]
        return Decision(REBOOT, f"{len(recent)} guard reboot(s) in the last "
                        f"{window_s / 3600:g} h (at most {max_reboots}): rebooting once",
                        GuardState(kept), len(recent))
    last = max(recent)
    ago = now - last
    when = f"{ago / 60:.0f} min ago" if ago >= 0 else "at a time ahead of this clock"
    return Decision(OUT_OF_SERVICE, f"the kiosk failed again after the guard's reboot "
                    f"{when}; a boot loop: left stopped, out of service",
                    state, len(recent), {"last_reboot": last})


def state_path() -> Path:
    """The guard's counter: ``<state>/bootloop.json``."""
    return state_dir() / "bootloop.json"


def out_of_service_path() -> Path:
    """The out-of-service report ``kiosk run`` sends at its next start."""
    return state_dir() / "out-of-service.json"


def load_state(path: Path) -> GuardState:
    """The persisted state; a missing or damaged file reads as fresh (logged)."""
    try:
        return GuardState.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return GuardState()
    except (OSError, ValueError) as exc:
        logger.warning("bootloop state %s unreadable (%s): starting afresh", path, exc)
        return GuardState()


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write, fsync and rename, so a power cut before the reboot never loses the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def _unit_result(unit_name: str = "kiosk.service") -> dict[str, str]:
    """What systemd says about the failed unit: ``MONITOR_*`` (systemd >= 251, set for
    units started by ``OnFailure=``), else ``systemctl show`` (Ubuntu 22.04 has 249)."""
    names = ("MONITOR_UNIT", "MONITOR_SERVICE_RESULT", "MONITOR_EXIT_CODE",
             "MONITOR_EXIT_STATUS")
    found = {n.removeprefix("MONITOR_").lower(): os.environ[n] for n in names if n in os.environ}
    if "service_result" not in found and shutil.which("systemctl"):
        try:
            shown = subprocess.run(["systemctl", "show", "--value", "-p", "Result",
                                    found.get("unit", unit_name)], capture_output=True,
                                   text=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            logger.warning("systemctl show failed: %s", exc)
        else:
            if shown.returncode == 0 and shown.stdout.strip():
                found["service_result"] = shown.stdout.strip()
    return found


def guard(now: float | None = None, window_s: float = WINDOW_S,
          max_reboots: int = MAX_REBOOTS) -> Decision:
    """Decide, persist, and for out-of-service write the report; returns the decision.

    The state is written *before* the reboot is requested: if the write fails the
    guard refuses to reboot (an unrecorded reboot could repeat forever).
    """
    now = time.time() if now is None else now
    path = state_path()
    unit = _unit_result()
    decision = decide(load_state(path), now, window_s, max_reboots,
                      unit.get("service_result"))
    if decision.action == NO_ACTION:
        logger.warning("%s [bootloop-no-loop]", decision.reason)
        return decision
    if decision.action == REBOOT:
        try:
            _write_atomic(path, decision.state.as_dict())
        except OSError as exc:
            decision = Decision(OUT_OF_SERVICE, f"cannot record the reboot in {path} ({exc}):"
                                " not rebooting", decision.state, decision.recent)
        else:
            logger.critical("kiosk failed (%s): %s [bootloop-reboot]", unit or "unknown",
                            decision.reason)
            return decision
    report = {"v": 1, "code": "bootloop-out-of-service", "since": now,
              "reason": decision.reason, "guard_reboots_in_window": decision.recent,
              "window_h": window_s / 3600, "unit": unit, **decision.extra}
    try:
        _write_atomic(out_of_service_path(), report)
    except OSError as exc:
        logger.error("cannot write %s: %s", out_of_service_path(), exc)
    logger.critical("KIOSK OUT OF SERVICE: %s (unit: %s); fix the fault, then "
                    "systemctl restart kiosk [bootloop-out-of-service]", decision.reason,
                    unit or "unknown")
    return decision


def take_out_of_service() -> dict[str, Any] | None:
    """The out-of-service report of an earlier boot loop, removed once read.

    ``kiosk run`` calls this at start and publishes it as an alarm; a damaged file is
    still reported (with what could be read) so the fleet hears of the outage.
    """
    path = out_of_service_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("cannot read %s: %s", path, exc)
        return None
    try:
        report = json.loads(text)
    except ValueError:
        report = None
    if not isinstance(report, dict):
        report = {"code": "bootloop-out-of-service", "reason": "report unreadable"}
    try:
        path.unlink()
    except OSError as exc:  # reported twice is better than never
        logger.warning("cannot remove %s: %s", path, exc)
    return report


def run_guard(args: argparse.Namespace) -> int:
    """``kiosk bootloop-guard``: the exit status is the unit's ``ExecCondition=`` answer."""
    decision = guard(window_s=args.window_h * 3600, max_reboots=args.max_reboots)
    print(json.dumps({"v": 1, "action": decision.action, "reason": decision.reason}))
    return EXIT_REBOOT if decision.action == REBOOT else EXIT_OUT_OF_SERVICE


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``kiosk bootloop-guard`` (run by kiosk-bootloop-guard.service)."""
    p = sub.add_parser("bootloop-guard",
                       help="after kiosk.service failed: reboot once per boot-loop window, "
                            "else leave it out of service (exit 0 = reboot, 1 = do not)")
    p.add_argument("--window-h", type=float, default=WINDOW_S / 3600,
                   help="boot-loop window in hours (default %(default)g)")
    p.add_argument("--max-reboots", type=int, default=MAX_REBOOTS,
                   help="reboots allowed within one window (default %(default)d)")
    p.set_defaults(func=run_guard)
