"""The on-screen keyboard of ``kiosk display``: its keys and the text line they edit.

Pure logic (no drawing, no SDL) so the keys are tested fast. The letters are the
browser page's (:mod:`appliance.avatar.touch.page`): digits, lower-case letters and the
punctuation a question needs; case does not matter to understanding.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.pipeline.typed import MAX_CHARS

KEY_ROWS: tuple[str, ...] = ("1234567890", "qwertyuiop", "asdfghjkl'", "zxcvbnm,.?")
"""The character keys, row by row (ten a row)."""

BACK, DELETE, SPACE, ASK = "back", "delete", "space", "ask"
COMMAND_ROW: tuple[tuple[str, str, int], ...] = (
    (BACK, "Back", 2), (DELETE, "Delete", 2), (SPACE, "Space", 4), (ASK, "Ask", 2))
"""The last row: (command, label, width in key columns); ten columns like the others."""


@dataclass
class TextLine:
    """What the visitor typed; ``press`` applies one key."""

    text: str = ""
    max_chars: int = MAX_CHARS

    def press(self, key: str) -> str | None:
        """Apply ``key`` (a character or a command); the line to ask when it is ``ask``.

        The line is sent as typed, even empty: the server's refusal ("Please type a
        question first.") is the one the screen shows, so both screens say the same.
        """
        if key == ASK:
            return self.text
        if key == DELETE:
            self.text = self.text[:-1]
        elif key == SPACE:
            # one space between words, none at the start: what the server folds to anyway
            if self.text and not self.text.endswith(" ") and len(self.text) < self.max_chars:
                self.text += " "
        elif len(key) == 1 and len(self.text) < self.max_chars:
            self.text += key
        return None

    def clear(self) -> None:
        self.text = ""
