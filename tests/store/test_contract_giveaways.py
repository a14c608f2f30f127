"""Contract: giveaways — prizes out of stock at creation, one entry per account, drawn once by the
documented function of the seed and the entrants, winners' zero-price orders, unused prizes back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from livecart.clock import ManualClock
from livecart.domain import giveaways
from livecart.domain.commerce import OrderStatus
from livecart.domain.errors import OutOfStock
from livecart.domain.format_orders import GIVEAWAY_PAYMENT_REF
from livecart.domain.giveaways import Giveaway, GiveawayClosed, GiveawayStatus
from livecart.domain.ids import new_id
from livecart.domain.ledger import balance
from livecart.store import Store
from tests.store.selling import OpenAt, Scene, live_scene, stock_of, stores_at


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
    return await live_scene(store, stock=10, viewers=6)


async def created(store: Store, scene: Scene, clock: ManualClock, winners: int = 2) -> Giveaway:
    giveaway = giveaways.new_giveaway(
        giveaway_id=new_id("gvw"), show_id=scene.show.id, host_id=scene.host.id, product_id=scene.product.id,
        brand_id=scene.brand.id, winners=winners, duration_s=60, keyword="glow", now=clock.now(),
    )  # fmt: skip
    await store.create_giveaway(giveaway)
    return giveaway


async def test_a_giveaway_takes_its_prizes_from_stock_and_reads_back(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    giveaway = await created(store, scene, clock, winners=3)

    assert await store.get_giveaway(giveaway.id) == giveaway
    assert giveaway.commitment == giveaways.commitment(giveaway.seed)
    assert await stock_of(store, scene.product) == 7
    with pytest.raises(OutOfStock):
        await created(store, scene, clock, winners=8)
    assert await stock_of(store, scene.product) == 7


async def test_one_entry_per_account_even_when_entries_race(store: Store, scene: Scene, clock: ManualClock) -> None:
    giveaway = await created(store, scene, clock)
    sam, kim = scene.viewers[:2]

    results = await asyncio.gather(*(store.enter_giveaway(giveaway.id, sam.id) for _ in range(10)))
    after, added = await store.enter_giveaway(giveaway.id, kim.id)

    assert sorted(entered for _, entered in results) == [False] * 9 + [True]
    assert (after.entrants, added) == (2, True)
    assert await store.giveaway_entrants(giveaway.id) == sorted([sam.id, kim.id])


async def test_entries_close_at_the_end(store: Store, scene: Scene, clock: ManualClock) -> None:
    giveaway = await created(store, scene, clock)
    await clock.set(giveaway.ends_at)

    with pytest.raises(GiveawayClosed):
        await store.enter_giveaway(giveaway.id, scene.viewers[0].id)
    assert await store.giveaway_entrants(giveaway.id) == []


async def test_the_draw_follows_the_published_function_and_gives_each_winner_a_zero_price_order(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    giveaway = await created(store, scene, clock, winners=2)
    for viewer in scene.viewers:
        await store.enter_giveaway(giveaway.id, viewer.id)
    assert await store.draw_giveaway(giveaway.id) == await store.get_giveaway(giveaway.id)  # not yet due
    await clock.set(giveaway.ends_at)
    assert [due.id for due in await store.due_giveaways()] == [giveaway.id]

    drawn = await store.draw_giveaway(giveaway.id)

    entrants = await store.giveaway_entrants(giveaway.id)
    assert drawn.status is GiveawayStatus.DRAWN
    assert list(drawn.winner_ids) == giveaways.draw(giveaway.seed, entrants, 2)
    assert len(set(drawn.winner_ids)) == 2
    assert drawn.drawn_at == clock.now()
    orders = [await store.get_order(order_id) for order_id in drawn.order_ids]
    assert [order.buyer_id for order in orders if order is not None] == list(drawn.winner_ids)
    for order in orders:
        assert order is not None
        assert (order.status, order.total_cents, order.payment_ref) == (OrderStatus.PAID, 0, GIVEAWAY_PAYMENT_REF)
        assert [(line.product_id, line.qty) for line in order.lines] == [(scene.product.id, 1)]
        assert balance(await store.ledger_entries(order_id=order.id)) == 0
    assert await stock_of(store, scene.product) == 8
    assert await store.due_giveaways() == []
    assert await store.draw_giveaway(giveaway.id) == drawn


async def test_unused_prizes_go_back_to_stock(store: Store, scene: Scene, clock: ManualClock) -> None:
    nobody = await created(store, scene, clock, winners=2)
    few = await created(store, scene, clock, winners=5)
    await store.enter_giveaway(few.id, scene.viewers[0].id)
    await clock.advance(60)

    empty = await store.draw_giveaway(nobody.id)
    one = await store.draw_giveaway(few.id)

    assert (empty.winner_ids, empty.order_ids) == ((), ())
    assert one.winner_ids == (scene.viewers[0].id,)
    assert await stock_of(store, scene.product) == 9


async def test_concurrent_draws_on_two_nodes_draw_once(
    nodes: OpenAt, store: Store, scene: Scene, clock: ManualClock
) -> None:
    other = await nodes()
    giveaway = await created(store, scene, clock, winners=3)
    for viewer in scene.viewers:
        await store.enter_giveaway(giveaway.id, viewer.id)
    await clock.advance(60)

    results = await asyncio.gather(*(node.draw_giveaway(giveaway.id) for node in [store, other] * 5))

    assert all(result == results[0] for result in results)
    assert len(await store.show_orders(scene.show.id)) == 3
    assert await stock_of(store, scene.product) == 7


async def test_a_shows_open_giveaways_are_listed_until_drawn(store: Store, scene: Scene, clock: ManualClock) -> None:
    assert await store.open_giveaways(scene.show.id) == []
    first = await created(store, scene, clock, winners=1)
    await clock.advance(1)
    second = await created(store, scene, clock, winners=1)

    assert [g.id for g in await store.open_giveaways(scene.show.id)] == [first.id, second.id]
    assert await store.open_giveaways("shw_other") == []
    await clock.set(first.ends_at)
    assert [g.id for g in await store.open_giveaways(scene.show.id)] == [first.id, second.id]  # due, not drawn
    await store.draw_giveaway(first.id)
    assert [g.id for g in await store.open_giveaways(scene.show.id)] == [second.id]
