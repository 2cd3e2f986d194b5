"""Build every engine from settings, degrading to a fallback where one exists."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from appliance.engines.asr.base import AsrEngine
from appliance.engines.asr.vocabulary import SiteVocabulary
from appliance.engines.lipsync.base import LipSyncEngine
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.base import NluEngine
from appliance.engines.qa.base import QaEngine
from appliance.engines.safety.base import SafetyEngine
from appliance.engines.safety.keyword import KeywordSafety
from appliance.engines.tts.base import TtsEngine
from appliance.engines.vad.base import VadEngine
from appliance.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class Engines:
    """The engines of one kiosk, and notes on any that fell back."""

    vad: VadEngine
    asr: AsrEngine
    nlu: NluEngine
    qa: QaEngine
    tts: TtsEngine
    lipsync: LipSyncEngine
    notes: list[str] = field(default_factory=list)
    safety: SafetyEngine = field(default_factory=KeywordSafety)
    """Is someone in danger? The model on the NLU's encoder, else keyword cues (they ask)."""

    def describe(self) -> dict[str, str]:
        return {k: getattr(self, k).name
                for k in ("vad", "asr", "nlu", "safety", "qa", "tts", "lipsync")}


def create_nlu_qa(settings: Settings) -> tuple[NluEngine, QaEngine]:
    """The understanding and answering engines for the configured site pack.

    Both share one sentence encoder; without its model the NLU degrades to
    keywords and the QA to lexical retrieval.
    """
    from appliance.engines.nlu.factory import make_nlu
    from appliance.engines.qa.site_qa import SiteQa
    from appliance.sitepack import default_sitepack_dir, load_sitepack

    pack = load_sitepack(default_sitepack_dir(settings.nlu.sitepack))
    nlu = make_nlu(pack, settings.nlu.engine)
    return nlu, SiteQa(pack, getattr(nlu, "encoder", None))


def create_engines(settings: Settings) -> Engines:
    """Load every engine (raises EngineLoadError when a required model is missing)."""
    from appliance.engines.asr import create_asr
    from appliance.engines.tts import create_tts
    from appliance.engines.vad import create_vad

    vad = create_vad(settings.vad.engine)
    notes = [] if vad.name == settings.vad.engine else [f"vad fell back to {vad.name}"]
    nlu, qa = create_nlu_qa(settings)
    if settings.nlu.engine != "keyword" and nlu.name == "keyword":
        notes.append("nlu fell back to keywords (no encoder model)")
    languages = _site_languages(qa)
    return Engines(vad=vad, asr=create_asr(settings.asr, _site_vocabulary(settings, qa),
                                           languages),
                   nlu=nlu, qa=qa,
                   tts=create_tts(settings.tts, languages),
                   lipsync=PhonemeLipSync(settings.lipsync.min_cue_ms / 1000), notes=notes,
                   safety=_safety(qa, nlu))


def _safety(qa: QaEngine, nlu: NluEngine) -> SafetyEngine:
    """The safety engine for the pack the QA serves (keyword cues when there is none)."""
    from appliance.engines.safety.factory import make_safety
    from appliance.sitepack import SitePack

    pack = getattr(qa, "pack", None)
    return make_safety(pack, nlu) if isinstance(pack, SitePack) else KeywordSafety()


def _site_languages(qa: QaEngine) -> list[str]:
    """The languages of the site pack the QA serves, its first language first."""
    from appliance.sitepack import SitePack

    pack = getattr(qa, "pack", None)
    return list(pack.manifest.languages) if isinstance(pack, SitePack) else []


def _site_vocabulary(settings: Settings, qa: QaEngine) -> SiteVocabulary | None:
    """The names of the site pack the QA serves, to bias the ASR (``asr.bias``)."""
    from appliance.sitepack import SitePack

    pack = getattr(qa, "pack", None)
    if not settings.asr.bias or not isinstance(pack, SitePack):
        return None
    return SiteVocabulary.from_pack(pack)


def warm_up(engines: Engines) -> None:
    """Run each model once so the first visitor does not pay for lazy initialisation."""
    import numpy as np

    engines.vad.probability(np.zeros(engines.vad.window_samples, dtype=np.float32))
    engines.vad.reset()
    rng = np.random.default_rng(0)
    engines.asr.transcribe((rng.standard_normal(16_000) * 30).astype(np.int16))
    for _ in engines.tts.synthesize("Hello."):
        pass
