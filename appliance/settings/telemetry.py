"""``[telemetry]``: the fleet link (MQTT over TLS), its outbox, the ``logs`` and
``update`` commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from appliance.settings.fields import (
    TABLE,
    Flag,
    HostName,
    PathText,
    Port,
    PositiveSeconds,
    above,
    rng,
)


@dataclass(frozen=True)
class TelemetrySettings:
    __pydantic_config__ = TABLE

    enabled: Flag = False
    """Connect to the fleet broker. ``kiosk run`` also connects once the device is
    enrolled (``<state>/identity/broker.json``, written by ``kiosk-provision enroll``)."""
    host: HostName = "localhost"
    """Fleet MQTT broker host name (must match its certificate)."""
    port: Port = 8883
    """Broker TLS port."""
    ca_file: PathText = ""
    """CA bundle that signed the broker (empty = ``<state>/identity/ca.crt``)."""
    cert_file: PathText = ""
    """This device's certificate, CN = device id (empty = ``<state>/identity/device.crt``)."""
    key_file: PathText = ""
    """This device's private key (empty = ``<state>/identity/device.key``)."""
    keepalive_s: Annotated[int, rng(5, 65_535)] = 30
    """MQTT keepalive; a half-open link is detected within 1.5x this."""
    heartbeat_s: Annotated[float, rng(1, 86_400)] = 60.0
    """Health is sent on change and at least this often."""
    health_min_interval_s: Annotated[float, rng(0, 3_600)] = 5.0
    """Change-driven health messages are at least this far apart."""
    outbox_max_messages: Annotated[int, rng(1, 10_000_000)] = 50_000
    """Telemetry kept on disk while offline; the oldest is shed first (never replies/alarms)."""
    outbox_sync: Literal["normal", "full"] = "normal"
    """SQLite ``synchronous`` for the outbox: ``normal`` survives a kill, ``full`` a power cut."""
    backoff_initial_s: Annotated[float, above(0, 3_600)] = 1.0
    """First reconnect delay; doubles up to ``backoff_max_s`` (with jitter)."""
    backoff_max_s: Annotated[float, above(0, 86_400)] = 60.0
    wait_for_fleet_host: Flag = True
    """Hold telemetry while the broker says nobody takes it (PUBACK 0x10 to the birth
    probe) instead of counting "no subscriber" as delivered."""
    log_file: PathText = ""
    """File the ``logs`` command tails (empty = ``<state>/log/kiosk.log``)."""
    logs_max_bytes: Annotated[int, rng(1_024, 16 * 2**20)] = 65_536
    """Size cap of a ``logs`` reply."""
    update_key_file: PathText = ""
    """Ed25519 public key that must have signed an ``update`` bundle (empty =
    ``<state>/identity/update-signing.pub``, installed by ``kiosk-provision enroll``)."""
    update_max_mb: Annotated[int, rng(1, 65_536)] = 4096
    """Largest bundle the ``update`` command downloads (MiB)."""
    update_timeout_s: PositiveSeconds = 900.0
    """Whole-download time limit of the ``update`` command (a stalled read fails after 30 s)."""
