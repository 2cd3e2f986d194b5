"""Versioned remote configuration: ``cfg/desired`` in, ``cfg/reported`` out.

The fleet publishes (retained) ``{"version": N, "config": {...kiosk.toml tables...}}``.
A version newer than the active one is validated against the kiosk's settings
schema (:func:`appliance.settings.validate_overrides`: key, value and what is
allowed for each refused value), handed to the kiosk's apply hook,
and only then made the active and last good one (written atomically). A config
that fails validation is rejected; one whose apply fails is rolled back by
re-applying the last good one. Either way the device reports why: every push
gets a ``cfg/reported`` (``applied``, ``current``, ``rejected`` or ``rolled-back``).

There is one applier: pushes are handled one at a time under a lock, versions
only grow (a stale one is rejected, one beyond ``MAX_CONFIG_VERSION`` too, so a
bogus 2**63 cannot shadow every later push), and the file is replaced atomically
through a temporary file of its own.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance import settings as kiosk_settings
from appliance.system.fileio import atomic_write

logger = logging.getLogger(__name__)

MAX_DESIRED_BYTES = 256 * 1024
MAX_CONFIG_VERSION = 2**31 - 1
"""Versions are positive 32-bit integers (a push counter or a date like 2026120201)."""
ApplyHook = Callable[[dict[str, Any]], "dict[str, Any] | None"]
"""Applies a validated config to the running kiosk (raise to refuse: rolled back); may
return fields for the report (what changed live, whether a restart follows)."""


class ConfigManager:
    """Applies desired configs atomically and keeps the last good one."""

    def __init__(self, path: Path, apply: ApplyHook | None = None) -> None:
        self.path = path
        self.apply_hook = apply
        self._lock = threading.Lock()
        self.active: dict[str, Any] = {"version": 0, "config": {}}
        self.last_report: dict[str, Any] = {}
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(stored.get("version"), int) and isinstance(stored.get("config"), dict):
                self.active = {"version": stored["version"], "config": stored["config"]}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError) as exc:
            logger.error("stored config %s unreadable (%s); starting from version 0", path, exc)
        self.last_report = self._report("current", self.active["version"])

    @property
    def version(self) -> int:
        return int(self.active["version"])

    def _report(self, status: str, desired: int | None, error: str = "",
                problems: list[str] | None = None) -> dict[str, Any]:
        report: dict[str, Any] = {
            "version": self.version, "desired_version": desired, "status": status,
            "ts": time.time(),
        }
        if error:
            report["error"] = error
        if problems:
            report["problems"] = problems[:50]
        return report

    def handle(self, raw: bytes,
               publish: Callable[[dict[str, Any]], object] | None = None) -> dict[str, Any] | None:
        """Process one ``cfg/desired`` payload; returns the report to publish (None only
        for an empty payload: the fleet cleared its retained desired config).

        ``publish`` is called with the report while the applier's lock is held, so
        reports leave in the order the configs were applied.
        """
        with self._lock:
            report = self._handle(raw)
            if report is not None:
                self.last_report = report
                if publish is not None:
                    publish(report)
            return report

    def _handle(self, raw: bytes) -> dict[str, Any] | None:
        if not raw:  # retained desired cleared by the fleet
            return None
        if len(raw) > MAX_DESIRED_BYTES:
            return self._report("rejected", None, "config-too-large",
                                [f"{len(raw)} bytes > {MAX_DESIRED_BYTES}"])
        try:
            doc = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            return self._report("rejected", None, "config-not-json", [str(exc)[:200]])
        if not isinstance(doc, dict):
            return self._report("rejected", None, "config-schema", ["payload must be an object"])
        version, config = doc.get("version"), doc.get("config")
        if (isinstance(version, bool) or not isinstance(version, int)
                or not 1 <= version <= MAX_CONFIG_VERSION):
            return self._report("rejected", None, "config-schema",
                                [f"version must be an integer from 1 to {MAX_CONFIG_VERSION}"])
        if version == self.version:
            return self._report("current", version)  # retained redelivery, or a re-push
        if version < self.version:
            return self._report("rejected", version, "config-stale",
                                [f"version {version} is older than the active {self.version}"])
        if not isinstance(config, dict):
            return self._report("rejected", version, "config-schema", ["config must be a table"])
        try:
            problems = kiosk_settings.validate_overrides(config, f"cfg/desired v{version}")
        except Exception as exc:  # a schema checker must never take the agent down
            return self._report("rejected", version, "config-schema", [repr(exc)[:200]])
        if problems:
            report = self._report("rejected", version, problems[0].code,
                                  [str(p) for p in problems])
            report["problem_details"] = [p.as_dict() for p in problems[:50]]
            return report
        extra: dict[str, Any] | None = None
        try:
            if self.apply_hook is not None:
                extra = self.apply_hook(config)
        except Exception as exc:
            logger.error("config v%d failed to apply (%s); rolling back to v%d",
                         version, exc, self.version)
            self._reapply_last_good()
            return self._report("rolled-back", version, getattr(exc, "code", "config-apply-failed"),
                                [str(exc)[:200]])
        try:
            atomic_write(self.path, json.dumps({"version": version, "config": config}))
        except OSError as exc:  # e.g. a full disk: the kiosk runs it, the next start would not
            logger.error("config v%d cannot be saved (%s); rolling back to v%d",
                         version, exc, self.version)
            self._reapply_last_good()
            return self._report("rolled-back", version, "config-save-failed", [str(exc)[:200]])
        self.active = {"version": version, "config": config}
        logger.info("config v%d applied", version)
        report = self._report("applied", version)
        if isinstance(extra, dict):
            report.update({k: v for k, v in extra.items() if k not in report})
        return report

    def _reapply_last_good(self) -> None:
        if self.apply_hook is None:
            return
        try:
            self.apply_hook(self.active["config"])
        except Exception:
            logger.exception("re-applying last good config v%d failed", self.version)
