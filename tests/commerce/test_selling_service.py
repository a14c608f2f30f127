"""The selling service on a real store (SQLite file and redis-server): who may open and bid, the timer
settling auctions and drawing giveaways, paying an auction through the checkout's pay path, a declined
card passing the offer on, deals reserved at their price; events published after each change."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from livecart.bus import EventBus
from livecart.clock import ManualClock
from livecart.commerce.checkout import Checkout
from livecart.commerce.payments import TestPaymentProvider
from livecart.commerce.selling import TICK_S, Selling, SellingRules
from livecart.commerce.stock_news import StockNews
from livecart.domain import giveaways
from livecart.domain.auctions import AuctionStatus, OwnAuction
from livecart.domain.cart import CartRules
from livecart.domain.commerce import LedgerAccount, OrderStatus
from livecart.domain.deals import DealSoldOut
from livecart.domain.errors import Forbidden, NotForSale, NotInLineup, PaymentDeclined, ShowEnded
from livecart.domain.events import Event
from livecart.domain.giveaways import GiveawayStatus
from livecart.domain.ledger import balance
from livecart.domain.models import ADMIN, Role, ShowStatus
from livecart.store import Store, open_store
from tests.store import factories
from tests.store.selling import Scene, live_scene, stock_of

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
RULES = SellingRules(extend_s=10, pay_s=600, hold_s=120, max_qty_per_buyer=5)


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'selling.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
async def store(store_url: str, clock: ManualClock) -> AsyncIterator[Store]:
    opened = await open_store(store_url, clock=clock)
    yield opened
    await opened.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def selling(store: Store, clock: ManualClock, events: list[Event]) -> Selling:
    bus = EventBus()
    bus.subscribe(events.append)
    provider = TestPaymentProvider()
    checkout = Checkout(store, provider, bus, CartRules(max_qty_per_buyer=5), StockNews(store, bus), clock)
    return Selling(store, bus, clock, RULES, provider, checkout)


@pytest.fixture
async def scene(store: Store) -> Scene:
    return await live_scene(store, stock=5, viewers=3)


async def auction_status_becomes(store: Store, clock: ManualClock, auction_id: str, status: AuctionStatus) -> bool:
    """Keep the timer's clock moving (half a tick at a time) until the auction has `status`; False after 5 s."""
    for _ in range(500):
        found = await store.get_auction(auction_id)
        if found is not None and found.status is status:
            return True
        await clock.advance(TICK_S / 2)
        await asyncio.sleep(0.01)
    return False


def names(events: list[Event]) -> list[str]:
    return [event.name for event in events]


async def test_only_the_host_the_owning_brand_or_admin_open_an_auction_on_a_live_lineup_product(
    selling: Selling, store: Store, scene: Scene
) -> None:
    other_brand = await factories.brand(store, "Other")
    stranger = await factories.product(store, other_brand.id, sku="X")
    for actor in (scene.viewers[0], other_brand):
        with pytest.raises(Forbidden):
            await selling.open_auction(scene.show, actor, scene.product.id, start_cents=100, increment_cents=10,
                                       duration_s=30)  # fmt: skip
    with pytest.raises(NotInLineup):
        await selling.open_auction(scene.show, ADMIN, stranger.id, start_cents=100, increment_cents=10, duration_s=30)
    ended = await store.set_show_status(scene.show.id, ShowStatus.ENDED)
    with pytest.raises(ShowEnded):
        await selling.open_auction(ended, scene.brand, scene.product.id, start_cents=100, increment_cents=10,
                                   duration_s=30)  # fmt: skip


async def test_a_deleted_brands_product_is_not_put_up_for_sale(selling: Selling, store: Store, scene: Scene) -> None:
    await store.delete_account(scene.brand.id)
    with pytest.raises(NotForSale):
        await selling.open_auction(scene.show, ADMIN, scene.product.id, start_cents=100, increment_cents=10,
                                   duration_s=30)  # fmt: skip


async def test_an_auction_from_bids_to_a_paid_order_with_the_hosts_commission(
    selling: Selling, store: Store, scene: Scene, clock: ManualClock, events: list[Event]
) -> None:
    auction = await selling.open_auction(scene.show, scene.brand, scene.product.id, start_cents=1000,
                                         increment_cents=100, duration_s=30)  # fmt: skip
    sam, kim = scene.viewers[:2]
    with pytest.raises(OwnAuction):
        await selling.bid(auction.id, scene.host, 5000)
    with pytest.raises(Forbidden):
        await selling.bid(auction.id, ADMIN, 5000)
    await selling.bid(auction.id, sam, 1000)
    await selling.bid(auction.id, kim, 1200)
    await clock.advance(30)

    assert await selling.tick() == 1
    sold = await store.get_auction(auction.id)
    assert sold is not None
    assert (sold.status, sold.winner_id) == (AuctionStatus.SOLD, kim.id)
    with pytest.raises(Forbidden):
        await selling.pay_auction(auction.id, sam, GOOD_CARD)
    order = await selling.pay_auction(auction.id, kim, GOOD_CARD)

    assert (order.status, order.total_cents) == (OrderStatus.PAID, 1200)
    entries = await store.ledger_entries(order_id=order.id)
    assert balance(entries) == 0
    assert [e.amount_cents for e in entries if e.account is LedgerAccount.HOST_COMMISSION] == [-120]
    assert await selling.pay_auction(auction.id, kim, GOOD_CARD) == order  # paid already: the same order
    assert len([e for e in await store.ledger_entries(order_id=order.id)]) == len(entries)  # charged once
    await clock.advance(RULES.pay_s)
    assert await selling.tick() == 0  # paid: nothing passes on
    assert await stock_of(store, scene.product) == 4
    assert names(events) == ["stock_changed", "auction", "auction", "auction", "auction", "sold"]
    assert events[-2].auction["status"] == "sold"  # type: ignore[attr-defined]


