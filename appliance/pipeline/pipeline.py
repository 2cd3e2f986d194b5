"""The pipeline: processors linked in a line, a source feeding the first, a sink at the end."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from appliance.frames import EndOfStream, Frame, Interrupt, Stop
from appliance.pipeline.processor import Processor

logger = logging.getLogger(__name__)


class Sink(Processor):
    """The end of the line: hands every frame to listeners, notices the end of input."""

    name = "sink"

    def __init__(self) -> None:
        super().__init__(queue_size=256)
        self.listeners: list[Callable[[Frame], None]] = []
        self.ended = asyncio.Event()

    async def process(self, frame: Frame) -> None:
        for listener in self.listeners:
            listener(frame)
        if isinstance(frame, (EndOfStream, Stop)):
            self.ended.set()

    async def on_interrupt(self, frame: Interrupt) -> None:
        for listener in self.listeners:
            listener(frame)


class Pipeline:
    """Runs ``processors`` in order; use as ``async with Pipeline([...]) as p:``."""

    def __init__(self, processors: Sequence[Processor]) -> None:
        if not processors:
            raise ValueError("a pipeline needs at least one processor")
        self.processors = list(processors)
        self.sink = Sink()
        for a, b in zip(self.processors, [*self.processors[1:], self.sink]):
            a.link(b)

    async def __aenter__(self) -> Pipeline:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        for p in [*self.processors, self.sink]:
            await p.start()

    async def stop(self) -> None:
        for p in [*self.processors, self.sink]:
            await p.stop()

    async def push(self, frame: Frame) -> None:
        """Feed a frame to the first processor."""
        await self.processors[0].queue_frame(frame)

    def on_frame(self, listener: Callable[[Frame], None]) -> None:
        """Call ``listener`` with every frame that reaches the end of the line."""
        self.sink.listeners.append(listener)

    async def wait_ended(self, timeout: float | None = None) -> None:
        """Wait until an EndOfStream (or Stop) has travelled through every stage."""
        await asyncio.wait_for(self.sink.ended.wait(), timeout)
