"""A stand-in for the asyncio loop's timers: ``call_later`` and ``time``, on a clock we move.

The adapter and the driver only ever ask the loop for these two things, so with this they
run exactly and instantly in tests.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Any


class FakeHandle:
    def __init__(self, when: float, callback: Callable[..., object], args: tuple[Any, ...]):
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeLoop:
    def __init__(self) -> None:
        self.now = 0.0
        self._queue: list[tuple[float, int, FakeHandle]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any) -> FakeHandle:
        handle = FakeHandle(self.now + delay, callback, args)
        heapq.heappush(self._queue, (handle.when, next(self._order), handle))
        return handle

    def call_soon(self, callback: Callable[..., object], *args: Any) -> FakeHandle:
        return self.call_later(0.0, callback, *args)

    def advance(self, seconds: float) -> None:
        """Move the clock, running every callback that comes due, in order."""
        target = self.now + seconds
        while self._queue and self._queue[0][0] <= target:
            when, _, handle = heapq.heappop(self._queue)
            if handle.cancelled:
                continue
            self.now = when
            handle.callback(*handle.args)
        self.now = target

    @property
    def pending(self) -> list[FakeHandle]:
        return [h for _, _, h in self._queue if not h.cancelled]
