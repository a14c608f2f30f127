"""Contract: live auctions — one open per show, bids decided atomically, anti-sniping, settled exactly
once, the winner's order, the runner-up offer, units from and back to stock (both stores)."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from livecart.clock import ManualClock
from livecart.domain import auctions
from livecart.domain.auctions import Auction, AuctionClosed, AuctionOpen, AuctionStatus, BidTooLow, OwnAuction
from livecart.domain.commerce import LedgerAccount, OrderStatus
from livecart.domain.errors import NotFound, OutOfStock, ShippingSet
from livecart.domain.ids import new_id
from livecart.domain.ledger import balance, sale_entries
from livecart.store import Store
from tests.store import factories
from tests.store.selling import OpenAt, Scene, live_scene, stock_of, stores_at

EXTEND_S = 10
PAY_S = 600


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
    return await live_scene(store, stock=5, viewers=4)


def auction_of(scene: Scene, clock: ManualClock, **changes: object) -> Auction:
    made = auctions.new_auction(
        auction_id=new_id("auc"), show_id=scene.show.id, host_id=scene.host.id, product_id=scene.product.id,
        brand_id=scene.brand.id, currency=scene.product.currency, start_cents=1000, increment_cents=100,
        duration_s=30, reserve_cents=None, quantity=1, now=clock.now(),
    )  # fmt: skip
    return replace(made, **changes)  # type: ignore[arg-type]


async def opened(store: Store, scene: Scene, clock: ManualClock, **changes: object) -> Auction:
    auction = auction_of(scene, clock, **changes)
    await store.open_auction(auction)
    return auction


async def test_confirm_replicated_returns_at_once_when_no_replica_is_required(store: Store) -> None:
    """The timer's confirmation (tests/hardening/test_selling_replicas.py has the replicated case)."""
    await asyncio.wait_for(store.confirm_replicated(), 5)  # raises NotReplicated or times out otherwise


