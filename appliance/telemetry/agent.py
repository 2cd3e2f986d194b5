"""The device's telemetry agent: state, birth, health, events, config and commands.

Usage from the kiosk (all methods are thread-safe and never block on the network)::

    agent = TelemetryAgent.from_settings(settings)
    builtins.install(agent)                        # rebirth, selftest, logs (telemetry.builtins)
    agent.set_health_source(lambda: {"engines": {...}, "conversation": {...}})
    agent.set_birth_source(lambda: {"engines": {...}, "models": {...}})
    agent.register_command("say", lambda args: speak(args["text"]))
    agent.set_config_hook(apply_new_settings)      # raise to refuse -> rollback
    agent.start()
    agent.publish_event("help_human", {"where": "hall B"})
    ...
    agent.stop()

Everything that must arrive goes through the on-disk :class:`Outbox`; a
supervisor thread owns the connection (fresh paho client per session, own
backoff, half-open detection) and pumps the outbox in order, deleting each
message only on its PUBACK.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from appliance.settings import Settings, TelemetrySettings, state_dir
from appliance.telemetry import link
from appliance.telemetry.agent_io import AgentIO, cert_path
from appliance.telemetry.backoff import Backoff, LinkWatch
from appliance.telemetry.commands import CommandHandler, CommandRouter
from appliance.telemetry.config import ApplyHook, ConfigManager
from appliance.telemetry.health import HealthCollector, HealthSchedule, HealthSource, signature
from appliance.telemetry.ledger import CommandLedger
from appliance.telemetry.outbox import Outbox
from appliance.telemetry.topics import DeviceTopics, valid_segment

logger = logging.getLogger(__name__)

ALARM_EVENTS = frozenset(
    {"overheat", "mic-lost", "camera-lost", "engine-failed", "help_human", "emergency", "alarm"}
)
"""Event types that are never shed from the outbox."""

STABLE_S = 10.0
"""A session that lasted this long resets the reconnect backoff."""
HEALTH_CHECK_S = 1.0
"""How often the health source is polled for changes."""

BirthSource = Callable[[], dict[str, Any]]


class TelemetryAgent(AgentIO):
    """Fleet telemetry for one device (see the module docstring)."""

    def __init__(
        self,
        settings: TelemetrySettings,
        *,
        site: str,
        device_id: str,
        data_dir: Path,
        firmware: str = "",
    ) -> None:
        self.settings = settings
        self.topics = DeviceTopics(site, device_id)
        self.data_dir = data_dir
        self.firmware = firmware or _firmware_version()
        self.outbox = Outbox(data_dir / "outbox.db", settings.outbox_max_messages,
                             settings.outbox_sync)
        self.ledger = CommandLedger(data_dir / "outbox.db")
        self.config = ConfigManager(data_dir / "config.json")
        self.router = CommandRouter()
        self.health = HealthCollector(data_dir)
        self.schedule = HealthSchedule(settings.heartbeat_s, settings.health_min_interval_s)
        self.backoff = Backoff(settings.backoff_initial_s, settings.backoff_max_s)
        self._birth_source: BirthSource | None = None
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="telemetry-cmd")
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._stop = threading.Event()
        self._closed = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._acks = link.AckQueue()
        self._client: mqtt.Client | None = None
        self._connected = threading.Event()
        self._listening = threading.Event()
        self._sub_mid = -1
        self._lost = threading.Event()
        self._inflight: dict[int, tuple[int, str]] = {}
        self._publish_failures: dict[int, int] = {}
        self._unheard_until: float | None = None
        self._probe_delay = 1.0
        self._probe_mid: int | None = None
        self._pause_until = 0.0
        self._reply_first_unheard: dict[int, float] = {}
        self._unrouted_tries: dict[int, int] = {}
        self._cursor = 0
        self._reply_cursor = 0
        self._session_start = 0.0
        self._bdseq = 0
        self._watch = LinkWatch(float(settings.keepalive_s))
        self._next_attempt = 0.0
        self._force_health = False
        self._last_health_check = -HEALTH_CHECK_S
        self._session_start_mono = 0.0
        self.host_online: bool | None = None
        self.stats = {"reconnects": 0, "sent": 0, "acked": 0, "rejected": 0, "expired": 0,
                      "dead": 0, "unheard": 0, "reply_unheard": 0, "reply_dropped": 0,
                      "unrouted": 0, "last_error": ""}

    @classmethod
    def from_settings(cls, settings: Settings, data_dir: Path | None = None) -> TelemetryAgent:
        """Build the agent from ``kiosk.toml`` (device id = settings or certificate CN)."""
        from appliance.telemetry import pki

        tel = settings.telemetry
        device_id = settings.device_id or pki.common_name(Path(cert_path(tel)))
        return cls(tel, site=settings.site, device_id=device_id,
                   data_dir=data_dir or state_dir() / "telemetry")

    # --- the kiosk's interface ----------------------------------------------

    def set_health_source(self, source: HealthSource | None) -> None:
        """A callable returning engines/conversation/devices health (merged into reports)."""
        self.health.source = source

    def set_birth_source(self, source: BirthSource | None) -> None:
        """A callable returning model/site pack versions, engines+backends, capabilities."""
        self._birth_source = source

    def register_command(self, name: str, handler: CommandHandler) -> None:
        """Run ``handler(args) -> dict | None`` for ``cmd/<name>`` (raise KioskError to fail)."""
        self.router.register(name, handler)

    def set_config_hook(self, hook: ApplyHook | None) -> None:
        """Called with each new valid desired config; raising rolls it back."""
        self.config.apply_hook = hook

    def publish_event(self, kind: str, payload: dict[str, Any] | None = None, *,
                      alarm: bool | None = None) -> int:
        """Queue ``evt/<kind>``; alarms and staff calls are never shed. Returns its seq."""
        if not valid_segment(kind):
            raise ValueError(f"invalid event type {kind!r}")
        critical = kind in ALARM_EVENTS if alarm is None else alarm
        body = {"ts": time.time(), "type": kind, **(payload or {})}
        seq = self.outbox.put(self.topics.evt(kind), body, critical=critical)
        self._wake.set()
        return seq

    def health_now(self) -> None:
        """Send a health report at the next tick (e.g. after an engine state change)."""
        self._force_health = True
        self._wake.set()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    @property
    def listening(self) -> bool:
        """Connected and the broker has acknowledged the ``cmd``/``cfg`` subscription:
        from now on a command sent to this device reaches it (or waits in its session)."""
        return self._connected.is_set() and self._listening.is_set()

    def start(self) -> None:
        """Start the supervisor thread (returns at once; connection happens in the background)."""
        if self._thread is not None:
            return
        for entry in self.ledger.take_interrupted():
            self._reply_interrupted(entry)
        self.ledger.prune()
        self.outbox.put(self.topics.cfg_reported, self.config.last_report, critical=True,
                        retain=True)
        self._thread = threading.Thread(target=self._run, name="telemetry", daemon=True)
        self._thread.start()

    def stop(self, reason: str = "shutdown", timeout: float = 5.0) -> None:
        """Say goodbye (retained state offline), disconnect cleanly, close the outbox."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        client = self._client
        if client is not None:
            if self._connected.is_set():
                body = link.dumps(self._state_body(False, reason))
                info = client.publish(self.topics.state, body, qos=1, retain=True)
                with contextlib.suppress(RuntimeError, ValueError):
                    info.wait_for_publish(min(2.0, timeout))
                client.disconnect()
            client.loop_stop()
            self._client = None
        self._connected.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.outbox.close()
        self.ledger.close()

    # --- supervisor -----------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception:  # the supervisor must outlive any bug in one tick
                logger.exception("telemetry tick failed")
                time.sleep(1.0)
            self._wake.wait(0.2)
            self._wake.clear()

    def _tick(self) -> None:
        now = link.now()
        if self.outbox.spilled:
            self.outbox.flush_spill()
        self._tick_health(now)
        client = self._client
        if client is None:
            if now >= self._next_attempt:
                self._connect()
            return
        if self._lost.is_set():
            self._teardown("connection lost")
            return
        if not self._connected.is_set():
            if now - self._session_start_mono > 15.0:
                self._teardown("no CONNACK")
            return
        self._process_acks()
        if self._watch.dead(now):
            logger.warning("no traffic from the broker for 1.5x keepalive: dropping the link")
            client.disconnect(reasoncode=link.disconnect_with_will())
            self._teardown("half-open link")
            return
        if self._watch.want_probe(now):
            client.unsubscribe(self.topics.cmd("_probe"))
        self._pump(client)

    def _tick_health(self, now: float) -> None:
        if not self._force_health and now - self._last_health_check < HEALTH_CHECK_S:
            return
        self._last_health_check = now
        report = self.health.collect()
        report["link"] = {"connected": self.connected, "listening": self.listening,
                          "reconnects": self.stats["reconnects"],
                          "fleet_host": self.host_online}
        report["outbox"] = self.outbox_health()
        report["config_version"] = self.config.version
        sig = signature({k: v for k, v in report.items() if k not in ("ts", "link", "outbox")})
        if self._force_health or self.schedule.due(now, sig):
            self._force_health = False
            self.schedule.sent(now, sig)
            self.outbox.put(self.topics.health, report)

    def outbox_health(self) -> dict[str, Any]:
        """The outbox as health reports it: depth, what was shed and why, dead letters."""
        box = self.outbox
        body: dict[str, Any] = {"pending": len(box), "spilled": box.spilled,
                                "shed_total": box.shed_total, "dead_total": box.dead_total,
                                "held": self._unheard_until is not None}
        if box.shed_reasons:
            body["shed"] = dict(box.shed_reasons)
        if box.last_error:
            body["last_error"] = box.last_error
        return body

    def _teardown(self, why: str) -> None:
        client, self._client = self._client, None
        self._connected.clear()
        self._inflight.clear()
        self._probe_mid = None
        if client is not None:
            client.loop_stop()
        if link.now() - self._session_start_mono > STABLE_S:
            self.backoff.reset()
        delay = self.backoff.next_delay()
        self._next_attempt = link.now() + delay
        logger.info("telemetry link down (%s); reconnecting in %.1f s", why, delay)


def _firmware_version() -> str:
    try:
        from importlib.metadata import version

        return version("kiosk-appliance")
    except Exception:
        return "0+unknown"
