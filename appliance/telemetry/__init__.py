"""Fleet telemetry over MQTT v5: state/birth/health/events, config, commands, outbox.

The kiosk uses :class:`TelemetryAgent`; the topic tree is in :mod:`.topics` and
``docs/mqtt-topics.md``.
"""

from appliance.telemetry.agent import ALARM_EVENTS, TelemetryAgent
from appliance.telemetry.commands import KNOWN_COMMANDS, CommandRefused
from appliance.telemetry.topics import FLEET_HOST_STATE, DeviceTopics

__all__ = [
    "ALARM_EVENTS",
    "FLEET_HOST_STATE",
    "KNOWN_COMMANDS",
    "CommandRefused",
    "DeviceTopics",
    "TelemetryAgent",
]
