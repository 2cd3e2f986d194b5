"""The MQTT topic tree (see ``docs/mqtt-topics.md``).

Every device lives under ``kiosk/v1/<site>/<device_id>/``; the fleet host
announces itself on the retained ``fleet/v1/host/state``. ``device_id`` is the
certificate CN, the MQTT username and the client id, so the broker's ACL
(``pattern`` rules on ``%u``) confines a device to its own subtree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROOT = "kiosk/v1"
FLEET_HOST_STATE = "fleet/v1/host/state"
"""Retained presence of the fleet host (ingester); devices hold their outbox while it is away."""

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def valid_segment(name: str) -> bool:
    """True when ``name`` can be a site, device id or command name (no wildcards, no ``/``)."""
    return bool(_SEGMENT.match(name))


@dataclass(frozen=True)
class DeviceTopics:
    """All topics of one device."""

    site: str
    device_id: str

    def __post_init__(self) -> None:
        for what, value in (("site", self.site), ("device id", self.device_id)):
            if not valid_segment(value):
                raise ValueError(f"invalid {what} {value!r}: use letters, digits, '_', '.', '-'")

    @property
    def base(self) -> str:
        return f"{ROOT}/{self.site}/{self.device_id}"

    @property
    def state(self) -> str:
        return f"{self.base}/state"

    @property
    def birth(self) -> str:
        return f"{self.base}/birth"

    @property
    def health(self) -> str:
        return f"{self.base}/health"

    def evt(self, kind: str) -> str:
        return f"{self.base}/evt/{kind}"

    @property
    def cfg_desired(self) -> str:
        return f"{self.base}/cfg/desired"

    @property
    def cfg_reported(self) -> str:
        return f"{self.base}/cfg/reported"

    def cmd(self, name: str) -> str:
        return f"{self.base}/cmd/{name}"

    @property
    def cmd_filter(self) -> str:
        return f"{self.base}/cmd/+"

    @property
    def res(self) -> str:
        return f"{self.base}/res"

    def owns_reply_topic(self, topic: str) -> bool:
        """True when ``topic`` is this device's ``res`` or below it (the ACL allows no other)."""
        return topic == self.res or topic.startswith(self.res + "/")


@dataclass(frozen=True)
class ParsedTopic:
    """A device topic split into its parts: ``kind`` is ``state``, ``evt``, ``cmd``, ..."""

    site: str
    device_id: str
    kind: str
    rest: str = ""


def parse(topic: str) -> ParsedTopic | None:
    """Split a ``kiosk/v1/...`` topic, or None when it is not one."""
    parts = topic.split("/")
    if len(parts) < 5 or f"{parts[0]}/{parts[1]}" != ROOT:
        return None
    return ParsedTopic(parts[2], parts[3], parts[4], "/".join(parts[5:]))
