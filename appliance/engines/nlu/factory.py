"""Build the NLU engine the settings ask for, falling back to keywords when a model is missing."""

from __future__ import annotations

import logging
from pathlib import Path

from appliance.engines.nlu.base import NluEngine
from appliance.errors import KioskError
from appliance.sitepack import SitePack, load_sitepack

logger = logging.getLogger(__name__)


def make_nlu(pack: SitePack | Path | str, engine: str = "auto") -> NluEngine:
    """``keyword``, ``encoder`` (raises when its model cannot load) or ``auto``.

    ``auto`` uses the encoder when its model is available and degrades to the
    keyword engine otherwise, logging why.
    """
    from appliance.engines.nlu.keyword import KeywordNlu

    if not isinstance(pack, SitePack):
        pack = load_sitepack(pack)
    if engine == "keyword":
        return KeywordNlu(pack)
    try:
        from appliance.engines.nlu.encoder_nlu import EncoderNlu

        return EncoderNlu.for_pack(pack)
    except (KioskError, ImportError, OSError) as exc:
        if engine == "encoder":
            raise
        logger.warning("encoder NLU unavailable (%s); using the keyword NLU", exc)
        return KeywordNlu(pack)
