"""Contract: payout records — opened once per run, host and currency, never two open for one host, never
planned from a ledger that moved; completed once with their ledger entries; failed and recovered (both
stores)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from livecart.domain import payouts
from livecart.domain.commerce import LedgerEntry
from livecart.domain.errors import Conflict, NotFound
from livecart.domain.ids import new_id
from livecart.domain.ledger import sale_entries
from livecart.domain.models import Account, utcnow
from livecart.domain.payouts import Payout, PayoutPlan, PayoutStatus
from livecart.store import Store
from tests.store import factories

WINDOW = 14


@dataclass
class Earned:
    host: Account
    paid_at: datetime

    @property
    def later(self) -> datetime:
        return self.paid_at + timedelta(days=WINDOW + 1)


@pytest.fixture
async def earned(store: Store) -> Earned:
    """A host whose one order (2 × 19.00 EUR at 10 %: 380 commission) was paid now."""
    brand, host = await factories.brand(store), await factories.host(store)
    show = await factories.show(store, host.id)
    lipstick = await factories.product(store, brand.id, price_cents=1900, commission_bps=1000)
    order = factories.order(show, await factories.viewer(store), (lipstick, 2))
    await store.place_order(order, 10)
    now = utcnow()
    await store.mark_order_paid(order.id, "ch_1", now, sale_entries(order, now), None)
    return Earned(host, now)


async def plan(store: Store, host_id: str, now: datetime) -> tuple[PayoutPlan, int]:
    length = await store.ledger_length(host_id)
    entries = await store.ledger_entries(party_id=host_id)
    planned = payouts.plan_payout(
        entries, host_id, "EUR", now, window_days=WINDOW, min_cents=0, payout_id=new_id("pay")
    )
    assert planned is not None
    return planned, length


def record(planned: PayoutPlan, run_key: str, now: datetime) -> Payout:
    return Payout(
        planned.payout_id, run_key, planned.host_id, planned.currency, planned.amount_cents,
        PayoutStatus.PENDING, now,
    )  # fmt: skip


def balance(entries: list[LedgerEntry], host_id: str, now: datetime) -> dict[str, int]:
    return payouts.balances(entries, host_id, now, WINDOW)["EUR"].public()


async def test_a_payout_is_opened_then_completed_with_its_entries_once(store: Store, earned: Earned) -> None:
    host, now = earned.host, earned.later
    assert await store.commission_parties() == [host.id]
    planned, length = await plan(store, host.id, now)
    opened = await store.open_payout(record(planned, "run-1", now), planned.entries, length)
    assert (opened.status, opened.amount_cents) == (PayoutStatus.PENDING, 380)
    # nothing is written before the provider paid: still available
    assert balance(await store.ledger_entries(party_id=host.id), host.id, now)["available_cents"] == 380
    paid = await store.complete_payout(opened.id, "tr_1")
    assert (paid.status, paid.provider_ref) == (PayoutStatus.PAID, "tr_1")
    assert paid.paid_at is not None
    again = await store.complete_payout(opened.id, "tr_1")
    assert again == paid
    entries = await store.ledger_entries(party_id=host.id)
    assert balance(entries, host.id, now) == {
        "currency": "EUR", "pending_cents": 0, "available_cents": 0, "paid_cents": 380, "negative_cents": 0,
    }  # fmt: skip
    everything = await store.ledger_entries()
    assert sum(e.amount_cents for e in everything) == 0
    assert len([e for e in everything if e.payout_id == opened.id]) == 2  # one pair, written once
    assert await store.run_payouts("run-1") == [paid]
    assert await store.host_payouts(host.id) == [paid]
    assert await store.get_payout(opened.id) == paid


async def test_a_run_opens_one_payout_per_host_and_a_second_run_waits(store: Store, earned: Earned) -> None:
    host, now = earned.host, earned.later
    planned, length = await plan(store, host.id, now)
    first = await store.open_payout(record(planned, "run-1", now), planned.entries, length)
    replanned, _ = await plan(store, host.id, now)  # the same run again: the first record comes back
    assert await store.open_payout(record(replanned, "run-1", now), replanned.entries, length) == first
    with pytest.raises(Conflict) as busy:  # another run while this host's payout is open
        await store.open_payout(record(replanned, "run-2", now), replanned.entries, length)
    assert busy.value.details["retry"] is True
    assert [p.id for p in await store.pending_payouts(now + timedelta(seconds=1))] == [first.id]
    assert await store.pending_payouts(now) == []


async def test_a_plan_from_a_ledger_that_moved_is_refused(store: Store, earned: Earned) -> None:
    host, now = earned.host, earned.later
    planned, length = await plan(store, host.id, now)
    with pytest.raises(Conflict):
        await store.open_payout(record(planned, "run-1", now), planned.entries, length - 1)
    assert await store.run_payouts("run-1") == []


async def test_a_failed_payout_writes_nothing_and_frees_the_host(store: Store, earned: Earned) -> None:
    host, now = earned.host, earned.later
    planned, length = await plan(store, host.id, now)
    opened = await store.open_payout(record(planned, "run-1", now), planned.entries, length)
    failed = await store.fail_payout(opened.id)
    assert failed.status is PayoutStatus.FAILED
    assert await store.fail_payout(opened.id) == failed
    with pytest.raises(Conflict):
        await store.complete_payout(opened.id, "tr_late")
    assert all(e.payout_id is None for e in await store.ledger_entries(party_id=host.id))
    assert await store.pending_payouts(now + timedelta(days=1)) == []
    replanned, length = await plan(store, host.id, now)  # a later run pays the same money
    second = await store.open_payout(record(replanned, "run-2", now), replanned.entries, length)
    await store.complete_payout(second.id, "tr_2")
    with pytest.raises(Conflict):
        await store.fail_payout(second.id)
    with pytest.raises(NotFound):
        await store.complete_payout("pay_missing", "tr")
    with pytest.raises(NotFound):
        await store.fail_payout("pay_missing")
    assert [p.id for p in await store.host_payouts(host.id)] == [second.id, opened.id]


async def test_concurrent_runs_pay_each_host_once(store: Store, earned: Earned) -> None:
    host, now = earned.host, earned.later
    plans = [await plan(store, host.id, now) for _ in range(8)]
    results = await asyncio.gather(
        *(
            store.open_payout(record(planned, f"run-{n % 2}", now), planned.entries, length)
            for n, (planned, length) in enumerate(plans)
        ),
        return_exceptions=True,
    )
    opened = {result.id for result in results if isinstance(result, Payout)}
    assert len(opened) == 1  # the same run returns that one; the other run waits
    assert all(isinstance(result, Conflict) for result in results if not isinstance(result, Payout))
    paid = await asyncio.gather(*(store.complete_payout(payout_id, "tr_1") for payout_id in [*opened] * 4))
    assert {p.status for p in paid} == {PayoutStatus.PAID}
    entries = await store.ledger_entries(party_id=host.id)
    assert balance(entries, host.id, now)["paid_cents"] == 380


async def test_completing_a_payout_writes_payout_paid_to_the_webhook_outbox_once(store: Store, earned: Earned) -> None:
    host, now = earned.host, earned.later
    planned, length = await plan(store, host.id, now)
    opened = await store.open_payout(record(planned, "run-1", now), planned.entries, length)
    before = {event.id for event in await store.new_webhook_events(100)}
    paid = await store.complete_payout(opened.id, "tr_1")
    await store.complete_payout(opened.id, "tr_1")  # already paid: no second event
    [event] = [e for e in await store.new_webhook_events(100) if e.id not in before]
    assert (event.type, event.subject_id) == ("payout.paid", paid.id)
    assert event.data == {
        "payout_id": paid.id,
        "host_id": host.id,
        "currency": "EUR",
        "amount_cents": 380,
        "paid_at": event.data["paid_at"],
    }
