"""Payouts service: balances, payout runs and payout recovery, over the store, the payment provider and
the clock (docs/commerce.md#payouts). The rules are in domain/payouts.py.

A run (`run(key)`, the Idempotency-Key of `POST /api/payouts`) visits every host with commission and,
per currency, opens a payout record for what is payable (the store refuses a plan made from a ledger
that has moved, and a second open payout for a host), asks the provider to pay it with the payout id
as reference (idempotent), then completes it: PAID and its ledger entries in one store call. Running
the same key again opens nothing new for a host the run already has, and the provider returns the
first transfer for a reference, so nothing is paid twice. A crash between the provider call and the
ledger write leaves the payout pending: recovery (or the retry of the run) asks the provider again by
reference and completes it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from livecart.clock import Clock
from livecart.commerce.payments import PaymentProvider
from livecart.domain import payouts as rules
from livecart.domain.errors import Conflict
from livecart.domain.ids import new_id
from livecart.domain.payouts import Balance, Payout, PayoutStatus
from livecart.domain.statement import StatementLine, statement
from livecart.store.base import Store

log = logging.getLogger(__name__)

PLAN_ATTEMPTS = 5  # re-plans when the host's ledger moved between reading and opening


class Payouts:
    def __init__(
        self, store: Store, provider: PaymentProvider, clock: Clock, *, return_window_days: int, min_cents: int
    ) -> None:
        self.store = store
        self.provider = provider
        self.clock = clock
        self.return_window_days = return_window_days
        self.min_cents = min_cents

    async def balances(self, host_id: str) -> list[Balance]:
        """The host's balance per currency (`GET /api/hosts/{id}/balance`)."""
        entries = await self.store.ledger_entries(party_id=host_id)
        return list(rules.balances(entries, host_id, self.clock.now(), self.return_window_days).values())

    async def statement(
        self, host_id: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[StatementLine]:
        """Every sale, co-host share, refund and payout line of the host in [since, until), with the
        running balance (`GET /api/hosts/{id}/statement.csv`)."""
        entries = await self.store.ledger_entries(party_id=host_id)
        show_hosts: dict[str, str] = {}
        for show_id in dict.fromkeys(entry.show_id for entry in entries):
            show = await self.store.get_show(show_id)
            if show is not None:
                show_hosts[show_id] = show.host_id
        return statement(entries, host_id, show_hosts, since=since, until=until)

    async def run(self, run_key: str) -> list[Payout]:
        """Pay every host's payable balance per currency; returns the run's payouts (all of them, also
        those opened by an earlier attempt with the same key)."""
        for host_id in await self.store.commission_parties():
            for balance in await self.balances(host_id):
                await self._open(run_key, host_id, balance.currency)
        for payout in await self.store.run_payouts(run_key):
            if payout.status is PayoutStatus.PENDING:
                await self._pay(payout)
        return await self.store.run_payouts(run_key)

    async def _open(self, run_key: str, host_id: str, currency: str) -> Payout | None:
        for _ in range(PLAN_ATTEMPTS):
            length = await self.store.ledger_length(host_id)
            entries = await self.store.ledger_entries(party_id=host_id)
            now = self.clock.now()
            plan = rules.plan_payout(
                entries, host_id, currency, now, window_days=self.return_window_days, min_cents=self.min_cents,
                payout_id=new_id("pay"),
            )  # fmt: skip
            if plan is None:
                return None
            payout = Payout(plan.payout_id, run_key, host_id, currency, plan.amount_cents, PayoutStatus.PENDING, now)
            try:
                return await self.store.open_payout(payout, plan.entries, length)
            except Conflict as busy:
                if "payout_id" in busy.details:  # another run is paying this host: it pays this money
                    log.info("payout of %s in %s skipped: %s", host_id, currency, busy.message)
                    return None
        log.warning("payout of %s in %s skipped: its ledger kept changing", host_id, currency)
        return None

    async def _pay(self, payout: Payout) -> Payout:
        transfer = await self.provider.payout(
            reference=payout.id, party_id=payout.host_id, amount_cents=payout.amount_cents, currency=payout.currency
        )
        return await self.store.complete_payout(payout.id, transfer.id)

    async def recover(self, older_than: datetime) -> int:
        """Finish payouts left pending (a crash after opening them) before `older_than`; returns how many.

        The provider is asked by reference: a transfer it made is recorded; one it never made is made now
        (the money was set aside for this payout when it was opened)."""
        finished = 0
        for payout in await self.store.pending_payouts(older_than):
            transfer = await self.provider.find_payout(payout.id)
            if transfer is None:
                await self._pay(payout)
            else:
                await self.store.complete_payout(payout.id, transfer.id)
            finished += 1
        if finished:
            log.warning("payout recovery: %d interrupted payouts finished", finished)
        return finished
