"""The ``update`` command: install a signed model/site bundle, check it, roll back on failure.

``cmd/update`` with ``{"bundle": "<path or http(s) URL>", "sha256": "<optional>"}``:

1. **downloading** (URLs only; size cap and time limit) — a local path (USB) is used as is;
2. **verifying**: the whole file's ``sha256`` if given, then the bundle's Ed25519
   signature against the device's trust store (``<state>/identity/update-signing.pub``,
   a rotation key ``update-signing.next.pub`` and a revocation list
   ``update-signing.revoked`` beside it), its monotonic version against the installed
   models' (``bundle-downgrade``) and every file's hash. A bad bundle is refused here:
   nothing has been written;
3. **installing**: the models it replaces are snapshotted (hard links), then each
   model folder is swapped in atomically (:func:`install_bundle`);
4. **health-check**: a pluggable check (default: every model of the bundle
   hash-verifies and its ONNX files load in ONNX Runtime);
5. **done**, or **rolled-back**: the snapshot is put back, the previous models are
   intact, and the reply is an error saying why.

Each step is an ``evt/update`` event ``{"id": <command id>, "stage", "bundle", ...}``.
A second ``update`` while one runs is refused (``update-busy``); devices that share
a process (tests, simulators) share one model store, so their installs take turns.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.errors import KioskError
from appliance.runtime.bundle import install_bundle, verify_bundle
from appliance.runtime.manifest import load_manifest
from appliance.runtime.store import resolve, verify_model
from appliance.settings import TelemetrySettings, state_dir
from appliance.telemetry import commands
from appliance.telemetry.update_fetch import UpdateError, check_sha256, fetch, is_url
from appliance.telemetry.update_swap import Snapshot

if TYPE_CHECKING:
    from appliance.telemetry.agent import TelemetryAgent

logger = logging.getLogger(__name__)

HealthCheck = Callable[[list[str]], None]
"""Called with the installed model names after the swap; raising means unhealthy."""
Publish = Callable[..., Any]
"""``publish(kind, payload, alarm=bool)``, i.e. :meth:`TelemetryAgent.publish_event`."""

KEY_NAME = "update-signing.pub"
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_INSTALL_LOCK = threading.Lock()
"""One model store per process: installs never overlap."""


def trust_key_path(settings: TelemetrySettings | None = None) -> Path:
    """Where the update signing key lives (``update_key_file`` or the identity folder)."""
    if settings is not None and settings.update_key_file:
        return Path(settings.update_key_file)
    return state_dir() / "identity" / KEY_NAME


def default_health_check(models: list[str]) -> None:
    """Each model hash-verifies from where it will load, and its ONNX entry file loads."""
    manifest = load_manifest()
    problems: list[str] = []
    for name in models:
        spec = manifest.get(name)
        report = verify_model(spec)
        if not report.ok:
            problems += report.problems
            continue
        if spec.format == "onnx" and spec.variants:
            import onnxruntime as ort

            try:
                ort.InferenceSession(str(resolve(spec, "fp32")),
                                     providers=["CPUExecutionProvider"])
            except Exception as exc:
                problems.append(f"{name}: does not load in ONNX Runtime: {str(exc)[:200]}")
    if problems:
        raise UpdateError("; ".join(problems), code="update-health-failed")


class Updater:
    """Runs ``update`` commands (see the module docstring)."""

    def __init__(
        self,
        publish: Publish,
        *,
        settings: TelemetrySettings | None = None,
        download_dir: Path | None = None,
        health_check: HealthCheck | None = None,
        snapshot: Snapshot | None = None,
    ) -> None:
        self.publish = publish
        self.settings = settings or TelemetrySettings()
        self.download_dir = download_dir or state_dir() / "telemetry" / "downloads"
        self.health_check = health_check or default_health_check
        self.snapshot = snapshot or Snapshot()
        self._busy = threading.Lock()
        self.recovered = self._recover()

    def _recover(self) -> dict[str, Any] | None:
        with _INSTALL_LOCK:
            try:
                journal = self.snapshot.recover()
            except OSError as exc:
                logger.error("could not undo an interrupted update: %s", exc)
                return None
        if journal is not None:
            self._emit("rolled-back", str(journal.get("bundle", "")), str(journal.get("id", "")),
                       final=True, reason="interrupted", models=journal.get("models", []))
        return journal

    def _emit(self, stage: str, bundle: str, cmd_id: str, *, final: bool = False,
              **extra: Any) -> None:
        body = {"id": cmd_id, "stage": stage, "bundle": bundle[:300], **extra}
        try:
            self.publish("update", body, alarm=final)
        except Exception:  # progress is best effort; the reply is what counts
            logger.exception("update progress event failed")

    def handle(self, args: dict[str, Any]) -> dict[str, Any]:
        """The ``update`` command handler."""
        source = args.get("bundle", args.get("url", args.get("path")))
        if not isinstance(source, str) or not 0 < len(source) <= 2048:
            raise UpdateError("update needs 'bundle': a path on the device or an http(s) URL",
                              code="update-bad-args")
        want = args.get("sha256", "") or ""
        if not isinstance(want, str) or (want and not _SHA256.match(want)):
            raise UpdateError("'sha256' must be 64 hex digits", code="update-bad-args")
        running = commands.current()
        cmd_id = running.id if running is not None else ""
        if not self._busy.acquire(blocking=False):  # never hold a second command worker
            raise UpdateError("another update is still running on this device",
                              code="update-busy", retryable=True)
        try:
            with _INSTALL_LOCK:
                return self._run(source, want, cmd_id)
        except KioskError as exc:
            if not getattr(exc, "rolled_back", False):
                self._emit("failed", source, cmd_id, final=True, code=exc.code,
                           error=str(exc)[:500])
            raise
        finally:
            self._busy.release()

    def _run(self, source: str, want: str, cmd_id: str) -> dict[str, Any]:
        start = time.monotonic()
        key = trust_key_path(self.settings)
        if not key.is_file():
            raise UpdateError(f"no update signing key at {key} (kiosk-provision enroll installs "
                              "it from the enrolment bundle)", code="update-no-key")
        if is_url(source):
            self._emit("downloading", source, cmd_id, bytes=0)
        path, downloaded = fetch(
            source, self.download_dir, max_bytes=self.settings.update_max_mb * 2**20,
            timeout_s=self.settings.update_timeout_s,
            progress=lambda got, total: self._emit("downloading", source, cmd_id, bytes=got,
                                                   total=total))
        try:
            self._emit("verifying", source, cmd_id)
            digest = check_sha256(path, want)
            info = verify_bundle(path, key)
            self._emit("installing", source, cmd_id, models=info.models)
            self.snapshot.take(info.models, bundle=source, id=cmd_id)
            try:
                install_bundle(path, key)
                self._emit("health-check", source, cmd_id, models=info.models)
                self.health_check(list(info.models))
            except Exception as exc:
                raise self._roll_back(exc, source, cmd_id) from exc
            self.snapshot.commit()
        finally:
            if downloaded:
                path.unlink(missing_ok=True)
        manifest = load_manifest()
        versions = {m: manifest.get(m).version for m in info.models}
        result = {"models": info.models, "versions": versions, "sha256": digest,
                  "bundle_version": info.version, "signed_by": info.signed_by,
                  "created": info.created, "duration_s": round(time.monotonic() - start, 2),
                  "restart_required": True}
        self._emit("done", source, cmd_id, final=True, models=info.models, versions=versions)
        logger.info("update %s installed: %s", source, versions)
        return result

    def _roll_back(self, cause: Exception, source: str, cmd_id: str) -> UpdateError:
        code = cause.code if isinstance(cause, KioskError) else "update-health-failed"
        try:
            restored = self.snapshot.restore()
        except OSError as exc:
            logger.exception("rollback failed")
            err = UpdateError(f"update failed ({cause}) and the rollback failed too: {exc}",
                              code="update-rollback-failed")
            return err
        self._emit("rolled-back", source, cmd_id, final=True, code=code,
                   reason=str(cause)[:500], models=restored)
        err = UpdateError(f"update rolled back, the previous models are in place: {cause}",
                          code=code if code.startswith("update-") else "update-rolled-back")
        err.rolled_back = True  # type: ignore[attr-defined]
        return err


def install(agent: TelemetryAgent, health_check: HealthCheck | None = None) -> Updater:
    """Register ``update`` on ``agent``; returns the :class:`Updater`."""
    updater = Updater(agent.publish_event, settings=agent.settings,
                      download_dir=agent.data_dir / "downloads", health_check=health_check)
    agent.register_command("update", updater.handle)
    return updater
