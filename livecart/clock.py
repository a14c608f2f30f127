"""The one clock: every service that reads the time gets a `Clock` from the composition root.

`SystemClock` is the real one. `ManualClock` is for tests and simulations: its time moves only when
`advance()` or `set()` is called, and `sleep()` returns when the clock has been moved far enough, so a
test walks through a return window, an auction timer or a retention period without waiting.

Two readings: `now()` is wall time (aware UTC `datetime`, for anything stored or shown) and
`monotonic()` is seconds for measuring intervals (rate limits, timeouts). Media timing (RTP pacing,
packet arrival) stays on `time.monotonic()`: it measures the network, not business time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current wall time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for intervals."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait until `seconds` have passed on this clock."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that only moves when told to. `sleep()` waiters wake when the clock passes their time."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._mono = 1000.0
        self._moved = asyncio.Condition()

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    async def sleep(self, seconds: float) -> None:
        wake_at = self._mono + max(0.0, seconds)
        async with self._moved:
            await self._moved.wait_for(lambda: self._mono >= wake_at)

    async def advance(self, seconds: float) -> None:
        """Move forward `seconds`, wake every sleeper whose time has come, and let them run."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self._now += timedelta(seconds=seconds)
        self._mono += seconds
        async with self._moved:
            self._moved.notify_all()
        for _ in range(3):  # let woken sleepers (and what they await next) take their turn
            await asyncio.sleep(0)

    async def set(self, when: datetime) -> None:
        await self.advance((when - self._now).total_seconds())
