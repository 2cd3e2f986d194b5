"""Reconnect timing as pure state machines fed plain numbers."""

from __future__ import annotations

import random


class Backoff:
    """Exponential reconnect backoff with jitter.

    ``next_delay()`` gives ``initial``, ``2*initial``, ... up to ``maximum``, each
    spread by +-``jitter``; ``reset()`` after a connection that stayed up.
    """

    def __init__(
        self,
        initial: float = 1.0,
        maximum: float = 60.0,
        factor: float = 2.0,
        jitter: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        self.initial = max(0.01, initial)
        self.maximum = max(self.initial, maximum)
        self.factor = factor
        self.jitter = jitter
        self._attempt = 0
        self._rng = rng or random.Random()

    @property
    def attempts(self) -> int:
        return self._attempt

    def next_delay(self) -> float:
        base = min(self.maximum, self.initial * self.factor**self._attempt)
        self._attempt += 1
        spread = base * self.jitter
        return max(0.0, base + self._rng.uniform(-spread, spread))

    def reset(self) -> None:
        self._attempt = 0


class LinkWatch:
    """Half-open link detection from inbound traffic times.

    The agent feeds it ``seen(now)`` on every packet from the broker. When the
    link has been quiet for ``keepalive/2`` it asks for a probe (a round trip to
    the broker); when quiet for ``1.5*keepalive`` the link is declared dead, so a
    half-open connection is dropped within 1.5x the keepalive.
    """

    def __init__(self, keepalive: float) -> None:
        self.keepalive = keepalive
        self._last_in = 0.0
        self._last_probe = 0.0

    def seen(self, now: float) -> None:
        self._last_in = now

    def want_probe(self, now: float) -> bool:
        quiet = now - self._last_in
        if quiet >= self.keepalive / 2 and now - self._last_probe >= self.keepalive / 2:
            self._last_probe = now
            return True
        return False

    def dead(self, now: float) -> bool:
        return now - self._last_in >= 1.5 * self.keepalive
