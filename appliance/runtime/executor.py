"""One single-thread executor per engine, so blocking inference never stalls the loop.

ONNX Runtime, TensorRT (through pycuda) and CTranslate2 release the GIL, and a
session is not thread-safe: one worker thread per engine gives both properties.
The CUDA context of a TensorRT session is bound to the thread that uses it,
which this also guarantees.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class EngineExecutor:
    """``await ex.run(fn, *args)`` runs ``fn`` on this engine's own thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"engine-{name}")

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run synchronously on the engine thread (for setup code outside the loop)."""
        return self._pool.submit(fn, *args, **kwargs).result()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> EngineExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
