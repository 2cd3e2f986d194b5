"""State the stages share about the conversation: the current turn, who is talking."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Conversation:
    """Turn numbering and the avatar's speaking state (read by the VAD for barge-in)."""

    turn_id: int = 0
    pending_turn: int | None = None
    """A turn whose reply is being prepared or played."""
    speaking: bool = False
    """The avatar's voice is coming out of the speaker."""
    heard_so_far: tuple[int, float, str] | None = None
    """(turn, last voice time, words): the ASR's guess made while the visitor paused,
    for the VAD's endpointer to judge whether the sentence is finished."""

    def new_turn(self) -> int:
        self.turn_id += 1
        return self.turn_id

    @property
    def busy(self) -> bool:
        return self.speaking or self.pending_turn is not None

    def finish(self, turn_id: int) -> None:
        """The reply to ``turn_id`` is over (played, interrupted or abandoned)."""
        if self.pending_turn == turn_id:
            self.pending_turn = None
        self.speaking = False
