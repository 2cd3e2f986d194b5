"""``[nlu]``: how questions are understood and which site pack answers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from appliance.settings.fields import TABLE, PathText


@dataclass(frozen=True)
class NluSettings:
    __pydantic_config__ = TABLE

    engine: Literal["auto", "encoder", "keyword"] = "auto"
    """``encoder`` (sentence encoder + heads), ``keyword`` (no model) or ``auto``
    (the encoder when its model is available, else keywords)."""
    sitepack: PathText = ""
    """Site pack directory; empty = ``<state>/site`` or the bundled metro demo."""
