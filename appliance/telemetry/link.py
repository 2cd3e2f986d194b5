"""One MQTT v5 connection to the fleet broker (a fresh paho client per session).

A new :class:`paho.mqtt.client.Client` per connection keeps paho's in-memory
queues out of the picture: what must survive is in the outbox, and each session
starts empty. paho's own reconnect is disabled; the agent owns the backoff.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections import deque
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

logger = logging.getLogger(__name__)

SESSION_EXPIRY_S = 24 * 3600
"""The broker keeps a device's subscriptions and queued commands this long while it is away."""


def make_client(
    client_id: str,
    *,
    ca_file: str,
    cert_file: str | None,
    key_file: str | None,
    insecure_hostname: bool = False,
    reconnect: bool = False,
    manual_ack: bool = False,
) -> mqtt.Client:
    """A TLS MQTT v5 client, callback API v2 (paho's auto-reconnect off unless asked;
    ``manual_ack``: incoming QoS 1 messages are acknowledged by ``client.ack``)."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        reconnect_on_failure=reconnect,
        manual_ack=manual_ack,
    )
    client.tls_set(ca_certs=ca_file, certfile=cert_file, keyfile=key_file,
                   cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    if insecure_hostname:
        client.tls_insecure_set(True)
    return client


def connect_properties(session_expiry: int = SESSION_EXPIRY_S) -> Properties:
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = session_expiry
    return props


def publish_properties(
    correlation: bytes | None = None,
    expiry_s: int | None = None,
    response_topic: str | None = None,
    user: list[tuple[str, str]] | None = None,
) -> Properties | None:
    """PUBLISH properties, or None when there are none to send."""
    if correlation is None and expiry_s is None and response_topic is None and not user:
        return None
    props = Properties(PacketTypes.PUBLISH)
    props.PayloadFormatIndicator = 1
    props.ContentType = "application/json"
    if correlation is not None:
        props.CorrelationData = correlation
    if expiry_s is not None:
        props.MessageExpiryInterval = max(1, int(expiry_s))
    if response_topic is not None:
        props.ResponseTopic = response_topic
    if user:
        props.UserProperty = user
    return props


def disconnect_with_will() -> ReasonCode:
    """DISCONNECT reason 0x04: the broker still publishes the will (used on a dead link)."""
    return ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")


def dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def mark_historical(payload: bytes) -> bytes:
    """Add ``"historical": true`` to a JSON object written by :func:`dumps`."""
    if payload.endswith(b"}") and len(payload) > 2:
        return payload[:-1] + b',"historical":true}'
    return payload


class AckQueue:
    """PUBACKs handed from paho's thread to the agent's, tagged with their client."""

    def __init__(self) -> None:
        self._q: deque[tuple[object, int, int]] = deque()

    def push(self, client: object, mid: int, reason: int) -> None:
        self._q.append((client, mid, reason))

    def drain(self) -> list[tuple[object, int, int]]:
        out = []
        while self._q:
            out.append(self._q.popleft())
        return out


def now() -> float:
    return time.monotonic()
