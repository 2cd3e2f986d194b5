"""What the runtime reports in the kiosk's health message.

Every session the factory opens is remembered (weakly); :func:`health` lists the
machine's capabilities, each live model with its backend, precision and the
reason for the choice, and the engine cache's entries.
"""

from __future__ import annotations

import weakref
from typing import Any

from appliance.runtime.backends import probe
from appliance.runtime.engine_cache import EngineCache
from appliance.runtime.session import Session

_live: weakref.WeakSet[Session] = weakref.WeakSet()


def register(session: Session) -> None:
    """Remember ``session`` for :func:`health` (done by ``create_session``)."""
    _live.add(session)


def health() -> dict[str, Any]:
    """Capabilities, live sessions (``describe()`` each) and cached engines."""
    try:
        engines = EngineCache().entries()
    except OSError:
        engines = []
    return {
        "capabilities": probe().to_dict(),
        "sessions": sorted((s.describe() for s in list(_live)), key=lambda d: d["model"]),
        "engines": engines,
    }
