"""A fingerspelled word into the kiosk: the same path as a typed question, source "sign".

:class:`SignInput` reads a :class:`~appliance.sign.input.landmarks.LandmarkSource`,
classifies each hand, lets the :class:`~appliance.sign.input.speller.Speller` assemble
words, and hands each word to ``ask`` (``Kiosk.ask`` in the appliance) as a checked
:class:`~appliance.pipeline.typed.Question` with ``source="sign"``. Understanding,
safety and answers then run exactly as for speech. A visitor who signs is answered in
sign too (``sign=True``) unless the caller says otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from appliance.errors import InputError
from appliance.pipeline.typed import Question, check_question
from appliance.sign.input.classifier import LetterClassifier
from appliance.sign.input.landmarks import LandmarkSource
from appliance.sign.input.speller import Speller

logger = logging.getLogger(__name__)

Ask = Callable[[Question], Awaitable[int]]


class SignInput:
    """Landmarks -> letters -> words -> questions."""

    def __init__(self, source: LandmarkSource, classifier: LetterClassifier, ask: Ask,
                 speller: Speller | None = None, sign_reply: bool = True) -> None:
        self._source = source
        self._classifier = classifier
        self._ask = ask
        self.speller = speller or Speller()
        self._sign_reply = sign_reply
        self.asked: list[int] = []
        """Turn ids of the questions asked so far."""

    async def run(self) -> list[int]:
        """Read the source to its end (or until cancelled); the turn ids asked."""
        try:
            async for frame in self._source.frames():
                letter = None
                if frame.hand is not None:
                    letter = self._classifier.predict(frame.hand).letter
                word = self.speller.push(letter)
                if word:
                    await self._submit(word)
            word = self.speller.flush()
            if word:
                await self._submit(word)
        finally:
            await self._source.close()
        return self.asked

    async def _submit(self, word: str) -> None:
        try:
            question = check_question(word, "sign", self._sign_reply)
        except InputError as exc:  # cannot happen for letters a..z; logged, not fatal
            logger.warning("sign input: %s", exc)
            return
        logger.info("sign input: spelt %r", question.text)
        self.asked.append(await self._ask(question))
