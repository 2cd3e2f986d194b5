"""The fleet side of the protocol: one MQTT v5 client for consoles and ingesters.

Sends commands (response topic + correlation data + message expiry) and waits
for their replies, pushes retained desired configs, and announces the fleet
host's presence (retained ``fleet/v1/host/state`` with an offline will).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from appliance.errors import KioskError
from appliance.telemetry import link
from appliance.telemetry.topics import FLEET_HOST_STATE, DeviceTopics
from appliance.telemetry.topics import parse as parse_topic

logger = logging.getLogger(__name__)

MessageCallback = Callable[[mqtt.MQTTMessage], None]


class FleetError(KioskError):
    """The broker could not be reached, or a device did not answer."""

    code = "fleet-error"


@dataclass(frozen=True)
class BrokerConfig:
    """Where the fleet broker is and the console's certificate (CN ``fleet``)."""

    host: str
    port: int
    ca_file: str
    cert_file: str
    key_file: str


class FleetClient:
    """A connected fleet MQTT client (thread-safe; paho runs in its own thread)."""

    def __init__(self, broker: BrokerConfig, client_id: str | None = None,
                 host_presence: bool = False, persistent: bool = False) -> None:
        """``persistent``: a session the broker keeps (clean start false, an expiry),
        with incoming messages acknowledged only by :meth:`ack` once they are safe;
        the broker queues for it while it is away. The broker takes the client id
        from the certificate (``use_username_as_clientid``), so one certificate is one
        session: give each ingester its own identity."""
        self.broker = broker
        self.client_id = client_id or f"fleet-{uuid.uuid4().hex[:10]}"
        self.host_presence = host_presence
        self.persistent = persistent
        self.generation = 0
        """Counts connections: an ack is only valid on the connection that received."""
        self._client = link.make_client(self.client_id, ca_file=broker.ca_file,
                                        cert_file=broker.cert_file, key_file=broker.key_file,
                                        reconnect=True, manual_ack=persistent)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_publish = self._on_publish
        self._pubacks: dict[int, tuple[float, int]] = {}
        """mid -> (when, reason) of each PUBACK; a publish only trusts one newer than itself
        (mids are reused, and paho calls on_publish holding its own lock, so ours cannot be
        held across publish to register the mid first)."""
        self._puback_cv = threading.Condition()
        self._subacked = threading.Condition()
        self._acked_mids: set[int] = set()
        self._connected = threading.Event()
        self._subs: dict[str, tuple[int, MessageCallback]] = {}
        self._pending: dict[bytes, tuple[threading.Event, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        self.connect_error = ""
        if host_presence:
            self._client.will_set(FLEET_HOST_STATE, self._host_body(False), qos=1, retain=True)

    def _host_body(self, online: bool) -> bytes:
        return link.dumps({"online": online, "host": self.client_id, "ts": time.time()})

    # --- connection ------------------------------------------------------------

    def connect(self, timeout: float = 10.0) -> FleetClient:
        """Connect (paho reconnects by itself afterwards); raises FleetError on failure."""
        self._client.reconnect_delay_set(1, 10)
        try:
            if self.persistent:
                self._client.connect(self.broker.host, self.broker.port, 30, clean_start=False,
                                     properties=link.connect_properties())
            else:
                self._client.connect(self.broker.host, self.broker.port, 30, clean_start=True)
        except (OSError, ValueError) as exc:
            raise FleetError(f"cannot reach broker {self.broker.host}:{self.broker.port}: {exc}",
                             code="fleet-unreachable") from exc
        self._client.loop_start()
        if not self._connected.wait(timeout):
            self.close()
            raise FleetError(f"broker did not accept us: {self.connect_error or 'timeout'}",
                             code="fleet-refused")
        return self

    def close(self, expire_session: bool = False) -> None:
        """Disconnect (saying offline when this is the fleet host); ``expire_session``
        ends a persistent session at once instead of leaving the broker to queue for it."""
        if self.host_presence and self._connected.is_set():
            info = self._client.publish(FLEET_HOST_STATE, self._host_body(False), qos=1,
                                        retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(2)
        props = None
        if expire_session and self.persistent:
            props = Properties(PacketTypes.DISCONNECT)
            props.SessionExpiryInterval = 0
        self._client.disconnect(properties=props)
        self._client.loop_stop()

    def __enter__(self) -> FleetClient:
        return self.connect()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _on_connect(self, client: mqtt.Client, _ud: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            self.connect_error = str(rc)
            return
        self.generation += 1
        with self._lock:
            subs = [(t, q) for t, (q, _cb) in self._subs.items()]
        if subs:
            client.subscribe(subs)
        if self.host_presence:
            self._announce_after_subscribe(client)
        self._connected.set()

    def _announce_after_subscribe(self, client: mqtt.Client) -> None:
        # Subscriptions are sent before the presence, so the broker routes devices'
        # replayed messages to us once they see the host online.
        client.subscribe(FLEET_HOST_STATE, 1)
        client.publish(FLEET_HOST_STATE, self._host_body(True), qos=1, retain=True)

    def _on_disconnect(self, *_args: Any) -> None:
        self._connected.clear()

    def _on_message(self, _client: mqtt.Client, _ud: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            if msg.topic == FLEET_HOST_STATE and self.host_presence:
                self._reassert_presence(bytes(msg.payload))
            corr = getattr(getattr(msg, "properties", None), "CorrelationData", None)
            parsed = parse_topic(msg.topic)
            is_reply = parsed is not None and parsed.kind == "res"
            if is_reply and corr is not None and corr in self._pending:
                event, box = self._pending[corr]
                box.append(json.loads(msg.payload))
                event.set()
            with self._lock:
                handlers = [cb for t, (_q, cb) in self._subs.items()
                            if mqtt.topic_matches_sub(_strip_share(t), msg.topic)]
            for cb in handlers:
                cb(msg)
        except Exception:
            logger.exception("fleet: failed to handle %s", msg.topic)

    def _reassert_presence(self, payload: bytes) -> None:
        """Another host's will said 'offline' but we are here: say online again."""
        try:
            doc = json.loads(payload)
        except ValueError:
            doc = {}
        if isinstance(doc, dict) and doc.get("online") is False:
            self._client.publish(FLEET_HOST_STATE, self._host_body(True), qos=1, retain=True)

    # --- operations ---------------------------------------------------------------

    def ack(self, mid: int, qos: int, generation: int) -> None:
        """Acknowledge a message received on connection ``generation`` (persistent
        clients only); one from an earlier connection is left: the broker resends it."""
        if self.persistent and qos > 0 and generation == self.generation:
            self._client.ack(mid, qos)

    def subscribe(self, topic: str, callback: MessageCallback, qos: int = 1) -> None:
        with self._lock:
            self._subs[topic] = (qos, callback)
        if self._connected.is_set():
            self._client.subscribe(topic, qos)

    def publish(self, topic: str, body: dict[str, Any], *, retain: bool = False,
                timeout: float = 10.0) -> None:
        info = self._client.publish(topic, link.dumps(body), qos=1, retain=retain)
        info.wait_for_publish(timeout)

    def command(self, site: str, device: str, name: str, args: dict[str, Any] | None = None,
                *, timeout: float = 30.0, ttl: float = 60.0, cmd_id: str | None = None,
                offline_grace: float = 5.0) -> dict[str, Any]:
        """Send ``cmd/<name>`` and wait for the reply; raises FleetError on timeout.

        When the broker says nobody subscribes to the device's commands (PUBACK
        0x10: not connected and no session), the same command is sent again each
        second for ``offline_grace`` seconds (a device reconnecting), then it fails
        fast with ``fleet-device-offline`` instead of waiting out ``timeout``.
        """
        topics = DeviceTopics(site, device)
        cmd_id = cmd_id or uuid.uuid4().hex
        corr = uuid.uuid4().bytes
        event: threading.Event = threading.Event()
        box: list[dict[str, Any]] = []
        self._pending[corr] = (event, box)
        try:
            self._ensure_sub(topics.res)
            body = {"id": cmd_id, "device": device, "args": args or {},
                    "expires": time.time() + ttl}
            props = link.publish_properties(corr, int(ttl), topics.res)
            started = time.monotonic()
            while True:
                reason = self.publish_acked(topics.cmd(name), link.dumps(body),
                                            properties=props)
                if reason != 0x10 or event.is_set():
                    break
                if time.monotonic() - started >= offline_grace:
                    raise FleetError(f"{device} is not listening (offline, or never "
                                     "connected): the broker has no subscriber for its commands",
                                     code="fleet-device-offline")
                time.sleep(1.0)
            if reason >= 0x80:
                raise FleetError(f"the broker refused {name!r} for {device} "
                                 f"(reason 0x{reason:02x})", code="fleet-refused")
            if not event.wait(max(0.0, timeout - (time.monotonic() - started))):
                raise FleetError(f"{device} did not answer {name!r} within {timeout:.0f} s",
                                 code="fleet-timeout", retryable=True)
            return box[0]
        finally:
            self._pending.pop(corr, None)

    def _ensure_sub(self, topic: str) -> None:
        """Subscribe to ``topic`` once and wait for its SUBACK (thread-safe)."""
        with self._lock:
            known = topic in self._subs
            if not known:
                self._subs[topic] = (1, lambda _m: None)
        if known:
            return
        with self._subacked:
            _rc, mid = self._client.subscribe(topic, 1)
            self._subacked.wait_for(lambda: mid in self._acked_mids, timeout=5)
            self._acked_mids.discard(mid)

    def _on_publish(self, _c: Any, _u: Any, mid: int, rc: Any, _p: Any) -> None:
        with self._puback_cv:
            self._pubacks[mid] = (time.monotonic(), int(rc.value) if rc is not None else 0)
            self._puback_cv.notify_all()

    def publish_acked(self, topic: str, payload: bytes, *, retain: bool = False,
                      properties: Any = None, timeout: float = 10.0) -> int:
        """Publish QoS 1 and return the broker's PUBACK reason code (0x10: nobody is
        subscribed; >= 0x80: refused). Raises FleetError when no PUBACK comes."""
        sent = time.monotonic()
        info = self._client.publish(topic, payload, qos=1, retain=retain, properties=properties)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise FleetError(f"cannot publish to the broker: {mqtt.error_string(info.rc)}",
                             code="fleet-unreachable", retryable=True)

        def acked() -> bool:
            entry = self._pubacks.get(info.mid)
            return entry is not None and entry[0] >= sent

        with self._puback_cv:
            if not self._puback_cv.wait_for(acked, timeout):
                raise FleetError("the broker did not acknowledge in time",
                                 code="fleet-timeout", retryable=True)
            return self._pubacks.pop(info.mid)[1]

    def _on_subscribe(self, *args: Any) -> None:
        with self._subacked:
            self._acked_mids.add(args[2])
            self._subacked.notify_all()

    def push_config(self, site: str, device: str, version: int, config: dict[str, Any]) -> None:
        """Publish a retained ``cfg/desired`` for one device."""
        self.publish(DeviceTopics(site, device).cfg_desired,
                     {"version": version, "config": config}, retain=True)


def _strip_share(topic: str) -> str:
    if topic.startswith("$share/"):
        return topic.split("/", 2)[2]
    return topic
