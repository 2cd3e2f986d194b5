"""Voice activity detection engines."""

from __future__ import annotations

import logging

from appliance.engines.vad.base import VadEngine
from appliance.errors import EngineLoadError

logger = logging.getLogger(__name__)


def create_vad(engine: str = "silero") -> VadEngine:
    """The configured VAD, falling back to the energy VAD if Silero cannot load."""
    from appliance.engines.vad.energy import EnergyVad

    if engine == "energy":
        return EnergyVad()
    try:
        from appliance.engines.vad.silero import SileroVad

        return SileroVad()
    except EngineLoadError as exc:
        logger.error("Silero VAD unavailable (%s); using the energy VAD", exc)
        return EnergyVad()
