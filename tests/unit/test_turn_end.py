"""Are the words heard so far a finished sentence?"""

from __future__ import annotations

import pytest

from appliance.pipeline.turn_end import words_complete


@pytest.mark.parametrize("text", [
    "Where is the nearest toilet?", "How much is a ticket to the airport?",
    "Thank you.", "Can you say that again please?", "Hello there!",
    "Do you know where the exit is?", "Which way is it going?",
])
def test_finished_questions_are_complete(text: str) -> None:
    assert words_complete(text) is True


@pytest.mark.parametrize("text", [
    "I need to get to", "I need to get to the", "Where is the toilet and",
    "Is there a lift, um", "How much is a ticket for", "I lost my", "Which exit do I...",
    "I want to go to the museum but", "Uh.",
])
def test_open_words_are_incomplete(text: str) -> None:
    assert words_complete(text) is False


@pytest.mark.parametrize("text", ["", "   ", "where is the toilet"])
def test_no_words_or_no_punctuation_say_nothing(text: str) -> None:
    assert words_complete(text) is None
