"""The agent's network half: connecting, paho callbacks, the outbox pump, dispatch.

Split from :mod:`appliance.telemetry.agent` to keep each module readable; the
attributes used here are created by :class:`~appliance.telemetry.agent.TelemetryAgent`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from appliance.settings import TelemetrySettings, state_dir
from appliance.telemetry import commands, link
from appliance.telemetry.backoff import Backoff, LinkWatch
from appliance.telemetry.commands import Command, CommandRefused, CommandRouter
from appliance.telemetry.config import ConfigManager
from appliance.telemetry.ledger import CommandLedger, Entry
from appliance.telemetry.outbox import Outbox
from appliance.telemetry.topics import FLEET_HOST_STATE, DeviceTopics

logger = logging.getLogger(__name__)

MAX_BUSY = 16
"""Commands queued or running at once; more are refused as ``busy``."""
_RETRY_LATER = {0x97}  # quota exceeded: keep the message for the next session


def pki_paths(tel: TelemetrySettings) -> tuple[str, str, str]:
    """CA, certificate and key paths; by default where ``kiosk-provision init/enroll``
    put them (``<state>/identity/``)."""
    ident = state_dir() / "identity"
    return (tel.ca_file or str(ident / "ca.crt"), tel.cert_file or str(ident / "device.crt"),
            tel.key_file or str(ident / "device.key"))


def cert_path(tel: TelemetrySettings) -> str:
    return pki_paths(tel)[1]


class AgentIO:
    """Connection, callbacks and pump (mixed into ``TelemetryAgent``)."""

    settings: TelemetrySettings
    topics: DeviceTopics
    data_dir: Path
    firmware: str
    outbox: Outbox
    ledger: CommandLedger
    config: ConfigManager
    router: CommandRouter
    backoff: Backoff
    stats: dict[str, Any]
    host_online: bool | None
    _birth_source: Any
    _executor: ThreadPoolExecutor
    _busy: int
    _busy_lock: threading.Lock
    _wake: threading.Event
    _acks: link.AckQueue
    _client: mqtt.Client | None
    _connected: threading.Event
    _listening: threading.Event
    _sub_mid: int
    _lost: threading.Event
    _inflight: dict[int, int]
    _cursor: int
    _reply_cursor: int
    _session_start: float
    _session_start_mono: float
    _bdseq: int
    _watch: LinkWatch
    _next_attempt: float

    # --- connecting -----------------------------------------------------------

    def _connect(self) -> None:
        ca, cert, key = pki_paths(self.settings)
        self._bdseq = self.outbox.next_counter("bdseq")
        self._lost.clear()
        self._connected.clear()
        self._listening.clear()
        try:
            client = link.make_client(self.topics.device_id, ca_file=ca, cert_file=cert,
                                      key_file=key)
            client.will_set(self.topics.state, link.dumps(self._state_body(False, "lost")),
                            qos=1, retain=True)
            client.on_connect = self._on_connect
            client.on_disconnect = self._on_disconnect
            client.on_publish = self._on_publish
            client.on_message = self._on_message
            client.on_subscribe = self._on_ack
            client.on_unsubscribe = self._on_ack
            client.max_inflight_messages_set(WINDOW_MAX)
            client.connect(self.settings.host, self.settings.port, self.settings.keepalive_s,
                           clean_start=False, properties=link.connect_properties())
        except (OSError, ValueError) as exc:
            self.stats["last_error"] = f"connect: {exc}"[:200]
            delay = self.backoff.next_delay()
            self._next_attempt = link.now() + delay
            logger.info("cannot reach broker %s:%d (%s); retry in %.1f s",
                        self.settings.host, self.settings.port, exc, delay)
            return
        self._session_start_mono = link.now()
        self._client = client
        client.loop_start()

    def _state_body(self, online: bool, reason: str) -> dict[str, Any]:
        return {"online": online, "bdSeq": self._bdseq, "ts": time.time(), "reason": reason}

    def _on_connect(self, client: mqtt.Client, _ud: Any, _flags: Any, rc: Any,
                    _props: Any) -> None:
        if rc.is_failure:
            self.stats["last_error"] = f"refused by broker: {rc}"
            logger.error("broker refused the connection: %s", rc)
            return
        self._watch.seen(link.now())
        self._session_start = time.time()
        self._cursor = self._reply_cursor = 0
        self.host_online = None  # until the (retained) presence arrives on this session
        self._listening.clear()
        _rc, mid = client.subscribe([(self.topics.cmd_filter, 1), (self.topics.cfg_desired, 1),
                                     (FLEET_HOST_STATE, 1)])
        self._sub_mid = -1 if mid is None else mid
        client.publish(self.topics.state, link.dumps(self._state_body(True, "connected")),
                       qos=1, retain=True)
        if not self.settings.wait_for_fleet_host:
            self._publish_birth(client)  # else: when the fleet host is seen online
        self.stats["reconnects"] += 1
        self._connected.set()
        self._wake.set()
        logger.info("telemetry connected to %s:%d as %s (bdSeq %d)", self.settings.host,
                    self.settings.port, self.topics.device_id, self._bdseq)

    def _on_disconnect(self, _client: mqtt.Client, _ud: Any, _flags: Any, rc: Any,
                       _props: Any) -> None:
        self._connected.clear()
        self._listening.clear()
        self._lost.set()
        self._wake.set()
        self.stats["last_error"] = f"disconnected: {rc}"

    def _on_publish(self, client: mqtt.Client, _ud: Any, mid: int, rc: Any, _props: Any) -> None:
        self._acks.push(client, mid, int(rc.value) if rc is not None else 0)
        self._watch.seen(link.now())
        self._wake.set()

    def _on_ack(self, _client: mqtt.Client, _ud: Any, mid: int, _rcs: Any, _props: Any) -> None:
        self._watch.seen(link.now())
        if mid == self._sub_mid:
            self._listening.set()

    # --- birth ------------------------------------------------------------------

    def birth_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "bdSeq": self._bdseq, "ts": time.time(), "firmware": self.firmware,
            "site": self.topics.site, "config_version": self.config.version,
            "capabilities": self.router.names(), "engines": {}, "models": {},
        }
        if self._birth_source is not None:
            try:
                body.update(self._birth_source())
            except Exception as exc:
                logger.warning("birth source failed: %s", exc)
        return body

    def _publish_birth(self, client: mqtt.Client) -> None:
        client.publish(self.topics.birth, link.dumps(self.birth_body()), qos=1)

    def rebirth(self) -> None:
        """Publish the birth certificate again (command ``rebirth``, fleet host back)."""
        client = self._client
        if client is not None and self._connected.is_set():
            self._publish_birth(client)

    # --- the outbox pump -----------------------------------------------------------

    def _pump(self, client: mqtt.Client) -> None:
        """Publish the next outbox rows in seq order, at most WINDOW_MAX unacknowledged.

        While the fleet host is away only command replies go out (the console that
        asked is waiting); telemetry is held and follows, in order, when it returns.
        """
        room = WINDOW_MAX - len(self._inflight)
        if room <= 0:
            return
        held = self.settings.wait_for_fleet_host and self.host_online is not True
        cursor = self._reply_cursor if held else self._cursor
        in_flight = set(self._inflight.values())
        now = time.time()
        expired: list[int] = []
        for msg in self.outbox.batch(cursor, room, replies_only=held):
            cursor = msg.seq
            if msg.seq in in_flight:
                continue  # a reply sent while telemetry was held
            expiry = None
            if msg.expires_at is not None:
                expiry = int(msg.expires_at - now)
                if expiry <= 0:
                    expired.append(msg.seq)
                    continue
            payload = msg.payload
            if msg.created < self._session_start:
                payload = link.mark_historical(payload)
            props = link.publish_properties(msg.correlation, expiry)
            info = client.publish(msg.topic, payload, qos=msg.qos, retain=msg.retain,
                                  properties=props)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                cursor = msg.seq - 1
                break
            self._inflight[info.mid] = msg.seq
            self.stats["sent"] += 1
        if held:
            self._reply_cursor = cursor
        else:
            self._cursor = cursor
        if expired:
            self.stats["expired"] += len(expired)
            self.outbox.ack(expired)

    def _process_acks(self) -> None:
        done: list[int] = []
        for client, mid, reason in self._acks.drain():
            if client is not self._client:
                continue  # an ack from an old session; the message will be resent
            seq = self._inflight.pop(mid, None)
            if seq is None:
                continue
            if reason >= 0x80:
                if reason in _RETRY_LATER:
                    continue
                self.stats["rejected"] += 1
                logger.error("broker refused message seq %d (reason 0x%02x); dropped", seq, reason)
            done.append(seq)
        if done:
            self.stats["acked"] += len(done)
            self.outbox.ack(done)

    # --- inbound ----------------------------------------------------------------

    def _on_message(self, _client: mqtt.Client, _ud: Any, msg: mqtt.MQTTMessage) -> None:
        self._watch.seen(link.now())
        try:
            if msg.topic == FLEET_HOST_STATE:
                self._on_host_state(bytes(msg.payload))
            elif msg.topic == self.topics.cfg_desired:
                self._submit(self._apply_config, bytes(msg.payload))
            else:
                self._on_command(msg)
        except Exception:  # nothing a broker sends may take the agent down
            logger.exception("failed to handle message on %s", msg.topic)

    def _on_host_state(self, payload: bytes) -> None:
        try:
            online = json.loads(payload).get("online") is True if payload else False
        except (ValueError, AttributeError, RecursionError):
            online = False
        was, self.host_online = self.host_online, online
        if online and was is not True:
            logger.info("fleet host online: birth, then the outbox")
            if self.settings.wait_for_fleet_host:
                self.rebirth()
            self._wake.set()

    def _on_command(self, msg: mqtt.MQTTMessage) -> None:
        props = getattr(msg, "properties", None)
        response_topic = getattr(props, "ResponseTopic", None)
        correlation = getattr(props, "CorrelationData", None)
        try:
            cmd = commands.parse(self.topics, msg.topic, bytes(msg.payload),
                                 response_topic if isinstance(response_topic, str) else None,
                                 correlation if isinstance(correlation, bytes) else None)
        except CommandRefused as err:
            refused: Command = err.command  # type: ignore[attr-defined]
            logger.warning("refused command on %s: %s", msg.topic, err)
            self._reply(refused, refused.reply("refused", code=err.code, error=str(err)))
            return
        existing = self.ledger.claim(cmd.id, cmd.name, cmd.reply_topic, cmd.correlation)
        if existing is not None:
            logger.warning("duplicate command %s (%s, %s)", cmd.id, cmd.name, existing.state)
            self._reply(cmd, cmd.reply("duplicate", code="cmd-duplicate",
                                       result={"state": existing.state,
                                               "original": existing.reply}))
            return
        with self._busy_lock:
            busy = self._busy >= MAX_BUSY
        if busy:
            body = cmd.reply("refused", code="cmd-busy", error="too many commands in progress")
            self.ledger.finish(cmd.id, body, state="refused")
            self._reply(cmd, body)
            return
        self._submit(self._run_command, cmd)

    def _submit(self, fn: Any, arg: Any) -> None:
        with self._busy_lock:
            self._busy += 1

        def job() -> None:
            try:
                fn(arg)
            except Exception:
                logger.exception("telemetry job failed")
            finally:
                with self._busy_lock:
                    self._busy -= 1

        try:
            self._executor.submit(job)
        except RuntimeError:  # shutting down
            with self._busy_lock:
                self._busy -= 1

    def _run_command(self, cmd: Command) -> None:
        body = self.router.run(cmd)
        self.ledger.finish(cmd.id, body)
        self._reply(cmd, body)

    def _reply(self, cmd: Command, body: dict[str, Any]) -> None:
        self.outbox.put(cmd.reply_topic, body, critical=True, correlation=cmd.correlation,
                        expires_at=cmd.reply_expiry())
        self._wake.set()

    def _reply_interrupted(self, entry: Entry) -> None:
        cmd = Command(entry.id, entry.name, {}, entry.reply_topic or self.topics.res,
                      entry.correlation)
        body = cmd.reply("interrupted", code="cmd-interrupted",
                         error="the agent stopped while this command ran; it was not re-run")
        self.ledger.finish(entry.id, body, state="interrupted")
        self._reply(cmd, body)

    def _apply_config(self, raw: bytes) -> None:
        report = self.config.handle(raw)
        if report is not None:
            self.outbox.put(self.topics.cfg_reported, report, critical=True, retain=True)
            self._wake.set()


WINDOW_MAX = 32
"""Messages published and not yet acknowledged at once."""