async def test_a_declined_card_passes_the_offer_to_the_runner_up_and_an_unpaid_one_ends_unsold(
    selling: Selling, store: Store, scene: Scene, clock: ManualClock
) -> None:
    auction = await selling.open_auction(scene.show, scene.host, scene.product.id, start_cents=1000,
                                         increment_cents=100, duration_s=30)  # fmt: skip
    sam, kim = scene.viewers[:2]
    await selling.bid(auction.id, sam, 1000)
    await selling.bid(auction.id, kim, 1100)
    await clock.advance(30)
    await selling.tick()

    with pytest.raises(PaymentDeclined):
        await selling.pay_auction(auction.id, kim, DECLINED_CARD)
    passed = await store.get_auction(auction.id)
    assert passed is not None
    assert (passed.winner_id, passed.price_cents, passed.offers) == (sam.id, 1000, 2)
    await clock.advance(RULES.pay_s)
    assert await selling.tick() == 1

    final = await store.get_auction(auction.id)
    assert final is not None
    assert final.status is AuctionStatus.UNSOLD
    assert await stock_of(store, scene.product) == 5


async def test_deal_units_are_held_per_viewer_up_to_the_buyer_limit(
    selling: Selling, store: Store, scene: Scene, events: list[Event]
) -> None:
    deal = await selling.create_deal(scene.show, scene.brand, scene.product.id, price_cents=2990, quantity=10,
                                     duration_s=60)  # fmt: skip
    sam = scene.viewers[0]
    holds = [await selling.reserve(deal.id, sam) for _ in range(RULES.max_qty_per_buyer)]
    with pytest.raises(DealSoldOut):
        await selling.reserve(deal.id, sam)
    with pytest.raises(Forbidden):
        await selling.reserve(deal.id, scene.host)

    order = selling.deal_order(scene.show, sam, scene.product, holds, None)
    await store.place_deal_order(order, holds)
    assert order.total_cents == 5 * 2990
    assert await stock_of(store, scene.product) == 0
    assert events[-1].deal["remaining"] == 5  # type: ignore[attr-defined]
    ended = await selling.end_deal(deal.id, scene.host)
    assert ended.public(ended.ends_at)["status"] == "ended"


async def test_a_giveaway_is_drawn_by_the_timer_and_only_viewers_enter(
    selling: Selling, store: Store, scene: Scene, clock: ManualClock, events: list[Event]
) -> None:
    with pytest.raises(Forbidden):  # a brand does not start giveaways
        await selling.create_giveaway(scene.show, scene.brand, scene.product.id, winners=2, duration_s=60, keyword=None)
    giveaway = await selling.create_giveaway(scene.show, scene.host, scene.product.id, winners=2, duration_s=60,
                                             keyword="glow")  # fmt: skip
    for account in (scene.host, scene.brand):
        with pytest.raises(Forbidden):
            await selling.enter(giveaway.id, account)
    for viewer in scene.viewers:
        await selling.enter(giveaway.id, viewer)
    assert (await selling.enter(giveaway.id, scene.viewers[0]))[1] is False
    await clock.advance(60)

    assert await selling.tick() == 1

    drawn = await store.get_giveaway(giveaway.id)
    assert drawn is not None
    assert drawn.status is GiveawayStatus.DRAWN
    entrants = sorted(viewer.id for viewer in scene.viewers)
    assert list(drawn.winner_ids) == giveaways.draw(giveaway.seed, entrants, 2)
    published = events[-1].giveaway  # type: ignore[attr-defined]
    assert (published["seed"], published["winners"]) == (giveaway.seed, list(drawn.winner_ids))
    assert all(viewer.role is Role.VIEWER for viewer in scene.viewers)


