"""The processor: one stage of the pipeline, with its own inbox and tasks.

A processor reads two inboxes: system frames (overtake everything) and a
bounded data inbox (data and control frames, in order). Subclasses override
:meth:`process` and call :meth:`push` to pass frames on. Blocking engine calls
go through :meth:`run_blocking`, on the processor's own one-thread executor, so
the event loop never blocks and each engine sees one call at a time.

On :class:`~appliance.frames.Interrupt` the data task is cancelled (whatever it
was awaiting stops), queued data frames are dropped (control frames are kept),
:meth:`on_interrupt` runs, and the interrupt is passed on downstream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import Enum
from typing import Any, TypeVar

from appliance.errors import KioskError
from appliance.frames import (
    DataFrame,
    Frame,
    Interrupt,
    StageError,
    StageTiming,
    SystemFrame,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")


class WhenFull(Enum):
    """What a full data inbox does with a new frame."""

    BLOCK = "block"  # the producer waits (backpressure)
    DROP_OLDEST = "drop-oldest"  # live audio: stale frames are worth less than new ones


class Processor:
    """One stage. ``name`` labels its latency figures and error reports."""

    name = "processor"

    def __init__(self, *, queue_size: int = 64, when_full: WhenFull = WhenFull.BLOCK) -> None:
        self.when_full = when_full
        self._data: asyncio.Queue[Frame] = asyncio.Queue(queue_size)
        self._system: asyncio.Queue[tuple[SystemFrame, bool]] = asyncio.Queue()
        self._next: Processor | None = None
        self._prev: Processor | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._data_task: asyncio.Task[None] | None = None
        self._system_task: asyncio.Task[None] | None = None
        self.dropped = 0
        self._current_turn = 0  # turn of the frame the data task is working on
        self.observers: list[Callable[[Frame], None]] = []

    # --- wiring --------------------------------------------------------------

    def link(self, nxt: Processor) -> Processor:
        self._next = nxt
        nxt._prev = self
        return nxt

    async def start(self) -> None:
        self._system_task = asyncio.create_task(self._system_loop(), name=f"{self.name}-system")
        self._data_task = asyncio.create_task(self._data_loop(), name=f"{self.name}-data")

    async def stop(self) -> None:
        for task in (self._data_task, self._system_task):
            if task is not None:
                task.cancel()
        for task in (self._data_task, self._system_task):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._data_task = self._system_task = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        await self.cleanup()

    async def cleanup(self) -> None:
        """Release resources when the pipeline stops."""

    # --- frames in -----------------------------------------------------------

    async def queue_frame(self, frame: Frame, *, upstream: bool = False) -> None:
        """Accept a frame from the previous stage (or, ``upstream``, from the next)."""
        if isinstance(frame, SystemFrame):
            self._system.put_nowait((frame, upstream))
            return
        if self.when_full is WhenFull.DROP_OLDEST and self._data.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self._data.get_nowait()
                self.dropped += 1
        await self._data.put(frame)

    async def _data_loop(self) -> None:
        while True:
            frame = await self._data.get()
            self._current_turn = frame.turn_id
            await self._handle(frame)

    async def _system_loop(self) -> None:
        while True:
            frame, upstream = await self._system.get()
            if upstream:
                await self.process_upstream(frame)
            elif isinstance(frame, Interrupt):
                await self._interrupt(frame)
            else:
                await self._handle(frame)

    async def _handle(self, frame: Frame) -> None:
        try:
            await self.process(frame)
        except asyncio.CancelledError:
            raise
        except KioskError as exc:
            logger.error("%s failed (%s): %s", self.name, exc.code, exc)
            await self.push(StageError(self.name, exc.code, str(exc), exc.retryable,
                                       turn_id=frame.turn_id))
        except Exception as exc:  # a bug in one stage must not stop the kiosk
            logger.exception("%s crashed on %s", self.name, frame.name)
            await self.push(StageError(self.name, f"{self.name}-crashed", repr(exc),
                                       turn_id=frame.turn_id))

    async def _interrupt(self, frame: Interrupt) -> None:
        """Drop the work of every turn older than the interrupting one."""
        stale = self._current_turn < frame.turn_id
        if stale and self._data_task is not None:
            self._data_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._data_task
        kept: list[Frame] = []
        while not self._data.empty():
            queued = self._data.get_nowait()
            if not isinstance(queued, DataFrame) or queued.turn_id >= frame.turn_id:
                kept.append(queued)
        for queued in kept:
            self._data.put_nowait(queued)
        await self.on_interrupt(frame)
        if stale:
            self._current_turn = frame.turn_id
            self._data_task = asyncio.create_task(self._data_loop(), name=f"{self.name}-data")
        await self.push(frame)

    # --- to override ---------------------------------------------------------

    async def process(self, frame: Frame) -> None:
        """Handle one frame; the default passes it on unchanged."""
        await self.push(frame)

    async def process_upstream(self, frame: SystemFrame) -> None:
        """Handle a system frame travelling upstream; the default passes it on."""
        await self.push(frame, upstream=True)

    async def on_interrupt(self, frame: Interrupt) -> None:
        """Forget in-flight work for the interrupted turn."""

    # --- frames out ----------------------------------------------------------

    async def push(self, frame: Frame, *, upstream: bool = False) -> None:
        """Send a frame to the next stage (or, for system frames, the previous one)."""
        for observer in self.observers:
            observer(frame)
        target = self._prev if upstream else self._next
        if upstream and not isinstance(frame, SystemFrame):
            raise TypeError("only system frames travel upstream")
        if target is not None:
            await target.queue_frame(frame, upstream=upstream)

    async def timing(self, turn_id: int, started: float) -> None:
        """Report this stage's latency for a turn (from ``started``, monotonic)."""
        ms = (time.monotonic() - started) * 1000.0
        await self.push(StageTiming(self.name, ms, turn_id=turn_id))

    async def run_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking engine call on this stage's one-thread executor."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix=self.name)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)
