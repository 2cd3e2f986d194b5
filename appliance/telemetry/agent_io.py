"""The agent's network half: connecting, paho callbacks, the outbox pump, dispatch.

Split from :mod:`appliance.telemetry.agent` to keep each module readable; the
attributes used here are created by :class:`~appliance.telemetry.agent.TelemetryAgent`.
"""

from __future__ import annotations

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
from appliance.telemetry.outbox import Message, Outbox
from appliance.telemetry.topics import DeviceTopics

logger = logging.getLogger(__name__)

MAX_BUSY = 16
"""Commands queued or running at once; more are refused as ``busy``."""
MAX_PUBLISH_TRIES = 3
"""A row that cannot even be handed to the client this often is a poison message:
it goes to the dead letters and the queue moves on."""
NO_SUBSCRIBERS = 0x10
"""PUBACK reason: the broker took the message but nobody was subscribed to it."""
PROBE_MAX_S = 10.0
UNROUTED_TRIES = 3
"""0x10 answers (each after a successful probe) before a row counts as unroutable."""
REPLY_RETRY_S = 30.0
"""How long a reply nobody subscribes to is retried before the console counts as gone."""
"""Longest wait between delivery probes while the broker says nobody listens."""
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
    _inflight: dict[int, tuple[int, str]]
    _publish_failures: dict[int, int]
    _unheard_until: float | None
    _probe_delay: float
    _probe_mid: int | None
    _pause_until: float
    _reply_first_unheard: dict[int, float]
    _unrouted_tries: dict[int, int]
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
        self.host_online = None  # until the broker says whether anyone takes telemetry
        self._listening.clear()
        _rc, mid = client.subscribe([(self.topics.cmd_filter, 1), (self.topics.cfg_desired, 1)])
        self._sub_mid = -1 if mid is None else mid
        client.publish(self.topics.state, link.dumps(self._state_body(True, "connected")),
                       qos=1, retain=True)
        if self.settings.wait_for_fleet_host:
            # Nothing from before this session is trusted (a retained presence outlives a
            # crashed broker): the birth is the probe, telemetry waits for its PUBACK.
            self._unheard_until = link.now()
            self._probe_delay = 1.0
            self._probe_mid = None
        else:
            self._publish_birth(client)
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
            "heartbeat_s": self.settings.heartbeat_s,
        }
        if self._birth_source is not None:
            try:
                body.update(self._birth_source())
            except Exception as exc:
                logger.warning("birth source failed: %s", exc)
        return body

    def _publish_birth(self, client: mqtt.Client) -> int | None:
        info = client.publish(self.topics.birth, link.dumps(self.birth_body()), qos=1)
        return info.mid if info.rc == mqtt.MQTT_ERR_SUCCESS else None

    def rebirth(self) -> None:
        """Publish the birth certificate again (command ``rebirth``)."""
        client = self._client
        if client is not None and self._connected.is_set():
            self._publish_birth(client)

    def _probe(self, client: mqtt.Client) -> None:
        """Publish the birth as a delivery probe: its PUBACK says whether the fleet
        (an ingester's session) takes this device's telemetry now."""
        mid = self._publish_birth(client)
        self._unheard_until = link.now() + self._probe_delay
        if mid is not None:
            self._probe_mid = mid
            self._inflight[mid] = (0, "probe")

    # --- the outbox pump -----------------------------------------------------------

    def _pump(self, client: mqtt.Client) -> None:
        """Publish the next outbox rows in seq order, at most WINDOW_MAX unacknowledged.

        Until the broker confirms that the fleet takes this device's telemetry (the
        birth probe's PUBACK is not 0x10 "no matching subscribers"), only command
        replies go out (the console that asked is waiting); telemetry is held, probed
        for with backoff, and follows in order once delivery is confirmed.
        """
        if link.now() < self._pause_until:
            return
        until = self._unheard_until
        held = until is not None
        if until is not None and link.now() >= until and self._probe_mid is None:
            self._probe(client)
        room = WINDOW_MAX - len(self._inflight)
        if room <= 0:
            return
        cursor = self._reply_cursor if held else self._cursor
        in_flight = {seq for seq, _kind in self._inflight.values()}
        now = time.time()
        expired: list[int] = []
        for msg in self.outbox.batch(cursor, room, replies_only=held):
            if msg.seq in in_flight:
                cursor = msg.seq
                continue  # a reply sent while telemetry was held
            if msg.expires_at is not None and not msg.expires_at - now >= 1:
                cursor = msg.seq
                expired.append(msg.seq)
                continue
            try:
                info = self._publish_row(client, msg, now)
            except Exception as exc:  # a row paho cannot even encode: a poison message
                self._publish_failed(msg, exc)
                break
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                break
            cursor = msg.seq
            kind = _kind(msg, self.topics)
            self._inflight[info.mid] = (msg.seq, kind)
            self.stats["sent"] += 1
        if held:
            self._reply_cursor = cursor
        else:
            self._cursor = cursor
        if expired:
            self.stats["expired"] += len(expired)
            self.outbox.ack(expired)

    def _publish_row(self, client: mqtt.Client, msg: Message, now: float) -> mqtt.MQTTMessageInfo:
        expiry = None if msg.expires_at is None else int(msg.expires_at - now)
        payload = msg.payload
        if msg.created < self._session_start:
            payload = link.mark_historical(payload)
        props = link.publish_properties(msg.correlation, expiry)
        return client.publish(msg.topic, payload, qos=msg.qos, retain=msg.retain,
                              properties=props)

    def _publish_failed(self, msg: Message, exc: Exception) -> None:
        tries = self._publish_failures.get(msg.seq, 0) + 1
        self._publish_failures[msg.seq] = tries
        logger.warning("cannot publish outbox seq %d on %s (try %d/%d): %r", msg.seq, msg.topic,
                       tries, MAX_PUBLISH_TRIES, exc)
        if tries >= MAX_PUBLISH_TRIES:
            self._publish_failures.pop(msg.seq, None)
            if not self.outbox.dead_letter(msg.seq, f"cannot publish: {exc!r}"):
                self.outbox.ack([msg.seq])  # the disk refused the move: drop it, say so
            self.stats["dead"] += 1

    def _process_acks(self) -> None:
        done: list[int] = []
        for client, mid, reason in self._acks.drain():
            if client is not self._client:
                continue  # an ack from an old session; the message will be resent
            entry = self._inflight.pop(mid, None)
            if entry is None:
                continue
            seq, kind = entry
            if kind == "probe":
                self._probe_mid = None
                if reason == NO_SUBSCRIBERS:
                    self._nobody_listened(None)
                elif reason < 0x80:
                    self._heard()
                continue
            if reason == NO_SUBSCRIBERS and self.settings.wait_for_fleet_host:
                if kind == "telemetry":
                    self._nobody_listened(seq)
                    continue
                if kind == "reply":
                    self._reply_unheard(seq)
                    continue
            if reason >= 0x80:
                if reason in _RETRY_LATER:
                    continue
                self.stats["rejected"] += 1
                self.outbox.dead_letter(seq, f"refused by the broker (reason 0x{reason:02x})")
                continue
            if kind == "telemetry":
                self._heard()
            done.append(seq)
        if done:
            self.stats["acked"] += len(done)
            self.outbox.ack(done)

    def _nobody_listened(self, seq: int | None) -> None:
        """PUBACK 0x10: the broker has no subscriber (no ingester session) for this
        device's telemetry. Keep the row, hold telemetry, probe again later."""
        if seq is not None:
            if self.host_online is True and self._unrouted(seq):
                return
            self._cursor = min(self._cursor, seq - 1)
            self.stats["unheard"] += 1
        if self.host_online is not False:
            logger.warning("the fleet takes no telemetry now (PUBACK 0x10): holding the "
                           "outbox (%d pending) and probing", len(self.outbox))
        self.host_online = False
        if self._unheard_until is None or self._probe_mid is None:
            self._unheard_until = link.now() + self._probe_delay
        self._probe_delay = min(self._probe_delay * 2, PROBE_MAX_S)

    def _unrouted(self, seq: int) -> bool:
        """A row answered 0x10 although the birth probe before it got through: nobody
        subscribes to *that* kind (a dashboard taking only events, say). After
        UNROUTED_TRIES such answers it is dropped (counted), so it cannot hold the
        outbox, or make the device flap between held and sending, for ever."""
        tries = self._unrouted_tries.get(seq, 0) + 1
        if tries < UNROUTED_TRIES:
            self._unrouted_tries[seq] = tries
            return False
        self._unrouted_tries.pop(seq, None)
        self.stats["unrouted"] += 1
        logger.warning("outbox seq %d: the fleet takes this device's telemetry but nobody "
                       "subscribes to this kind; dropped after %d tries", seq, tries)
        self.outbox.ack([seq])
        return True

    def _reply_unheard(self, seq: int) -> None:
        """PUBACK 0x10 on a reply: the console that asked is not subscribed (it is
        reconnecting after a broker restart, say). Try again each second (the pump
        pauses rather than spin) for REPLY_RETRY_S; a console away longer is gone, and
        the reply is dropped (the ledger still answers a re-sent id with it)."""
        first = self._reply_first_unheard.setdefault(seq, link.now())
        if link.now() - first >= REPLY_RETRY_S:
            self._reply_first_unheard.pop(seq, None)
            self.stats["reply_dropped"] += 1
            logger.warning("reply seq %d: nobody subscribed for %.0f s; dropped", seq,
                           REPLY_RETRY_S)
            self.outbox.ack([seq])
            return
        self._cursor = min(self._cursor, seq - 1)
        self._reply_cursor = min(self._reply_cursor, seq - 1)
        self._pause_until = link.now() + 1.0
        self.stats["reply_unheard"] += 1

    def _heard(self) -> None:
        """The birth probe was routed to the fleet: send the outbox (the fleet has just
        received a fresh birth, so this is also the rebirth after its return)."""
        if self._unheard_until is not None:
            logger.info("telemetry delivery confirmed: sending the outbox (%d pending)",
                        len(self.outbox))
        self._unheard_until = None
        self._probe_delay = 1.0
        self.host_online = True

    # --- inbound ----------------------------------------------------------------

    def _on_message(self, _client: mqtt.Client, _ud: Any, msg: mqtt.MQTTMessage) -> None:
        self._watch.seen(link.now())
        try:
            if msg.topic == self.topics.cfg_desired:
                self._submit(self._apply_config, bytes(msg.payload))
            else:
                self._on_command(msg)
        except Exception:  # nothing a broker sends may take the agent down
            logger.exception("failed to handle message on %s", msg.topic)

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
        def publish(report: dict[str, Any]) -> None:
            self.outbox.put(self.topics.cfg_reported, report, critical=True, retain=True)
            self._wake.set()

        self.config.handle(raw, publish)


WINDOW_MAX = 32
"""Messages published and not yet acknowledged at once."""


def _kind(msg: Message, topics: DeviceTopics) -> str:
    """``retained`` (state, cfg/reported: the broker keeps them), ``reply`` or ``telemetry``."""
    if msg.retain:
        return "retained"
    if topics.owns_reply_topic(msg.topic):
        return "reply"
    return "telemetry"
