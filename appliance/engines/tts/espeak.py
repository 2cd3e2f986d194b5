"""espeak-ng: a speaking voice for a language no registry ships a Piper voice for.

Formant synthesis, robotic but clear, in about a hundred languages; the kiosk uses it for
the site pack's languages after the first (Spanish in metro-demo) and Piper for English.
espeak-ng is a Debian package (``espeak-ng``, GPL-3.0-or-later, already required by
Piper's phonemizer), run as a program: one call per sentence for the audio (22.05 kHz
WAV on stdout) and one for its phonemes (``--ipa``). espeak-ng gives no phoneme timings
on the command line, so the phonemes are spread over the sentence's voiced span, vowels
twice as long as consonants: close enough for lip-sync, not an alignment.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator

import numpy as np

from appliance.engines.tts.base import Prosody, TtsChunk, TtsEngine
from appliance.engines.tts.sentences import speakable, split_sentences
from appliance.errors import EngineError, EngineLoadError

logger = logging.getLogger(__name__)

WPM = 160
"""Speaking rate at ``length_scale`` 1 (espeak-ng's default 175 is hurried for a kiosk)."""
_WAV_HEADER = 44  # espeak-ng --stdout writes a canonical 44-byte RIFF header
_VOWELS = frozenset("aeiouɛɔəɐɪʊæɑɒʌøœyɨʉɯɤ")
_MARKS = frozenset("ˈˌ-")  # stress and syllable marks: no sound of their own
_LONG = "ː"
_TIMEOUT_S = 10.0
_SILENCE = 300  # int16 amplitude below which a sample is silence at the edges


def espeak_path() -> str | None:
    """The espeak-ng program, if installed."""
    return shutil.which("espeak-ng")


def ipa_phonemes(ipa: str) -> list[str]:
    """espeak-ng's ``--ipa`` text as phonemes (length marks kept with their sound, word
    gaps as ``" "``), the symbols Piper's alignments use too."""
    out: list[str] = []
    for ch in ipa.replace("\n", " "):
        if ch in _MARKS:
            continue
        if ch == _LONG and out:
            out[-1] += ch
        elif ch == " ":
            if out and out[-1] != " ":
                out.append(" ")
        elif ch.isprintable() and not ch.isspace():
            # a combining mark (dental, nasal...) belongs to the sound before it
            if out and out[-1] != " " and 0x300 <= ord(ch) <= 0x36F:
                out[-1] += ch
            else:
                out.append(ch)
    return [p for p in out if p.strip() or p == " "]


def spread(phonemes: list[str], start: float, end: float) -> list[tuple[str, float, float]]:
    """``phonemes`` laid over ``start``..``end`` (s), vowels twice a consonant's length."""
    weights = [0.5 if p == " " else 2.0 if p[0] in _VOWELS else 1.0 for p in phonemes]
    total = sum(weights)
    if total <= 0 or end <= start:
        return []
    out: list[tuple[str, float, float]] = []
    t = start
    for p, w in zip(phonemes, weights, strict=True):
        d = (end - start) * w / total
        out.append((p, round(t, 4), round(t + d, 4)))
        t += d
    return out


class EspeakTts(TtsEngine):
    """espeak-ng voice ``voice`` (an espeak-ng language, e.g. ``es``)."""

    name = "espeak"
    sample_rate = 22_050

    def __init__(self, voice: str = "es", *, length_scale: float = 1.0,
                 program: str | None = None) -> None:
        path = program or espeak_path()
        if path is None:
            raise EngineLoadError("espeak-ng is not installed (apt install espeak-ng)")
        self.program = path
        self.voice = voice
        self.length_scale = length_scale
        probe = self._run(["--ipa", "-q", "a"], text=True)
        if not probe.strip():
            raise EngineLoadError(f"espeak-ng has no voice {voice!r}")

    def _run(self, args: list[str], *, text: bool) -> str | bytes:
        cmd = [self.program, "-v", self.voice, *args]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=_TIMEOUT_S, check=True,
                                  text=text)
        except (OSError, subprocess.SubprocessError) as exc:
            raise EngineError(f"espeak-ng failed: {exc}", code="tts-failed") from exc
        return done.stdout

    def synthesize(self, text: str, prosody: Prosody | None = None) -> Iterator[TtsChunk]:
        p = prosody or Prosody()
        wpm = max(80, min(450, round(WPM / (self.length_scale * p.length_scale))))
        amplitude = max(0, min(200, round(100 * p.volume)))
        for sentence in split_sentences(text):
            yield self._sentence(sentence, wpm, amplitude)

    def _sentence(self, sentence: str, wpm: int, amplitude: int) -> TtsChunk:
        # "--" ends the options: a sentence starting with "-" is text, not a flag
        said = speakable(sentence)
        raw = self._run(["--stdout", "-s", str(wpm), "-a", str(amplitude), "--", said],
                        text=False)
        assert isinstance(raw, bytes)
        pcm = np.frombuffer(raw[_WAV_HEADER:len(raw) - (len(raw) - _WAV_HEADER) % 2],
                            dtype="<i2").astype(np.int16)
        ipa = self._run(["--ipa", "-q", "--", said], text=True)
        assert isinstance(ipa, str)
        loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > _SILENCE)
        start, end = ((float(loud[0]) / self.sample_rate,
                       float(loud[-1] + 1) / self.sample_rate) if len(loud) else (0.0, 0.0))
        phonemes = spread(ipa_phonemes(ipa), start, end)
        return TtsChunk(pcm, self.sample_rate, sentence, phonemes).with_phrase_pause()
