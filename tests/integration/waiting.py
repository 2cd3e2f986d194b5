"""Waiting on a live stream or thread in a test: poll a condition until a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable


def until(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Poll ``check`` every 20 ms; True once it holds, False if ``timeout`` s pass first."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
