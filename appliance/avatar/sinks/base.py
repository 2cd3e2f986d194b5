"""The display sink interface: frames in, in order, at a fixed rate."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType

import numpy as np

from appliance.errors import KioskError


class DisplayError(KioskError):
    """A display sink cannot run here (no display, no ffmpeg, port taken)."""

    code = "display-unavailable"


class FrameSink(ABC):
    """Receives BGR ``uint8`` frames of one size; ``close`` flushes and releases."""

    name = "sink"

    @abstractmethod
    def write(self, frame: np.ndarray, t: float) -> None:
        """Take one frame for time ``t`` (the buffer may be reused after return)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Flush and release; idempotent."""

    def __enter__(self) -> FrameSink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
