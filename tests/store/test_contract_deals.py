"""Contract: flash deals — a reservation takes a unit from the deal and from stock together, never below
zero under 1,000 concurrent buyers; expired holds come back; held units are bought at the deal price."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from livecart.clock import ManualClock
from livecart.domain import deals
from livecart.domain.commerce import LedgerAccount, Order, OrderStatus
from livecart.domain.deals import Deal, DealEnded, DealHold, DealSoldOut, DealStatus, HoldExpired, HoldStatus
from livecart.domain.errors import NotFound
from livecart.domain.format_orders import format_order
from livecart.domain.ids import new_id
from livecart.domain.ledger import balance, sale_entries
from livecart.domain.models import Account
from livecart.store import Store
from tests.store.selling import OpenAt, Scene, live_scene, stock_of, stores_at

HOLD_S = 120
PER_VIEWER = 5


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def nodes(store_url: str, clock: ManualClock) -> AsyncIterator[OpenAt]:
    async for factory in stores_at(store_url, clock):
        yield factory


@pytest.fixture
async def store(nodes: OpenAt) -> Store:
    return await nodes()


@pytest.fixture
async def scene(store: Store) -> Scene:
    return await live_scene(store, stock=10, viewers=3, price_cents=5000)


async def created(store: Store, scene: Scene, clock: ManualClock, quantity: int = 3, duration_s: int = 60) -> Deal:
    deal = deals.new_deal(
        deal_id=new_id("del"), show_id=scene.show.id, host_id=scene.host.id, product_id=scene.product.id,
        brand_id=scene.brand.id, currency="EUR", price_cents=2990, quantity=quantity, duration_s=duration_s,
        now=clock.now(),
    )  # fmt: skip
    await store.create_deal(deal)
    return deal


def deal_order(scene: Scene, buyer: Account, holds: list[DealHold], clock: ManualClock) -> Order:
    return format_order(
        order_id=new_id("ord"), show_id=scene.show.id, host_id=scene.host.id, buyer_id=buyer.id,
        buyer_name=buyer.name, product=scene.product, unit_price_cents=holds[0].price_cents, qty=len(holds),
        platform_fee_bps=0, now=clock.now(),
    )  # fmt: skip


async def test_a_deal_reads_back_and_a_reservation_takes_from_the_deal_and_from_stock(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    deal = await created(store, scene, clock)
    assert await store.get_deal(deal.id) == deal
    sam = scene.viewers[0]

    hold, after, stock = await store.reserve_deal_unit(deal.id, sam.id, HOLD_S, PER_VIEWER)

    assert (after.remaining, stock) == (2, 9)
    assert await stock_of(store, scene.product) == 9
    assert (hold.viewer_id, hold.price_cents, hold.status) == (sam.id, 2990, HoldStatus.HELD)
    assert hold.expires_at == clock.now() + timedelta(seconds=HOLD_S)
    assert await store.deal_holds(deal.id) == [hold]
    assert await store.get_deal(deal.id) == replace(deal, remaining=2)


async def test_a_deal_takes_no_reservation_after_its_end_or_once_ended_early(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    timed = await created(store, scene, clock, duration_s=10)
    early = await created(store, scene, clock)
    await store.end_deal(early.id)
    assert (await store.end_deal(early.id)).status is DealStatus.ENDED  # no-op the second time
    await clock.advance(10)

    for deal in (timed, early):
        with pytest.raises(DealEnded):
            await store.reserve_deal_unit(deal.id, scene.viewers[0].id, HOLD_S, PER_VIEWER)
    assert await stock_of(store, scene.product) == 10


async def test_a_deal_sells_out_by_its_quantity_by_stock_and_per_viewer(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    small = await created(store, scene, clock, quantity=2)
    sam, kim, lou = scene.viewers
    await store.reserve_deal_unit(small.id, sam.id, HOLD_S, PER_VIEWER)
    await store.reserve_deal_unit(small.id, kim.id, HOLD_S, PER_VIEWER)
    with pytest.raises(DealSoldOut):
        await store.reserve_deal_unit(small.id, lou.id, HOLD_S, PER_VIEWER)

    big = await created(store, scene, clock, quantity=100)
    for _ in range(2):
        await store.reserve_deal_unit(big.id, sam.id, HOLD_S, 2)
    with pytest.raises(DealSoldOut) as limited:
        await store.reserve_deal_unit(big.id, sam.id, HOLD_S, 2)
    assert limited.value.details["limit"] == 2
    for _ in range(6):
        await store.reserve_deal_unit(big.id, kim.id, HOLD_S, 100)
    with pytest.raises(DealSoldOut):  # stock is out before the deal's quantity
        await store.reserve_deal_unit(big.id, lou.id, HOLD_S, PER_VIEWER)

    assert await stock_of(store, scene.product) == 0
    after = await store.get_deal(big.id)
    assert after is not None
    assert after.remaining == 92


async def test_expired_holds_go_back_to_the_deal_and_to_stock(store: Store, scene: Scene, clock: ManualClock) -> None:
    deal = await created(store, scene, clock, quantity=2, duration_s=300)
    sam, kim, lou = scene.viewers
    first, _, _ = await store.reserve_deal_unit(deal.id, sam.id, HOLD_S, PER_VIEWER)
    await clock.advance(30)
    await store.reserve_deal_unit(deal.id, kim.id, HOLD_S, PER_VIEWER)
    await clock.advance(HOLD_S - 30)  # the first hold expires now

    back, stock = await store.expire_deal_holds(deal.id)
    assert (back.remaining, stock) == (1, 9)
    statuses = {hold.id: hold.status for hold in await store.deal_holds(deal.id)}
    assert statuses[first.id] is HoldStatus.EXPIRED
    _, after, stock = await store.reserve_deal_unit(deal.id, lou.id, HOLD_S, PER_VIEWER)
    assert (after.remaining, stock) == (0, 8)

    await clock.advance(HOLD_S)  # both later holds lapse; a reservation sweeps them itself
    _, swept, stock = await store.reserve_deal_unit(deal.id, sam.id, HOLD_S, 1)  # sam's expired one no longer counts
    assert (swept.remaining, stock) == (1, 9)


async def test_held_units_are_ordered_at_the_deal_price_without_taking_stock_again(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    deal = await created(store, scene, clock)
    sam = scene.viewers[0]
    holds = [(await store.reserve_deal_unit(deal.id, sam.id, HOLD_S, PER_VIEWER))[0] for _ in range(2)]
    await store.end_deal(deal.id)  # the price is honoured for units taken in time
    order = deal_order(scene, sam, holds, clock)

    await store.place_deal_order(order, holds)

    assert await store.get_order(order.id) == order
    assert order.total_cents == 2 * 2990
    assert await stock_of(store, scene.product) == 8
    assert {hold.status for hold in await store.deal_holds(deal.id)} == {HoldStatus.ORDERED}
    assert {hold.order_id for hold in await store.deal_holds(deal.id)} == {order.id}
    assert await store.units_bought(sam.id, [scene.product.id]) == {scene.product.id: 2}
    with pytest.raises(HoldExpired):  # a hold buys once
        await store.place_deal_order(replace(order, id=new_id("ord")), holds)
    await clock.advance(HOLD_S * 2)
    assert await store.expire_deal_holds(deal.id) == (replace(deal, remaining=1, status=DealStatus.ENDED,
                                                              ended_at=deal.created_at), 8)  # fmt: skip


async def test_an_expired_or_someone_elses_hold_buys_nothing(store: Store, scene: Scene, clock: ManualClock) -> None:
    deal = await created(store, scene, clock)
    sam, kim = scene.viewers[:2]
    hold, _, _ = await store.reserve_deal_unit(deal.id, sam.id, HOLD_S, PER_VIEWER)

    with pytest.raises(HoldExpired):
        await store.place_deal_order(deal_order(scene, kim, [hold], clock), [hold])
    await clock.advance(HOLD_S)
    late = deal_order(scene, sam, [hold], clock)
    with pytest.raises(HoldExpired) as raised:
        await store.place_deal_order(late, [hold])

    assert raised.value.details["hold_ids"] == [hold.id]
    assert await store.get_order(late.id) is None
    assert await store.show_orders(scene.show.id) == []


async def test_a_deal_of_50_under_1000_concurrent_buyers_sells_exactly_50_and_the_books_agree(
    store: Store, clock: ManualClock
) -> None:
    scene = await live_scene(store, stock=200, viewers=0)
    deal = await created(store, scene, clock, quantity=50)
    buyers = [Account(f"vwr_{i:04d}", scene.host.role.VIEWER, f"Buyer {i}", clock.now()) for i in range(1000)]

    results = await asyncio.gather(
        *(store.reserve_deal_unit(deal.id, buyer.id, HOLD_S, PER_VIEWER) for buyer in buyers),
        return_exceptions=True,
    )

    held = [result for result in results if isinstance(result, tuple)]
    assert len(held) == 50
    assert all(isinstance(result, DealSoldOut) for result in results if not isinstance(result, tuple))
    assert sorted(deal_after.remaining for _, deal_after, _ in held) == list(range(50))
    assert sorted(stock for _, _, stock in held) == list(range(150, 200))
    by_buyer = {buyer.id: buyer for buyer in buyers}
    orders = [deal_order(scene, by_buyer[hold.viewer_id], [hold], clock) for hold, _, _ in held]
    placing = (store.place_deal_order(order, [hold]) for order, (hold, _, _) in zip(orders, held, strict=True))
    await asyncio.gather(*placing)
    now = clock.now()
    await asyncio.gather(*(store.mark_order_paid(o.id, f"ch_{o.id}", now, sale_entries(o, now), None) for o in orders))

    assert await stock_of(store, scene.product) == 150
    final = await store.get_deal(deal.id)
    assert final is not None
    assert final.remaining == 0
    paid = [order for order in await store.show_orders(scene.show.id) if order.status is OrderStatus.PAID]
    assert sum(line.qty for order in paid for line in order.lines) == 50
    ledger = await store.ledger_entries(show_id=scene.show.id)
    assert balance(ledger) == 0
    assert sum(entry.amount_cents for entry in ledger if entry.account is LedgerAccount.PAYMENTS) == 50 * 2990


async def test_a_deal_needs_an_existing_product(store: Store, scene: Scene, clock: ManualClock) -> None:
    deal = deals.new_deal(
        deal_id=new_id("del"), show_id=scene.show.id, host_id=scene.host.id, product_id="prd_missing",
        brand_id=scene.brand.id, currency="EUR", price_cents=100, quantity=1, duration_s=60, now=clock.now(),
    )  # fmt: skip

    with pytest.raises(NotFound):
        await store.create_deal(deal)
    assert await store.get_deal(deal.id) is None


async def test_a_random_walk_of_reservations_expiries_and_orders_keeps_the_deal_and_stock_as_a_model_says(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    """Seeded steps (reserve, let time pass, order a held unit) against a plain model of the rules: the
    store refuses exactly when the model does, and `remaining`, stock and every hold agree throughout."""
    deal = await created(store, scene, clock, quantity=6, duration_s=300)  # stock 10
    rng = random.Random(14)
    remaining, stock = 6, 10
    holds: dict[str, DealHold] = {}
    limit = 2
    seen: set[HoldStatus] = set()
    answers: set[str] = set()
    expected = ""
    for _ in range(120):
        now = clock.now()
        action = rng.choice(["reserve", "reserve", "reserve", "wait", "order"])
        viewer = rng.choice(scene.viewers)
        if action == "wait":
            await clock.advance(rng.choice([5, 30, 60]))
        elif action == "reserve":
            active = sum(h.viewer_id == viewer.id and h.status is not HoldStatus.EXPIRED for h in holds.values())
            sold_out = not remaining or not stock or active >= limit
            expected = "ended" if now >= deal.ends_at else "sold_out" if sold_out else "ok"
            try:
                hold, after, level = await store.reserve_deal_unit(deal.id, viewer.id, HOLD_S, limit)
                outcome = "ok"
            except DealEnded:
                outcome = "ended"
            except DealSoldOut:
                outcome = "sold_out"
            assert outcome == expected
            if outcome == "ok":
                holds[hold.id] = hold
                remaining, stock = remaining - 1, stock - 1
                assert (after.remaining, level) == (remaining, stock)
        else:
            mine = [h for h in holds.values() if h.viewer_id == viewer.id and h.status is HoldStatus.HELD]
            if mine:
                order = deal_order(scene, viewer, mine[:1], clock)
                await store.place_deal_order(order, mine[:1])
                holds[mine[0].id] = replace(mine[0], status=HoldStatus.ORDERED, order_id=order.id)
        for hold in list(holds.values()):  # the model's expiry, at the time the step left the clock
            if deals.is_expired(hold, clock.now()):
                holds[hold.id] = replace(hold, status=HoldStatus.EXPIRED)
                remaining, stock = remaining + 1, stock + 1
        swept, level = await store.expire_deal_holds(deal.id)
        assert (swept.remaining, level) == (remaining, stock)
        assert {h.id: h.status for h in await store.deal_holds(deal.id)} == {h.id: h.status for h in holds.values()}
        seen |= {h.status for h in holds.values()}
        answers.add(expected if action == "reserve" else "")
    assert seen == set(HoldStatus)  # held, ordered and expired all happened
    assert {"ok", "sold_out", "ended"} <= answers  # and every answer to a reservation


async def test_a_shows_deals_list_oldest_first_and_only_that_show(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    assert await store.show_deals(scene.show.id) == []
    first = await created(store, scene, clock)
    await clock.advance(1)
    second = await created(store, scene, clock, quantity=5)
    await store.end_deal(first.id)

    listed = await store.show_deals(scene.show.id)

    assert [deal.id for deal in listed] == [first.id, second.id]
    assert [deal.remaining for deal in listed] == [3, 5]
    assert await store.show_deals("shw_other") == []


async def test_deals_with_expired_holds_are_listed_until_swept_even_after_the_deal_ended(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    deal = await created(store, scene, clock, quantity=2, duration_s=60)
    sam, kim, _ = scene.viewers
    await store.reserve_deal_unit(deal.id, sam.id, HOLD_S, PER_VIEWER)
    await clock.advance(10)
    await store.reserve_deal_unit(deal.id, kim.id, HOLD_S, PER_VIEWER)
    await store.end_deal(deal.id)  # no reservation will sweep its holds any more
    assert await store.deals_with_expired_holds() == []

    await clock.advance(HOLD_S - 10)  # sam's hold lapses
    assert await store.deals_with_expired_holds() == [deal.id]
    back, stock = await store.expire_deal_holds(deal.id)
    assert (back.remaining, stock) == (1, 9)
    assert await store.deals_with_expired_holds() == []  # kim's still runs

    await clock.advance(10)
    assert await store.deals_with_expired_holds() == [deal.id]
    back, stock = await store.expire_deal_holds(deal.id)
    assert (back.remaining, stock) == (2, 10)
    await clock.advance(HOLD_S)
    assert await store.deals_with_expired_holds() == []
