"""Knowing when the bot is idle, so tests can wait for it instead of sleeping."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class SettleTimeout(TimeoutError):
    """The bot kept working (or a delivery kept waiting) past the settle timeout."""


class Activity:
    def __init__(self) -> None:
        self.in_flight: Counter[str] = Counter()
        self.last = time.monotonic()

    def touch(self) -> None:
        self.last = time.monotonic()

    @contextmanager
    def busy(self, what: str) -> Iterator[None]:
        self.in_flight[what] += 1
        self.touch()
        try:
            yield
        finally:
            self.in_flight[what] -= 1
            if not self.in_flight[what]:
                del self.in_flight[what]
            self.touch()

    async def settle(self, *, quiet: float, max_wait: float) -> None:
        """Return once nothing is in flight and nothing happened for `quiet` seconds."""
        deadline = time.monotonic() + max_wait
        while True:
            now = time.monotonic()
            if not self.in_flight and now - self.last >= quiet:
                return
            if now > deadline:
                busy = dict(self.in_flight) or "nothing"
                raise SettleTimeout(f"bot not idle after {max_wait}s; in flight: {busy}")
            await asyncio.sleep(min(quiet / 4, 0.01))
