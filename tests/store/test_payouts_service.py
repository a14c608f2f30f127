"""The payouts service on real stores (both), a real test payment provider file and a manual clock: the
return window, co-host shares, refunds before and after payout, idempotent runs, crash recovery."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from livecart.bus import EventBus
from livecart.clock import ManualClock
from livecart.commerce.checkout import Checkout
from livecart.commerce.maintenance import Maintenance
from livecart.commerce.payments import TestPaymentProvider
from livecart.commerce.payouts import Payouts
from livecart.commerce.retention import Retention
from livecart.commerce.stock_news import StockNews
from livecart.domain import payouts as rules
from livecart.domain import shares
from livecart.domain.cart import CartRules
from livecart.domain.commerce import Order
from livecart.domain.ids import new_id
from livecart.domain.ledger import refund_entries, sale_entries
from livecart.domain.models import Account, Product, Show
from livecart.domain.payouts import Payout, PayoutStatus
from livecart.domain.refunds import plan_refund
from livecart.store import Store, open_store
from tests.store import factories

DAY = 86_400


@dataclass
class Market:
    store: Store
    clock: ManualClock
    provider: TestPaymentProvider
    payouts: Payouts
    brand: Account
    ava: Account  # the show's host
    mia: Account  # co-host at 30 %
    show: Show
    coat: Product  # 100.00 EUR at 10 %: 10.00 commission per unit


@pytest.fixture
async def market(store_url: str, tmp_path: Path) -> AsyncIterator[Market]:
    clock = ManualClock()
    store = await open_store(store_url, clock=clock)
    provider = TestPaymentProvider(path=tmp_path / "payments.jsonl")
    service = Payouts(store, provider, clock, return_window_days=14, min_cents=0)
    brand = await factories.brand(store)
    ava, mia = await factories.host(store, "Ava"), await factories.host(store, "Mia")
    show = await factories.show(store, ava.id)
    await store.invite_cohost(show.id, mia.id, 3000)
    await store.accept_cohost(show.id, mia.id)
    coat = await factories.product(store, brand.id, sku="COAT", price_cents=10_000, commission_bps=1000, stock=50)
    yield Market(store, clock, provider, service, brand, ava, mia, show, coat)
    await store.close()


async def sell(m: Market, qty: int) -> Order:
    order = factories.order(m.show, await factories.viewer(m.store), (m.coat, qty))
    await m.store.place_order(order, 10)
    now = m.clock.now()
    active = shares.active_shares(await m.store.cohosts(m.show.id))
    return await m.store.mark_order_paid(order.id, new_id("ch"), now, sale_entries(order, now, shares=active), None)


async def refund(m: Market, order: Order, qty: int) -> Order:
    parts = shares.sale_parts(await m.store.ledger_entries(order_id=order.id))
    now = m.clock.now()
    planned = plan_refund(
        order, {m.coat.id: qty}, refund_id=new_id("rfd"), by=m.brand.id, brand_id=m.brand.id, now=now,
        commission_parts=parts,
    )  # fmt: skip
    updated, _ = await m.store.record_refund(planned, refund_entries(order, planned, now, commission_parts=parts))
    return updated


async def open_for(m: Market, host: Account) -> Payout:
    length = await m.store.ledger_length(host.id)
    plan = rules.plan_payout(
        await m.store.ledger_entries(party_id=host.id), host.id, "EUR", m.clock.now(), window_days=14,
        min_cents=0, payout_id=new_id("pay"),
    )  # fmt: skip
    assert plan is not None
    payout = Payout(plan.payout_id, "run-1", host.id, "EUR", plan.amount_cents, PayoutStatus.PENDING, m.clock.now())
    return await m.store.open_payout(payout, plan.entries, length)


async def balance(m: Market, host: Account) -> tuple[int, int, int, int]:
    (found,) = await m.payouts.balances(host.id)
    return found.pending_cents, found.available_cents, found.paid_cents, found.negative_cents


def paid_to(m: Market, host: Account) -> int:
    return sum(t.amount_cents for t in m.provider.transfers.values() if t.party_id == host.id)


async def test_co_hosts_are_paid_their_share_after_the_return_window(market: Market) -> None:
    m = market
    order = await sell(m, 3)  # 30.00 commission: Ava 21.00, Mia 9.00
    await refund(m, order, 1)  # inside the window: Ava −7.00, Mia −3.00
    assert await balance(m, m.ava) == (1400, 0, 0, 0)
    assert await balance(m, m.mia) == (600, 0, 0, 0)
    assert await m.payouts.run("run-early") == []  # all pending: nothing to pay
    await m.clock.advance(14 * DAY)
    assert await balance(m, m.ava) == (0, 1400, 0, 0)
    run = await m.payouts.run("run-1")
    assert sorted((p.host_id, p.amount_cents, p.status) for p in run) == sorted(
        [(m.ava.id, 1400, PayoutStatus.PAID), (m.mia.id, 600, PayoutStatus.PAID)]
    )
    assert await balance(m, m.ava) == (0, 0, 1400, 0)
    assert (paid_to(m, m.ava), paid_to(m, m.mia)) == (1400, 600)
    assert [(line.kind, line.amount_cents, line.balance_cents) for line in await m.payouts.statement(m.mia.id)] == [
        ("share", 900, 900), ("refund", -300, 600), ("payout", -600, 0),
    ]  # fmt: skip
    assert [line.kind for line in await m.payouts.statement(m.ava.id)] == ["sale", "refund", "payout"]
    assert await m.payouts.run("run-1") == run  # the same key again pays nothing more
    assert await m.payouts.run("run-2") == []  # nothing left to pay
    assert len(m.provider.transfers) == 2
    assert sum(e.amount_cents for e in await m.store.ledger_entries()) == 0


async def test_a_refund_after_payout_is_taken_from_the_next_payout(market: Market) -> None:
    m = market
    order = await sell(m, 2)  # Ava 14.00, Mia 6.00
    await m.clock.advance(15 * DAY)
    await m.payouts.run("run-1")
    await refund(m, order, 1)  # after payout: Ava −7.00, Mia −3.00 carried as negative
    assert await balance(m, m.ava) == (0, 0, 1400, 700)
    assert await m.payouts.run("run-2") == []  # nothing available: the negative waits
    await sell(m, 2)
    assert await balance(m, m.ava) == (1400, 0, 1400, 700)
    await m.clock.advance(15 * DAY)
    run = await m.payouts.run("run-3")
    assert sorted((p.host_id, p.amount_cents) for p in run) == sorted([(m.ava.id, 700), (m.mia.id, 300)])
    assert await balance(m, m.ava) == (0, 0, 2100, 0)  # 14.00 + 7.00 paid; earned 28.00 − reversed 7.00
    assert (paid_to(m, m.ava), paid_to(m, m.mia)) == (2100, 900)


async def test_below_the_minimum_nobody_is_paid(market: Market) -> None:
    m = market
    await sell(m, 1)  # Ava 7.00, Mia 3.00
    await m.clock.advance(14 * DAY)
    strict = Payouts(m.store, m.provider, m.clock, return_window_days=14, min_cents=500)
    run = await strict.run("run-1")
    assert [(p.host_id, p.amount_cents) for p in run] == [(m.ava.id, 700)]
    assert await balance(m, m.mia) == (0, 300, 0, 0)


async def test_concurrent_runs_with_the_same_key_pay_each_host_once(market: Market) -> None:
    m = market
    await sell(m, 4)  # Ava 28.00, Mia 12.00
    await m.clock.advance(14 * DAY)
    runs = await asyncio.gather(*(m.payouts.run("run-1") for _ in range(4)))
    assert all({p.id for p in run} == {p.id for p in runs[0]} for run in runs)
    assert (paid_to(m, m.ava), paid_to(m, m.mia)) == (2800, 1200)
    assert len(m.provider.transfers) == 2
    assert await balance(m, m.ava) == (0, 0, 2800, 0)


async def test_a_crash_between_the_provider_and_the_ledger_is_settled_by_recovery(
    market: Market, tmp_path: Path
) -> None:
    m = market
    await sell(m, 1)
    await m.clock.advance(14 * DAY)
    opened = await open_for(m, m.ava)  # what a run does up to the provider call, for Ava
    await m.provider.payout(reference=opened.id, party_id=m.ava.id, amount_cents=700, currency="EUR")
    # the process dies before complete_payout; after a restart the provider's file remembers the
    # transfer, and the store still has the payout pending
    provider = TestPaymentProvider(path=tmp_path / "payments.jsonl")
    restarted = Payouts(m.store, provider, m.clock, return_window_days=14, min_cents=0)
    assert await balance(m, m.ava) == (0, 700, 0, 0)
    assert await restarted.recover(m.clock.now() + timedelta(seconds=1)) == 1
    assert await balance(m, m.ava) == (0, 0, 700, 0)
    run = await restarted.run("run-1")  # the admin's retry with the same key
    assert sorted((p.host_id, p.amount_cents, p.status) for p in run) == sorted(
        [(m.ava.id, 700, PayoutStatus.PAID), (m.mia.id, 300, PayoutStatus.PAID)]
    )
    assert [t.party_id for t in provider.transfers.values()].count(m.ava.id) == 1
    assert await balance(m, m.ava) == (0, 0, 700, 0)


async def test_a_crash_before_the_provider_call_is_finished_by_recovery(market: Market) -> None:
    m = market
    await sell(m, 1)
    await m.clock.advance(14 * DAY)
    opened = await open_for(m, m.mia)  # opened, then the process died: the provider never heard of it
    assert await m.payouts.recover(m.clock.now()) == 0  # not older than the grace yet
    assert await m.payouts.recover(m.clock.now() + timedelta(seconds=1)) == 1
    assert paid_to(m, m.mia) == 300
    assert (await m.store.get_payout(opened.id)) == (await m.store.run_payouts("run-1"))[0]
    assert await balance(m, m.mia) == (0, 0, 300, 0)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_seeded_walk_keeps_the_books_and_the_provider_in_agreement(market: Market, seed: int) -> None:
    """Random sales, refunds, co-hosts joining, clock moves and payout runs (keys sometimes repeated):
    after every step the ledger sums to zero, each host's balance adds up, and what the provider sent
    each host is exactly what the ledger says was paid."""
    m = market
    rng = random.Random(seed)
    orders: list[Order] = []
    hosts = [m.ava, m.mia]
    keys_used: list[str] = []
    for step in range(60):
        action = rng.choice(["sell", "sell", "refund", "refund", "cohost", "clock", "clock", "payout"])
        if action == "sell":
            orders.append(await sell(m, rng.randint(1, 3)))
        elif action == "refund" and orders:
            order = rng.choice(orders)
            line = order.lines[0]
            if line.refunded_qty < line.qty:
                updated = await refund(m, order, rng.randint(1, line.qty - line.refunded_qty))
                orders[orders.index(order)] = updated
        elif action == "cohost" and len(hosts) < 4:
            newcomer = await factories.host(m.store, f"Co {step}")
            taken = sum(c.share_bps for c in await m.store.cohosts(m.show.id))
            if taken < 10_000:
                await m.store.invite_cohost(m.show.id, newcomer.id, rng.randint(1, 10_000 - taken))
                await m.store.accept_cohost(m.show.id, newcomer.id)
                hosts.append(newcomer)
        elif action == "clock":
            await m.clock.advance(rng.randint(0, 10) * DAY)
        elif action == "payout":
            key = rng.choice(keys_used) if keys_used and rng.random() < 0.3 else f"run-{step}"
            keys_used.append(key)
            for payout in await m.payouts.run(key):
                assert payout.amount_cents > 0
        ledger = await m.store.ledger_entries()
        assert sum(e.amount_cents for e in ledger) == 0
        for host in hosts:
            for found in await m.payouts.balances(host.id):
                assert min(found.pending_cents, found.available_cents, found.negative_cents) >= 0
                assert (
                    found.paid_cents + found.available_cents + found.pending_cents - found.negative_cents
                    == found.earned_cents - found.reversed_cents
                )
                assert found.paid_cents == paid_to(m, host)


async def test_maintenance_finishes_interrupted_payouts_at_start_up(market: Market) -> None:
    m = market
    await sell(m, 1)
    await m.clock.advance(14 * DAY)
    opened = await open_for(m, m.ava)  # then the process died
    await m.clock.advance(1)  # the restart
    bus = EventBus()
    checkout = Checkout(m.store, m.provider, bus, CartRules(max_qty_per_buyer=5), StockNews(m.store, bus), m.clock)
    retention = Retention(timedelta(hours=24), timedelta(days=30), m.clock)
    maintenance = Maintenance(
        checkout, retention, m.clock, grace=timedelta(minutes=2), embedded=True, payouts=m.payouts
    )
    await maintenance.start()
    await maintenance.stop()
    assert (await m.store.get_payout(opened.id) or opened).status is PayoutStatus.PAID
    assert paid_to(m, m.ava) == 700
