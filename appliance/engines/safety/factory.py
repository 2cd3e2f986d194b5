"""Build the safety engine: the model when the encoder is there, else keyword cues."""

from __future__ import annotations

import logging
from pathlib import Path

from appliance.engines.nlu.base import NluEngine
from appliance.engines.nlu.text import normalize
from appliance.engines.safety.base import SafetyEngine
from appliance.engines.safety.keyword import KeywordSafety
from appliance.sitepack.model import SitePack

logger = logging.getLogger(__name__)


def make_safety(pack: SitePack, nlu: NluEngine, cache_dir: Path | None = None) -> SafetyEngine:
    """The encoder safety model on the NLU's own encoder; keyword cues without one."""
    encoder = getattr(nlu, "encoder", None)
    if encoder is None:
        logger.warning("safety: no sentence encoder; keyword cues only (they ask, never alert)")
        return KeywordSafety()
    from appliance.engines.nlu.encoder_nlu import default_cache_dir
    from appliance.engines.nlu.sentence import encoder_id
    from appliance.engines.safety.encoder import EncoderSafety, load_or_train

    inner = getattr(encoder, "inner", encoder)
    spell = getattr(nlu, "spell", None)
    fix = spell.fix if spell is not None else normalize  # what the NLU embeds is what we see
    model = load_or_train(pack, inner, encoder_id(inner),
                          cache_dir if cache_dir is not None else default_cache_dir(), fix)
    return EncoderSafety(model, encoder, fix)
