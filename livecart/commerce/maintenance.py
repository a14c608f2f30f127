"""Checkout's upkeep: interrupted checkouts (and payouts) recovered and retention applied at start-up, then every
minute at most (sooner when LIVECART_RECOVERY_GRACE_S is under two minutes), and — so that a checkout
interrupted by a store outage settles within LIVECART_RECOVERY_GRACE_S of the outage ending (issue 19,
finding 9) — also at the moment the oldest pending order becomes older than the grace period, and
every `OUTAGE_RETRY_S` while the store is unreachable."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from livecart.clock import Clock
from livecart.commerce.checkout import Checkout
from livecart.commerce.payouts import Payouts
from livecart.commerce.retention import Retention
from livecart.store import STORE_UNAVAILABLE

log = logging.getLogger(__name__)

RECOVERY_INTERVAL_S = 60.0  # at most; shorter when LIVECART_RECOVERY_GRACE_S is under two minutes
OUTAGE_RETRY_S = 1.0  # while the store is unreachable, try again this often
MIN_WAIT_S = 0.5  # between two runs, at least


class Maintenance:
    """Runs checkout recovery and retention now (`start`) and then periodically until `stop`."""

    def __init__(
        self,
        checkout: Checkout,
        retention: Retention,
        clock: Clock,
        *,
        grace: timedelta,
        embedded: bool,
        payouts: Payouts | None = None,
    ) -> None:
        self.checkout = checkout
        self.payouts = payouts
        self.retention = retention
        self.clock = clock
        self.grace = grace
        # One SQLite node owns its file: anything pending at start-up was interrupted. Redis is shared by
        # running nodes, so only checkouts pending longer than the grace period are taken over.
        self.embedded = embedded
        self.interval_s = min(RECOVERY_INTERVAL_S, grace.total_seconds() / 2)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        older_than = self.clock.now() - (timedelta(0) if self.embedded else self.grace)
        await self.checkout.recover(older_than)
        if self.payouts is not None:
            await self.payouts.recover(older_than)
        await self.retention.apply(self.checkout.store)
        self._task = asyncio.create_task(self._run_periodically(await self._next_wait()))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _next_wait(self) -> float:
        """Until the oldest pending order turns older than the grace period, at most `interval_s`."""
        pending = await self.checkout.store.pending_orders(self.clock.now() + self.grace)
        if not pending:
            return self.interval_s
        due = min(order.created_at for order in pending) + self.grace
        return min(self.interval_s, max(MIN_WAIT_S, (due - self.clock.now()).total_seconds()))

    async def _run_periodically(self, wait: float) -> None:
        unreachable = False
        while True:
            await self.clock.sleep(wait)
            try:
                # A checkout pending longer than the grace period has lost its process.
                await self.checkout.recover(self.clock.now() - self.grace)
                if self.payouts is not None:  # a payout pending longer than the grace has lost its run
                    await self.payouts.recover(self.clock.now() - self.grace)
                await self.retention.apply(self.checkout.store)
                wait = await self._next_wait()
                if unreachable:
                    log.info("checkout recovery: the store is reachable again")
                unreachable = False
            except STORE_UNAVAILABLE as unavailable:
                if not unreachable:
                    log.warning(
                        "checkout recovery: store unreachable (%s); trying again every %.0f s",
                        unavailable,
                        OUTAGE_RETRY_S,
                    )
                unreachable = True
                wait = OUTAGE_RETRY_S
            except Exception:
                log.exception("checkout recovery failed; trying again in %.0f s", self.interval_s)
                wait = self.interval_s
