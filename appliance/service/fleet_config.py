"""The running kiosk takes the config the fleet pushed.

The agent's :class:`~appliance.telemetry.config.ConfigManager` validates a push,
calls :meth:`FleetConfigApplier.apply`, and only then saves it as the ``fleet``
layer that the next start reads (``appliance.settings.layers``). Here a push is
split into what can change live (``HOT_KEYS``: the speaker's volume, the voice's
speed) and what needs the subsystem rebuilt; the latter is done by a clean
restart that systemd performs, or, outside systemd, at the next start. The report
says which (``hot``, ``restart``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from appliance.errors import KioskError
from appliance.settings.validate import expand_dotted

logger = logging.getLogger(__name__)

Setter = Callable[[Any, Any], None]


def _set_volume(kiosk: Any, value: Any) -> None:
    kiosk.speaker.volume = float(value)


def _set_length_scale(kiosk: Any, value: Any) -> None:
    tts = kiosk.engines.tts
    if not hasattr(tts, "length_scale"):
        raise KioskError("this voice engine has no speed setting", code="config-not-hot")
    tts.length_scale = float(value)


HOT_KEYS: dict[str, Setter] = {"audio.volume": _set_volume, "tts.length_scale": _set_length_scale}
"""Keys applied to the running kiosk at once; every other key takes a restart."""


def flatten(tables: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"tts": {"length_scale": 1.1}}`` -> ``{"tts.length_scale": 1.1}``."""
    out: dict[str, Any] = {}
    for key, value in expand_dotted(tables).items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


class FleetConfigApplier:
    """The agent's config hook for one running kiosk."""

    def __init__(self, kiosk: Any, active: Mapping[str, Any],
                 restart: Callable[[], None] | None, can_restart: bool) -> None:
        """``active``: the fleet layer the kiosk started with; ``restart`` asks for a
        clean exit that systemd answers by starting the kiosk again."""
        self.kiosk = kiosk
        self.active = flatten(active)
        self.restart = restart
        self.can_restart = can_restart

    def apply(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Apply what changed; returns the fields added to ``cfg/reported``."""
        new = flatten(config)
        changed = sorted(k for k in set(new) | set(self.active)
                         if new.get(k, _UNSET) != self.active.get(k, _UNSET))
        hot = [k for k in changed if k in HOT_KEYS and k in new]
        cold = [k for k in changed if k not in hot]
        for key in hot:
            HOT_KEYS[key](self.kiosk, new[key])
        self.active = new
        result: dict[str, Any] = {"changed": changed, "hot": hot}
        if not cold:
            result["restart"] = "none"
        elif self.can_restart and self.restart is not None:
            self.restart()
            result["restart"] = "scheduled"
            logger.warning("fleet config: %s need a restart; restarting", ", ".join(cold))
        else:
            result["restart"] = "at-next-start"
            logger.warning("fleet config: %s take effect at the next start (not under "
                           "systemd, so no restart now)", ", ".join(cold))
        if hot:
            logger.info("fleet config applied live: %s", ", ".join(hot))
        return result


_UNSET = object()
