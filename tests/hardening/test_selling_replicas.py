"""Selling's money writes wait for replicas like a checkout's (LIVECART_REDIS_MIN_REPLICAS): a real
primary and replica (two redis-servers on 127.0.0.1). With the replica up, a deal's order, an auction's
winner and runner-up orders and a giveaway's prize orders are on the replica the moment the call
returns; with the replica frozen (SIGSTOP) each raises NotReplicated (503), a deal checkout keeps its
Idempotency-Key, and the timer announces a settle only once the replicas have it."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from livecart.bus import EventBus
from livecart.clock import ManualClock, SystemClock
from livecart.commerce.checkout import Checkout
from livecart.commerce.payments import TestPaymentProvider
from livecart.commerce.selling import Selling, SellingRules
from livecart.commerce.stock_news import StockNews
from livecart.domain.auctions import AuctionStatus
from livecart.domain.cart import CartRules
from livecart.domain.errors import IdempotencyInProgress
from livecart.domain.events import AuctionChanged, Event
from livecart.domain.giveaways import GiveawayStatus
from livecart.domain.models import ShowStatus
from livecart.store import Store, open_store
from livecart.store.base import NotReplicated
from livecart.store.redis import keys
from tests.conftest import RedisServer, ServerProcess, start_redis, stop_process
from tests.hardening.flash_sale import CHECKOUT_BODY, call
from tests.store.selling import Scene, live_scene
from tests.support import ADMIN_TOKEN

pytestmark = [pytest.mark.redis, pytest.mark.timeout(120)]

RULES = SellingRules(extend_s=10, pay_s=600, hold_s=120, max_qty_per_buyer=5)
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
SHIPPING = {"name": "Sam Lee", "line1": "1 Rue de Rivoli", "city": "Paris", "postcode": "75001", "country": "FR"}


def replication_info(port: int) -> str:
    done = subprocess.run(["redis-cli", "-p", str(port), "INFO", "replication"], capture_output=True, timeout=10)
    return done.stdout.decode()


@dataclass
class Pair:
    primary: RedisServer
    replica: RedisServer

    @contextmanager
    def replica_frozen(self) -> Iterator[None]:
        """The replica process stopped (SIGSTOP): connected, but acknowledging nothing."""
        self.replica.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.replica.process.send_signal(signal.SIGCONT)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    primary = start_redis(tmp_path / "primary")
    replica = start_redis(tmp_path / "replica", "--replicaof", "127.0.0.1", str(primary.port))
    deadline = time.monotonic() + 20
    while "master_link_status:up" not in replication_info(replica.port):
        assert time.monotonic() < deadline, "the replica did not sync"
        time.sleep(0.05)
    yield Pair(primary, replica)
    for server in (replica, primary):
        stop_process(server.process)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def store(pair: Pair, clock: ManualClock) -> AsyncIterator[Store]:
    # redis_timeout_s=1: WAIT gives up after half of it (500 ms)
    opened = await open_store(pair.primary.url, clock=clock, redis_min_replicas=1, redis_timeout_s=1)
    yield opened
    await opened.close()


@pytest.fixture
async def replica(pair: Pair) -> AsyncIterator[Redis]:
    client = Redis.from_url(pair.replica.url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def primary(pair: Pair) -> AsyncIterator[Redis]:
    client = Redis.from_url(pair.primary.url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def provider() -> TestPaymentProvider:
    return TestPaymentProvider()


@pytest.fixture
def selling(store: Store, clock: ManualClock, events: list[Event], provider: TestPaymentProvider) -> Selling:
    bus = EventBus()
    bus.subscribe(events.append)
    checkout = Checkout(store, provider, bus, CartRules(max_qty_per_buyer=5), StockNews(store, bus), clock)
    return Selling(store, bus, clock, RULES, provider, checkout)


@pytest.fixture
async def scene(store: Store) -> Scene:
    return await live_scene(store, stock=5, viewers=3)


def status_of(_: object) -> int:
    return 409


async def test_a_deal_order_is_on_the_replica_when_the_checkout_returns(
    selling: Selling, scene: Scene, replica: Redis
) -> None:
    sam = scene.viewers[0]
    deal = await selling.create_deal(scene.show, scene.host, scene.product.id, price_cents=990, quantity=3,
                                     duration_s=60)  # fmt: skip
    await selling.reserve(deal.id, sam)
    response, replayed = await selling.checkout_deals(
        scene.show, sam, "deal-1", "hash-1", SHIPPING, GOOD_CARD, None, status_of
    )
    assert (response.status, replayed) == (201, False), response.body
    orders = await replica.zrange(keys.show_orders(scene.show.id), 0, -1)
    assert len(orders) == 1
    assert await replica.hget(keys.order(str(orders[0])), "status") == "paid"


async def test_a_deal_checkout_whose_order_no_replica_confirmed_is_refused_and_keeps_its_key(
    pair: Pair, selling: Selling, store: Store, scene: Scene, primary: Redis, provider: TestPaymentProvider
) -> None:
    sam = scene.viewers[0]
    deal = await selling.create_deal(scene.show, scene.host, scene.product.id, price_cents=990, quantity=3,
                                     duration_s=60)  # fmt: skip
    await selling.reserve(deal.id, sam)
    with pair.replica_frozen():
        with pytest.raises(NotReplicated):
            await selling.checkout_deals(scene.show, sam, "deal-1", "hash-1", SHIPPING, GOOD_CARD, None, status_of)
        placed = await primary.zrange(keys.show_orders(scene.show.id), 0, -1)
        assert len(placed) == 1, "the write happened on the primary"
        assert await primary.hget(keys.order(str(placed[0])), "status") == "pending"
        assert provider.charges == {}, "nothing is charged for an order the replicas may not have"
    # The retry with the same key runs nothing twice: the key stays claimed until recovery settles the order.
    with pytest.raises(IdempotencyInProgress):
        await selling.checkout_deals(scene.show, sam, "deal-1", "hash-1", SHIPPING, GOOD_CARD, None, status_of)
    assert await primary.zrange(keys.show_orders(scene.show.id), 0, -1) == placed


async def test_the_winners_and_the_runner_ups_orders_are_on_the_replica_when_settled_and_passed(
    selling: Selling, store: Store, scene: Scene, clock: ManualClock, replica: Redis
) -> None:
    sam, kim = scene.viewers[0], scene.viewers[1]
    auction = await selling.open_auction(scene.show, scene.host, scene.product.id, start_cents=1000,
                                         increment_cents=100, duration_s=30)  # fmt: skip
    await selling.bid(auction.id, sam, 1000)
    await selling.bid(auction.id, kim, 1500)
    await clock.advance(31)
    await selling.settle_due_auctions()
    sold = await store.get_auction(auction.id)
    assert sold is not None
    assert sold.status is AuctionStatus.SOLD
    assert sold.winner_id == kim.id
    assert await replica.hget(keys.order(sold.order_id or ""), "status") == "pending"
    with pytest.raises(Exception, match="declined"):
        await selling.pay_auction(auction.id, kim, DECLINED_CARD)
    passed = await store.get_auction(auction.id)
    assert passed is not None
    assert passed.winner_id == sam.id
    assert passed.order_id != sold.order_id
    assert await replica.hget(keys.order(sold.order_id or ""), "status") == "failed"
    assert await replica.hget(keys.order(passed.order_id or ""), "status") == "pending"


async def test_a_settle_no_replica_confirmed_is_announced_only_once_the_replica_has_it(
    pair: Pair, selling: Selling, store: Store, scene: Scene, clock: ManualClock, events: list[Event], replica: Redis
) -> None:
    sam = scene.viewers[0]
    auction = await selling.open_auction(scene.show, scene.host, scene.product.id, start_cents=1000,
                                         increment_cents=100, duration_s=30)  # fmt: skip
    await selling.bid(auction.id, sam, 1200)
    await clock.advance(31)
    events.clear()
    with pair.replica_frozen():
        await selling.tick()  # settles on the primary; WAIT times out
        assert not [event for event in events if isinstance(event, AuctionChanged)]
        settled = await store.get_auction(auction.id)
        assert settled is not None
        assert settled.status is AuctionStatus.SOLD
        await selling.tick()  # still frozen: still not announced
        assert not [event for event in events if isinstance(event, AuctionChanged)]
    await selling.tick()
    announced = [event for event in events if isinstance(event, AuctionChanged)]
    assert [event.auction["status"] for event in announced] == ["sold"]
    assert await replica.hget(keys.order(settled.order_id or ""), "status") == "pending"


async def test_a_giveaway_draw_waits_for_the_replica_and_is_refused_without_it(
    pair: Pair, selling: Selling, store: Store, scene: Scene, clock: ManualClock, replica: Redis
) -> None:
    first = await selling.create_giveaway(scene.show, scene.host, scene.product.id, winners=1, duration_s=60,
                                          keyword=None)  # fmt: skip
    await selling.enter(first.id, scene.viewers[0])
    await clock.advance(61)
    with pair.replica_frozen(), pytest.raises(NotReplicated):
        await store.draw_giveaway(first.id)
    drawn = await store.get_giveaway(first.id)
    assert drawn is not None
    assert drawn.status is GiveawayStatus.DRAWN
    second = await selling.create_giveaway(scene.show, scene.host, scene.product.id, winners=1, duration_s=60,
                                           keyword=None)  # fmt: skip
    await selling.enter(second.id, scene.viewers[1])
    await clock.advance(61)
    after = await store.draw_giveaway(second.id)
    assert after.status is GiveawayStatus.DRAWN
    assert [await replica.hget(keys.order(order_id), "status") for order_id in after.order_ids] == ["paid"]


async def test_confirm_replicated_raises_while_no_replica_acknowledges(pair: Pair, store: Store) -> None:
    await store.confirm_replicated()
    with pair.replica_frozen(), pytest.raises(NotReplicated):
        await store.confirm_replicated()
    await asyncio.wait_for(store.confirm_replicated(), 10)


async def test_over_http_a_deal_checkout_no_replica_confirmed_is_503_and_never_charged(
    pair: Pair, tmp_path: Path, server_process: Callable[..., ServerProcess]
) -> None:
    payments = tmp_path / "payments.jsonl"
    server = server_process({
        "LIVECART_STORE": pair.primary.url, "LIVECART_REDIS_MIN_REPLICAS": "1", "LIVECART_REDIS_TIMEOUT_S": "1",
        "LIVECART_TEST_PAYMENTS_FILE": str(payments), "LIVECART_RECOVERY_GRACE_S": "1",
    })  # fmt: skip
    base = server.url
    async with aiohttp.ClientSession() as http:
        brand = await call(http, "POST", f"{base}/api/brands", 201, ADMIN_TOKEN, json={"name": "Aurora"})
        host = await call(http, "POST", f"{base}/api/hosts", 201, ADMIN_TOKEN, json={"name": "Mia"})
        product = await call(http, "POST", f"{base}/api/products", 201, brand["token"], json={
            "sku": "B-1", "title": "Bag", "price_cents": 5000, "currency": "EUR", "stock": 5,
            "commission_bps": 1000})  # fmt: skip
        show = await call(http, "POST", f"{base}/api/shows", 201, host["token"], json={"title": "Deals"})
        for step in ("lineup", "pins"):
            await call(http, "POST", f"{base}/api/shows/{show['id']}/{step}", 201, host["token"],
                       json={"product_id": product["id"]})  # fmt: skip
        store = await open_store(pair.primary.url, clock=SystemClock())
        try:
            await store.set_show_status(show["id"], ShowStatus.LIVE)
        finally:
            await store.close()
        deal = await call(http, "POST", f"{base}/api/shows/{show['id']}/deals", 201, host["token"], json={
            "product_id": product["id"], "price_cents": 2990, "quantity": 2, "duration_s": 300})  # fmt: skip
        viewer = await call(http, "POST", f"{base}/api/viewers", 201, json={"name": "Sam"})
        await call(http, "POST", f"{base}/api/shows/{show['id']}/cart/items", 201, viewer["token"],
                   json={"deal_id": deal["id"]})  # fmt: skip
        headers = {"Authorization": f"Bearer {viewer['token']}", "Idempotency-Key": "deal-key-1"}
        url = f"{base}/api/shows/{show['id']}/checkout"
        with pair.replica_frozen():
            async with http.post(url, json=CHECKOUT_BODY, headers=headers) as response:
                assert response.status == 503, await response.text()
                assert (await response.json())["error"]["code"] == "unavailable"
                assert int(response.headers["Retry-After"]) >= 1
        # The same key never pays twice: in progress until checkout recovery fails the uncharged order.
        deadline = time.monotonic() + 30
        while True:
            async with http.post(url, json=CHECKOUT_BODY, headers=headers) as response:
                status, body = response.status, await response.json()
            assert status < 500, body
            if body.get("error", {}).get("code") != "idempotency_in_progress":
                break
            assert time.monotonic() < deadline, "recovery did not settle the order"
            await asyncio.sleep(0.5)
    assert status == 409, body
    assert TestPaymentProvider(path=payments).charges == {}
    assert "Traceback" not in server.log.read_text()