async def test_an_auction_that_ended_while_no_node_was_up_is_settled_when_one_starts(
    store: Store, store_url: str, scene: Scene, clock: ManualClock
) -> None:
    bus = EventBus()
    checkout = Checkout(store, TestPaymentProvider(), bus, CartRules(5), StockNews(store, bus), clock)
    first = Selling(store, bus, clock, RULES, TestPaymentProvider(), checkout)
    auction = await first.open_auction(scene.show, scene.host, scene.product.id, start_cents=1000,
                                       increment_cents=100, duration_s=30)  # fmt: skip
    await first.bid(auction.id, scene.viewers[0], 1000)
    await clock.advance(3600)  # no node ran the timer meanwhile

    restarted = await open_store(store_url, clock=clock)  # a node starts
    later = Selling(restarted, EventBus(), clock, RULES, TestPaymentProvider(), first.paid)
    runner = asyncio.create_task(later.run())
    sold = await auction_status_becomes(store, clock, auction.id, AuctionStatus.SOLD)

    settled = await store.get_auction(auction.id)
    assert sold
    assert settled is not None
    assert settled.winner_id == scene.viewers[0].id
    runner.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await runner
    await restarted.close()


async def test_the_timer_settles_an_auction_when_the_clock_passes_its_end(
    selling: Selling, store: Store, scene: Scene, clock: ManualClock
) -> None:
    auction = await selling.open_auction(scene.show, scene.host, scene.product.id, start_cents=1000,
                                         increment_cents=100, duration_s=30)  # fmt: skip
    runner = asyncio.create_task(selling.run())
    try:
        for _ in range(59):
            await clock.advance(0.5)
        before = await store.get_auction(auction.id)
        unsold = await auction_status_becomes(store, clock, auction.id, AuctionStatus.UNSOLD)
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner

    assert before is not None
    assert before.status is AuctionStatus.OPEN
    assert unsold
    assert clock.now() >= auction.ends_at


async def test_start_events_carry_the_media_time_on_air_and_later_changes_do_not(
    store: Store, clock: ManualClock, scene: Scene
) -> None:
    events: list[Event] = []
    bus = EventBus()
    bus.subscribe(events.append)
    provider = TestPaymentProvider()
    checkout = Checkout(store, provider, bus, CartRules(max_qty_per_buyer=5), StockNews(store, bus), clock)
    on_air = {scene.show.id: 90_000 * 42}
    selling = Selling(store, bus, clock, RULES, provider, checkout, media_time=on_air.get)

    auction = await selling.open_auction(
        scene.show, scene.host, scene.product.id, start_cents=100, increment_cents=10, duration_s=30
    )
    await selling.bid(auction.id, scene.viewers[0], 100)
    await selling.create_deal(scene.show, scene.host, scene.product.id, price_cents=50, quantity=1, duration_s=30)
    await selling.create_giveaway(scene.show, scene.host, scene.product.id, winners=1, duration_s=30, keyword=None)

    stamped = [
        (event.name, getattr(event, event.name).get("media_time"))
        for event in events
        if event.name in ("auction", "deal", "giveaway")
    ]
    assert stamped == [("auction", 3_780_000), ("auction", None), ("deal", 3_780_000), ("giveaway", 3_780_000)]


async def test_a_paused_show_keeps_its_formats_and_an_ended_one_takes_no_more_bids_units_or_entries(
    selling: Selling, store: Store, scene: Scene
) -> None:
    sam, kim = scene.viewers[0], scene.viewers[1]
    auction = await selling.open_auction(scene.show, scene.host, scene.product.id, start_cents=100, increment_cents=10,
                                         duration_s=60)  # fmt: skip
    deal = await selling.create_deal(scene.show, scene.host, scene.product.id, price_cents=50, quantity=2,
                                     duration_s=60)  # fmt: skip
    giveaway = await selling.create_giveaway(scene.show, scene.host, scene.product.id, winners=1, duration_s=60,
                                             keyword=None)  # fmt: skip
    await store.set_show_status(scene.show.id, ShowStatus.PAUSED)
    assert (await selling.bid(auction.id, sam, 100)).high_bid_cents == 100
    assert (await selling.reserve(deal.id, sam)).deal_id == deal.id
    assert (await selling.enter(giveaway.id, sam))[1] is True

    await store.set_show_status(scene.show.id, ShowStatus.ENDED)
    with pytest.raises(ShowEnded):
        await selling.bid(auction.id, kim, 200)
    with pytest.raises(ShowEnded):
        await selling.reserve(deal.id, kim)
    with pytest.raises(ShowEnded):
        await selling.enter(giveaway.id, kim)


async def test_a_deleted_brand_stops_the_bids_deal_units_and_entries_on_its_product(
    selling: Selling, store: Store, scene: Scene
) -> None:
    sam = scene.viewers[0]
    auction = await selling.open_auction(scene.show, scene.host, scene.product.id, start_cents=100, increment_cents=10,
                                         duration_s=60)  # fmt: skip
    deal = await selling.create_deal(scene.show, scene.host, scene.product.id, price_cents=50, quantity=2,
                                     duration_s=60)  # fmt: skip
    giveaway = await selling.create_giveaway(scene.show, scene.host, scene.product.id, winners=1, duration_s=60,
                                             keyword=None)  # fmt: skip
    await store.delete_account(scene.brand.id)
    with pytest.raises(NotForSale):
        await selling.bid(auction.id, sam, 100)
    with pytest.raises(NotForSale):
        await selling.reserve(deal.id, sam)
    with pytest.raises(NotForSale):
        await selling.enter(giveaway.id, sam)
