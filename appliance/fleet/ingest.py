"""The ingester: MQTT v5 shared subscriptions into the fleet store.

Each ingester joins the ``$share/<group>/...`` subscriptions, so N ingesters
split the devices' telemetry between them (on one Mosquitto or a clustered
EMQX/HiveMQ/VerneMQ). Retained ``state`` is not delivered to shared
subscriptions, so every ingester also takes ``state`` directly (idempotent).
Messages are written in batches by one writer thread; the bounded hand-over
queue pushes back on the broker connection instead of dropping.

Nothing is lost when the ingester or the broker dies: its session persists
(clean start false, an expiry; the client id is its certificate's CN, so it is the
same after a restart), the broker queues for it while it is away, and a message
is acknowledged only after the transaction that stored it has committed.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from typing import Any

import paho.mqtt.client as mqtt

from appliance.fleet.client import BrokerConfig, FleetClient
from appliance.fleet.store import Incoming, Store

logger = logging.getLogger(__name__)

SHARED_KINDS = ("health", "birth", "evt/#", "cfg/reported", "res/#")


class Ingester:
    """Subscribe, batch, store; also announces the fleet host's presence."""

    def __init__(
        self,
        broker: BrokerConfig,
        store: Store,
        *,
        group: str = "kiosk-ingest",
        client_id: str | None = None,
        batch_max: int = 2000,
        flush_s: float = 0.05,
        queue_max: int = 50_000,
    ) -> None:
        self.store = store
        self.group = group
        self.client = FleetClient(broker, client_id=client_id or _identity(broker),
                                  host_presence=True, persistent=True)
        self.batch_max = batch_max
        self.flush_s = flush_s
        self._queue: queue.Queue[Incoming] = queue.Queue(maxsize=queue_max)
        self._acks: queue.Queue[tuple[int, int, int]] = queue.Queue()
        """(mid, qos, connection) of each queued message, in the same order."""
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._write_loop, name="fleet-writer", daemon=True)
        self.received = 0
        self.written = 0
        self.failed_batches = 0
        self.lag_s: deque[float] = deque(maxlen=200_000)
        """Device ``ts`` to stored, per health message (seconds)."""

    def start(self, timeout: float = 10.0) -> Ingester:
        for kind in SHARED_KINDS:
            self.client.subscribe(f"$share/{self.group}/kiosk/v1/+/+/{kind}", self._on_message)
        self.client.subscribe("kiosk/v1/+/+/state", self._on_message)
        self._writer.start()
        self.client.connect(timeout)
        return self

    def stop(self, keep_session: bool = True) -> None:
        """Disconnect and write what is queued. ``keep_session=False`` ends the
        broker session too (an ingester retired for good, not restarted)."""
        self.client.close(expire_session=not keep_session)
        self._stop.set()
        self._writer.join(10)

    def _on_message(self, msg: mqtt.MQTTMessage) -> None:
        self.received += 1
        self._queue.put(Incoming(msg.topic, bytes(msg.payload), time.time()))
        self._acks.put((msg.mid, msg.qos, self.client.generation))

    def _write_loop(self) -> None:
        while not (self._stop.is_set() and self._queue.empty()):
            try:
                first = self._queue.get(timeout=self.flush_s)
            except queue.Empty:
                continue
            batch = [first]
            while len(batch) < self.batch_max:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            acks = [self._acks.get() for _ in batch]
            try:
                self.store.ingest(batch)
            except Exception:
                # not acknowledged: the broker sends them again on the next connection
                logger.exception("fleet store write failed; %d messages left unacknowledged",
                                 len(batch))
                self.failed_batches += 1
                continue
            for mid, qos, generation in acks:
                self.client.ack(mid, qos, generation)
            done = time.time()
            self.written += len(batch)
            for msg in batch:
                if msg.topic.endswith("/health"):
                    ts = _ts(msg.payload)
                    if ts is not None:
                        self.lag_s.append(done - ts)

    def drained(self) -> bool:
        return self._queue.empty() and self.written >= self.received

    def stats(self) -> dict[str, Any]:
        return {"received": self.received, "written": self.written,
                "stored": self.store.stored, "duplicates": self.store.duplicates,
                "backlog": self._queue.qsize()}


def _identity(broker: BrokerConfig) -> str:
    """The certificate's CN: the broker uses it as the client id anyway."""
    from pathlib import Path

    from appliance.telemetry import pki

    try:
        return pki.common_name(Path(broker.cert_file))
    except (OSError, ValueError):
        return f"fleet-ingest-{time.time_ns() % 10**8}"


def _ts(payload: bytes) -> float | None:
    try:
        value = json.loads(payload).get("ts")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, (int, float)) else None