async def test_opening_an_auction_takes_its_units_from_stock_and_reads_back(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    auction = auction_of(scene, clock, quantity=2, reserve_cents=5000)

    levels = await store.open_auction(auction)

    assert levels == {scene.product.id: 3}
    assert await stock_of(store, scene.product) == 3
    assert await store.get_auction(auction.id) == auction
    assert await store.show_auction(scene.show.id) == auction
    assert await store.get_auction("auc_missing") is None


async def test_a_show_has_one_open_auction_at_a_time(store: Store, scene: Scene, clock: ManualClock) -> None:
    first = await opened(store, scene, clock)
    other_show = await factories.show(store, scene.host.id, "Other")

    with pytest.raises(AuctionOpen):
        await store.open_auction(auction_of(scene, clock))
    await store.open_auction(replace(auction_of(scene, clock), show_id=other_show.id))

    assert await stock_of(store, scene.product) == 3
    await store.cancel_auction(first.id)
    await store.open_auction(auction_of(scene, clock))  # the show's auction ended: another may open


async def test_concurrent_opens_in_one_show_open_exactly_one(store: Store, scene: Scene, clock: ManualClock) -> None:
    results = await asyncio.gather(
        *(store.open_auction(auction_of(scene, clock)) for _ in range(10)), return_exceptions=True
    )

    assert sum(isinstance(result, dict) for result in results) == 1
    assert all(isinstance(result, AuctionOpen) for result in results if not isinstance(result, dict))
    assert await stock_of(store, scene.product) == 4


async def test_an_auction_needs_its_units_in_stock(store: Store, scene: Scene, clock: ManualClock) -> None:
    auction = auction_of(scene, clock, quantity=6)

    with pytest.raises(OutOfStock) as raised:
        await store.open_auction(auction)

    assert raised.value.details["available"] == {scene.product.id: 5}
    assert await store.get_auction(auction.id) is None
    assert await store.show_auction(scene.show.id) is None
    assert await stock_of(store, scene.product) == 5


async def test_bids_start_at_the_start_price_then_rise_by_the_increment(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    auction = await opened(store, scene, clock)
    sam, kim = scene.viewers[:2]

    with pytest.raises(BidTooLow) as too_low:
        await store.place_bid(auction.id, sam.id, sam.name, 999, EXTEND_S)
    first = await store.place_bid(auction.id, sam.id, sam.name, 1000, EXTEND_S)
    with pytest.raises(BidTooLow) as under_increment:
        await store.place_bid(auction.id, kim.id, kim.name, 1099, EXTEND_S)
    second = await store.place_bid(auction.id, kim.id, kim.name, 1100, EXTEND_S)

    assert too_low.value.details["min_cents"] == 1000
    assert under_increment.value.details["min_cents"] == 1100
    assert (first.high_bid_cents, first.leader_id, first.bids) == (1000, sam.id, 1)
    assert (second.high_bid_cents, second.leader_id, second.leader_name, second.bids) == (1100, kim.id, kim.name, 2)
    assert await store.get_auction(auction.id) == second
    assert [(bid.bidder_id, bid.amount_cents) for bid in await store.auction_bids(auction.id)] == [
        (sam.id, 1000), (kim.id, 1100)]  # fmt: skip


async def test_the_host_and_the_owning_brand_cannot_bid(store: Store, scene: Scene, clock: ManualClock) -> None:
    auction = await opened(store, scene, clock)

    for account in (scene.host, scene.brand):
        with pytest.raises(OwnAuction):
            await store.place_bid(auction.id, account.id, account.name, 5000, EXTEND_S)

    assert await store.auction_bids(auction.id) == []


async def test_a_late_bid_moves_the_end_and_an_early_one_does_not(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    auction = await opened(store, scene, clock)  # 30 s
    sam = scene.viewers[0]

    await clock.advance(15)
    early = await store.place_bid(auction.id, sam.id, sam.name, 1000, EXTEND_S)
    await clock.advance(12)  # 3 s left
    late = await store.place_bid(auction.id, sam.id, sam.name, 1100, EXTEND_S)

    assert early.ends_at == auction.ends_at
    assert late.ends_at == clock.now() + timedelta(seconds=EXTEND_S)
    assert (await store.get_auction(auction.id)) == late


async def test_a_bid_at_or_after_the_end_is_refused_even_before_settlement(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    auction = await opened(store, scene, clock)
    await clock.set(auction.ends_at)

    with pytest.raises(AuctionClosed):
        await store.place_bid(auction.id, scene.viewers[0].id, "Sam", 5000, EXTEND_S)
    assert (await store.get_auction(auction.id)) == auction


async def test_settling_before_the_end_changes_nothing(store: Store, scene: Scene, clock: ManualClock) -> None:
    auction = await opened(store, scene, clock)
    await store.place_bid(auction.id, scene.viewers[0].id, "Sam", 1000, EXTEND_S)
    await clock.advance(29)

    still = await store.settle_auction(auction.id, PAY_S, 0)

    assert still.status is AuctionStatus.OPEN
    assert await store.due_auctions() == []
    assert await store.show_orders(scene.show.id) == []


async def test_the_winner_gets_a_pending_order_at_the_winning_price_payable_as_any_order(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    auction = await opened(store, scene, clock, quantity=2)
    sam, kim = scene.viewers[:2]
    await store.place_bid(auction.id, sam.id, sam.name, 1000, EXTEND_S)
    await store.place_bid(auction.id, kim.id, kim.name, 1500, EXTEND_S)
    await clock.set(auction.ends_at)
    assert [due.id for due in await store.due_auctions()] == [auction.id]

    sold = await store.settle_auction(auction.id, PAY_S, 0)

    assert (sold.status, sold.winner_id, sold.price_cents, sold.offers) == (AuctionStatus.SOLD, kim.id, 1500, 1)
    assert sold.pay_by == clock.now() + timedelta(seconds=PAY_S)
    assert await store.show_auction(scene.show.id) is None
    assert sold.order_id is not None
    order = await store.get_order(sold.order_id)
    assert order is not None
    assert (order.status, order.buyer_id, order.total_cents) == (OrderStatus.PENDING, kim.id, 3000)
    line = order.lines[0]
    assert (line.qty, line.unit_price_cents, line.commission_bps, line.commission_cents) == (2, 1500, 1000, 300)
    assert await stock_of(store, scene.product) == 3  # taken once, at the opening
    assert await store.units_bought(kim.id, [scene.product.id]) == {scene.product.id: 2}
    await clock.advance(3600)
    assert await store.pending_orders(clock.now()) == []  # the pay window settles it, not checkout recovery
    paid = await store.mark_order_paid(order.id, "ch_1", clock.now(), sale_entries(order, clock.now()), None)
    assert paid.status is OrderStatus.PAID
    entries = await store.ledger_entries(order_id=order.id)
    assert balance(entries) == 0
    assert [entry.amount_cents for entry in entries if entry.account is LedgerAccount.HOST_COMMISSION] == [-300]
    assert await store.due_auctions() == []  # paid: nothing left to decide
    assert (await store.pass_auction_offer(auction.id, order.id, PAY_S, 0)) == sold


async def test_no_bid_or_a_reserve_not_met_ends_unsold_with_the_units_back(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    empty = await opened(store, scene, clock, quantity=2)
    await clock.set(empty.ends_at)
    unsold = await store.settle_auction(empty.id, PAY_S, 0)
    reserved = await opened(store, scene, clock, reserve_cents=2000)
    await store.place_bid(reserved.id, scene.viewers[0].id, "Sam", 1900, EXTEND_S)
    await clock.set(reserved.ends_at)
    below = await store.settle_auction(reserved.id, PAY_S, 0)

    assert (unsold.status, unsold.ended_at) == (AuctionStatus.UNSOLD, empty.ends_at)
    assert below.status is AuctionStatus.UNSOLD
    assert below.winner_id is None
    assert await stock_of(store, scene.product) == 5
    assert await store.show_orders(scene.show.id) == []


async def test_concurrent_settles_on_two_nodes_settle_once_and_agree(
    nodes: OpenAt, store: Store, scene: Scene, clock: ManualClock
) -> None:
    other = await nodes()
    auction = await opened(store, scene, clock)
    await store.place_bid(auction.id, scene.viewers[0].id, "Sam Lee", 1200, EXTEND_S)
    await clock.set(auction.ends_at)

    results = await asyncio.gather(*(node.settle_auction(auction.id, PAY_S, 0) for node in [store, other] * 5))

    assert all(result == results[0] for result in results)
    assert results[0].status is AuctionStatus.SOLD
    assert [order.id for order in await store.show_orders(scene.show.id)] == [results[0].order_id]
    assert await stock_of(store, scene.product) == 4


async def test_an_unpaid_offer_passes_to_the_runner_up_at_their_highest_bid_then_ends_unsold(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    auction = await opened(store, scene, clock)
    sam, kim, lou = scene.viewers[:3]
    for bidder, amount in ((sam, 1000), (kim, 1100), (sam, 1300), (lou, 1400), (kim, 1500)):
        await store.place_bid(auction.id, bidder.id, bidder.name, amount, EXTEND_S)
    await clock.advance(30)
    sold = await store.settle_auction(auction.id, PAY_S, 0)
    assert sold.order_id is not None
    await clock.advance(PAY_S)
    assert [due.id for due in await store.due_auctions()] == [auction.id]

    second = await store.pass_auction_offer(auction.id, sold.order_id, PAY_S, 0)

    assert (second.status, second.winner_id, second.price_cents, second.offers) == (AuctionStatus.SOLD, lou.id, 1400, 2)
    first_order = await store.get_order(sold.order_id)
    assert first_order is not None
    assert first_order.status is OrderStatus.FAILED
    assert second.order_id is not None
    offered = await store.get_order(second.order_id)
    assert offered is not None
    assert (offered.buyer_id, offered.total_cents, offered.status) == (lou.id, 1400, OrderStatus.PENDING)
    assert await stock_of(store, scene.product) == 4  # the unit went from one offer to the next
    assert await store.units_bought(kim.id, [scene.product.id]) == {scene.product.id: 0}
    assert await store.pass_auction_offer(auction.id, sold.order_id, PAY_S, 0) == second  # already passed

    await clock.advance(PAY_S)
    final = await store.pass_auction_offer(auction.id, second.order_id, PAY_S, 0)

    assert final.status is AuctionStatus.UNSOLD
    assert await stock_of(store, scene.product) == 5
    assert await store.due_auctions() == []


async def test_a_runner_up_under_the_reserve_gets_no_offer(store: Store, scene: Scene, clock: ManualClock) -> None:
    auction = await opened(store, scene, clock, reserve_cents=1200)
    sam, kim = scene.viewers[:2]
    await store.place_bid(auction.id, sam.id, sam.name, 1100, EXTEND_S)
    await store.place_bid(auction.id, kim.id, kim.name, 1300, EXTEND_S)
    await clock.advance(30)
    sold = await store.settle_auction(auction.id, PAY_S, 0)
    assert sold.order_id is not None

    passed = await store.pass_auction_offer(auction.id, sold.order_id, PAY_S, 0)

    assert passed.status is AuctionStatus.UNSOLD
    assert await stock_of(store, scene.product) == 5


async def test_cancelling_gives_the_units_back_once(store: Store, scene: Scene, clock: ManualClock) -> None:
    auction = await opened(store, scene, clock, quantity=3)

    cancelled, levels = await store.cancel_auction(auction.id)

    assert cancelled.status is AuctionStatus.CANCELLED
    assert levels == {scene.product.id: 5}
    with pytest.raises(AuctionClosed):
        await store.cancel_auction(auction.id)
    with pytest.raises(AuctionClosed):
        await store.place_bid(auction.id, scene.viewers[0].id, "Sam", 5000, EXTEND_S)
    assert await stock_of(store, scene.product) == 5


async def test_a_thousand_concurrent_bids_accept_strictly_rising_amounts_with_one_leader(
    store: Store, clock: ManualClock
) -> None:
    scene = await live_scene(store, viewers=0)
    auction = await opened(store, scene, clock, increment_cents=1)
    rng = random.Random(14)
    bids = [(f"vwr_{i:04d}", rng.randrange(900, 5000)) for i in range(1000)]

    results = await asyncio.gather(
        *(store.place_bid(auction.id, bidder, bidder, amount, EXTEND_S) for bidder, amount in bids),
        return_exceptions=True,
    )

    accepted = [result for result in results if isinstance(result, Auction)]
    refused = [result for result in results if not isinstance(result, Auction)]
    assert all(isinstance(error, BidTooLow) for error in refused)
    history = await store.auction_bids(auction.id)
    amounts = [bid.amount_cents for bid in history]
    assert len(history) == len(accepted) > 1
    assert all(later > earlier for earlier, later in itertools.pairwise(amounts))
    final = await store.get_auction(auction.id)
    assert final is not None
    assert (final.bids, final.high_bid_cents, final.leader_id) == (len(history), amounts[-1], history[-1].bidder_id)
    assert sorted(result.bids for result in accepted) == list(range(1, len(accepted) + 1))
    for result in accepted:  # each accepted bid made exactly its bidder the leader at that moment
        assert history[result.bids - 1].bidder_id == result.leader_id
        assert history[result.bids - 1].amount_cents == result.high_bid_cents


async def test_bids_through_two_nodes_are_decided_as_one_sequence(
    nodes: OpenAt, store: Store, clock: ManualClock
) -> None:
    other = await nodes()
    scene = await live_scene(store, viewers=0)
    auction = await opened(store, scene, clock, increment_cents=1)
    rng = random.Random(7)

    results = await asyncio.gather(
        *((store, other)[i % 2].place_bid(auction.id, f"vwr_{i}", "Bidder", rng.randrange(1000, 3000), EXTEND_S)
          for i in range(200)),
        return_exceptions=True,
    )  # fmt: skip

    amounts = [bid.amount_cents for bid in await store.auction_bids(auction.id)]
    assert len(amounts) == sum(isinstance(result, Auction) for result in results)
    assert all(later > earlier for earlier, later in itertools.pairwise(amounts))


async def test_the_store_decides_every_bid_as_the_domain_rules_do(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    """A seeded random walk of bids (own, too low, exact, late; the clock moving) applied to the store and to
    `domain.auctions.accept_bid`: the same outcome, error and details at every step, then the same settlement."""
    auction = await opened(store, scene, clock, ends_at=clock.now() + timedelta(seconds=20))
    model = auction
    rng = random.Random(2026)
    people = [*scene.viewers, scene.host, scene.brand]
    seen: Counter[str] = Counter()
    for step in range(150):
        await clock.advance(rng.choice([0, 0, 0.2, 0.5, 1, 2]) if step < 120 else 4)
        bidder = rng.choice(people)
        amount = max(1, model.min_bid_cents + rng.choice([-150, -1, 0, 0, 1, 40, 300]))
        offer = auctions.Bid(auction.id, bidder.id, bidder.name, amount, clock.now())
        try:
            expected: Auction | Exception = auctions.accept_bid(model, offer, clock.now(), EXTEND_S)
        except Exception as error:
            expected = error
        try:
            got: Auction | Exception = await store.place_bid(auction.id, bidder.id, bidder.name, amount, EXTEND_S)
        except Exception as error:
            got = error
        seen[type(expected).__name__] += 1
        if isinstance(expected, Exception):
            assert type(got) is type(expected)
            assert isinstance(got, Exception)
            assert (got.args, getattr(got, "details", None)) == (expected.args, getattr(expected, "details", None))
        else:
            assert got == expected
            model = expected
    await clock.set(max(clock.now(), model.ends_at))

    settled = await store.settle_auction(auction.id, PAY_S, 0)

    assert settled == auctions.settle(model, clock.now(), PAY_S, settled.order_id or "")
    assert set(seen) == {"Auction", "BidTooLow", "OwnAuction", "AuctionClosed"}, seen  # every outcome was walked


async def test_paying_the_winners_order_leaves_their_cart_alone(store: Store, scene: Scene, clock: ManualClock) -> None:
    auction = await opened(store, scene, clock)
    kim = scene.viewers[0]
    await store.add_to_cart(scene.show.id, kim.id, scene.product.id, 2, 5)
    await store.place_bid(auction.id, kim.id, kim.name, 1000, EXTEND_S)
    await clock.set(auction.ends_at)
    sold = await store.settle_auction(auction.id, PAY_S, 0)
    assert sold.order_id is not None
    order = await store.get_order(sold.order_id)
    assert order is not None

    await store.mark_order_paid(order.id, "ch_1", clock.now(), sale_entries(order, clock.now()), None, clear_cart=False)

    assert [(item.product_id, item.qty) for item in await store.cart(scene.show.id, kim.id)] == [(scene.product.id, 2)]


async def test_an_auction_order_gets_its_shipping_address_once(store: Store, scene: Scene, clock: ManualClock) -> None:
    auction = await opened(store, scene, clock)
    kim = scene.viewers[0]
    await store.place_bid(auction.id, kim.id, kim.name, 1000, EXTEND_S)
    await clock.set(auction.ends_at)
    sold = await store.settle_auction(auction.id, PAY_S, 0)
    assert sold.order_id is not None
    address = {"name": "Kim Lee", "line1": "1 Main St", "city": "Lyon", "postal_code": "69001", "country": "FR"}

    shipped = await store.set_order_shipping(sold.order_id, address)

    assert dict(shipped.shipping) == address
    stored = await store.get_order(sold.order_id)
    assert stored is not None
    assert dict(stored.shipping) == address
    with pytest.raises(ShippingSet):
        await store.set_order_shipping(sold.order_id, {**address, "city": "Paris"})
    with pytest.raises(NotFound):
        await store.set_order_shipping("ord_missing", address)


async def test_a_shows_auctions_and_the_address_labels_noted_in_it_read_back(
    store: Store, scene: Scene, clock: ManualClock
) -> None:
    first = await opened(store, scene, clock)
    await store.cancel_auction(first.id)
    await clock.advance(1)
    second = await opened(store, scene, clock)
    sam = scene.viewers[0]
    await store.note_address(scene.show.id, sam.id, "ip-0a1b2c3d4e5f6a7b")
    await store.note_address(scene.show.id, sam.id, "ip-0a1b2c3d4e5f6a7b")
    await store.note_address(scene.show.id, sam.id, "ip-9f8e7d6c5b4a3928")
    await store.note_address(scene.show.id, scene.host.id, "ip-0a1b2c3d4e5f6a7b")

    assert [auction.id for auction in await store.show_auctions(scene.show.id)] == [first.id, second.id]
    assert await store.show_auctions("shw_other") == []
    assert await store.show_addresses(scene.show.id) == {
        sam.id: {"ip-0a1b2c3d4e5f6a7b", "ip-9f8e7d6c5b4a3928"},
        scene.host.id: {"ip-0a1b2c3d4e5f6a7b"},
    }
    assert await store.show_addresses("shw_other") == {}
