"""``kiosk chat``: the kiosk's whole dialogue in a text session, for staff and site authors.

The same :class:`~appliance.behavior.dialog.Dialog` as the live kiosk (understanding,
safety, the kiosk's own questions, follow-ups, style). Staff calls are printed instead of
sent. While the danger question waits for an answer, silence for the dialogue's
``confirm_timeout_s`` escalates exactly as on the kiosk.
"""

from __future__ import annotations

import logging
import select
from pathlib import Path
from typing import BinaryIO, TextIO

from appliance.behavior.dialog import Dialog, Turn
from appliance.behavior.utterance import check_line
from appliance.engines.qa.events import KioskEvent
from appliance.system import jsonout

logger = logging.getLogger(__name__)

PROMPT = "you> "


class Chat:
    """One text session; :meth:`run` reads lines until /quit or end of input."""

    def __init__(self, dialog: Dialog, *, as_json: bool = False, details: bool = False,
                 language: str = "") -> None:
        self.dialog = dialog
        self.language = language
        """The visitor's language for every line ("" for the pack's first), as the ASR's
        language ID would say."""
        self.as_json = as_json
        self.details = details
        self.calls: list[KioskEvent] = []

    @classmethod
    def open(cls, pack_dir: Path, *, engine: str = "auto", as_json: bool = False,
             details: bool = False, confirm_timeout_s: float | None = None,
             language: str = "") -> Chat:
        chat: Chat
        dialog = Dialog.create(pack_dir, engine=engine, on_event=lambda e: chat.calls.append(e))
        if confirm_timeout_s is not None:
            dialog.confirm_timeout_s = confirm_timeout_s
        chat = cls(dialog, as_json=as_json, details=details, language=language)
        return chat

    def run(self, inp: BinaryIO, out: TextIO, err: TextIO) -> int:
        """Read utterances (bytes: a wrong encoding is one error line, not a crash)."""
        interactive = inp.isatty()
        if interactive:
            out.write(f"Talking to the kiosk ({self.dialog.pack.manifest.title}). "
                      "/new: a new visitor, /quit: end.\n")
        n = 0
        while True:
            if interactive:
                out.write(PROMPT)
                out.flush()
            raw = self._read(inp, out, interactive)
            if raw is None:  # end of input
                return 0
            n += 1
            text, why = check_line(raw)
            if why:
                err.write(f"kiosk: line {n}: skipped: {why}\n")
                continue
            if text in ("/quit", "/exit"):
                return 0
            if text in ("/new", "/reset"):
                self.dialog.reset()
                out.write("(a new visitor)\n")
                continue
            self._show(self.dialog.turn(text, language=self.language or None), out)

    def _read(self, inp: BinaryIO, out: TextIO, interactive: bool) -> bytes | None:
        """The next line; while the danger question waits at a terminal, its silence
        timeout runs (piped input answers at once: its next line is the answer)."""
        while True:
            pending = self.dialog.pending
            if interactive and pending is not None and pending.kind == "confirm_danger":
                wait = max(0.0, pending.asked_at + self.dialog.confirm_timeout_s
                           - self.dialog.clock())
                if not _ready(inp, wait):
                    turn = self.dialog.tick()
                    if turn is not None:
                        out.write("\n")
                        self._show(turn, out)
                    continue
            line = inp.readline()
            if not line:
                return None
            return line.rstrip(b"\r\n")

    def _show(self, turn: Turn, out: TextIO) -> None:
        calls, self.calls = self.calls, []
        if self.as_json:
            out.write(jsonout.dumps({
                "text": turn.text, "reply": turn.answer.text, "intent": turn.nlu.intent,
                "slots": turn.nlu.slots, "emotion": turn.nlu.emotion.as_dict(),
                "safety": turn.nlu.safety.as_dict(), "acts": turn.nlu.acts,
                "style": turn.answer.style, "source": turn.answer.source,
                "language": turn.nlu.language,
                "staff_called": [c.as_dict() for c in calls],
                "pending": self.dialog.pending.kind if self.dialog.pending else ""},
                ensure_ascii=False) + "\n")
        else:
            out.write(f"kiosk> {turn.answer.text}\n")
            for c in calls:
                what = f"{c.kind} ({c.category})" if c.category else c.kind
                out.write(f"       [staff called: {what}]\n")
            if self.details:
                n, s = turn.nlu, turn.nlu.safety
                out.write(f"       [{n.intent} {n.confidence:.2f} slots={n.slots} "
                          f"emotion={n.emotion.label} safety={s.action}"
                          f"{'/' + s.category if s.category else ''} acts={n.acts} "
                          f"style={turn.answer.style} source={turn.answer.source}]\n")
        out.flush()


def _ready(inp: BinaryIO, timeout: float) -> bool:
    """Input arrives within ``timeout`` seconds (always True for a stream with no fd)."""
    try:
        fd = inp.fileno()
    except (OSError, ValueError, AttributeError):
        return True
    ready, _, _ = select.select([fd], [], [], timeout)
    return bool(ready)
