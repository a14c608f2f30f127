"""Selling formats end to end over real HTTP and a python-socketio client: an auction from opening to the
winner paying, a flash deal bought from the cart at the deal price, a giveaway entered by event and by
keyword, drawn and verified. The server runs on a ManualClock; its timer settles what the clock passes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from livecart import keys
from livecart.app import create_app
from livecart.clock import ManualClock
from livecart.config import Settings
from livecart.domain import giveaways
from livecart.domain.commerce import LedgerAccount
from livecart.domain.ledger import balance
from livecart.domain.models import ShowStatus
from tests.api.commerce_scene import DECLINED_CARD, Scene, checkout_body, make_scene, new_key
from tests.live.clients import LiveClient
from tests.support import ADMIN_TOKEN, Api


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def client(settings: Settings, clock: ManualClock, aiohttp_client: AiohttpClient) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings, clock=clock))


@pytest.fixture
async def scene(api: Api, client: TestClient[Any, Any]) -> Scene:
    made = await make_scene(api, {"stock": 5, "price_cents": 5000})
    await client.app[keys.SERVICES].store.set_show_status(made.show_id, ShowStatus.LIVE)
    return made


@pytest.fixture
async def live(client: TestClient[Any, Any]) -> AsyncIterator[Callable[[], Awaitable[LiveClient]]]:
    opened: list[LiveClient] = []

    async def connect() -> LiveClient:
        one = await LiveClient(str(client.make_url("/"))).connect()
        opened.append(one)
        return one

    yield connect
    for one in opened:
        await one.close()


async def eventually(check: Callable[[], Awaitable[bool]], clock: ManualClock, within_s: float = 10.0) -> None:
    """Poll `check` while nudging the server's clock: the timer may have been busy (not asleep) when a
    test moved the clock, and then sleeps until the clock moves again."""
    deadline = time.monotonic() + within_s
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await clock.advance(0.1)
        await asyncio.sleep(0.05)


async def pass_time(clock: ManualClock, until: str) -> None:
    await clock.set(datetime.fromisoformat(until.replace("Z", "+00:00")))
    await clock.advance(1)  # the timer ticks every 0.5 s of the clock


async def test_an_auction_from_opening_to_the_winner_paying(
    api: Api, scene: Scene, clock: ManualClock, live: Callable[[], Awaitable[LiveClient]], client: Any
) -> None:
    product = scene.products[0]
    sam, kim = await scene.viewer("Sam Lee"), await scene.viewer("Kim Park")
    await scene.pin(product)
    await scene.add(kim, product, 1)  # paying the auction leaves this cart line alone
    watcher, sam_live, kim_live, host_live = await live(), await live(), await live(), await live()
    await watcher.join(scene.show_id)
    await sam_live.join(scene.show_id, sam["token"])
    await kim_live.join(scene.show_id, kim["token"])
    await host_live.join(scene.show_id, scene.host["token"])
    path = f"/api/shows/{scene.show_id}/auctions"
    body = {"product_id": product["id"], "start_cents": 1000, "increment_cents": 100, "duration_s": 30}

    await api.call("POST", path, 403, token=sam["token"], json=body)
    bad = await api.call("POST", path, 400, token=scene.host["token"], json={**body, "duration_s": 4})
    assert bad["error"]["fields"] == {"duration_s": "from 5 to 600 seconds"}
    auction = await api.call("POST", path, 201, token=scene.host["token"], json=body)
    again = await api.call("POST", path, 409, token=scene.brand["token"], json=body)

    assert again["error"]["code"] == "auction_open"
    assert (auction["status"], auction["high_bid_cents"], auction["leader"], auction["bids"]) == ("open", None, None, 0)
    assert (await scene.product(product))["stock"] == 4  # the unit leaves stock at the opening
    bid = {"auction_id": auction["id"], "amount_cents": 1000}
    first = await sam_live.call("bid", bid)
    assert first["ok"], first
    assert first["auction"]["leader"]["id"] == sam["id"]
    low = await kim_live.call("bid", bid)
    assert (low["ok"], low["error"]["code"], low["error"]["min_cents"]) == (False, "bid_too_low", 1100)
    assert (await kim_live.call("bid", {**bid, "amount_cents": 1100}))["ok"]
    own = await host_live.call("bid", {**bid, "amount_cents": 5000})
    assert own["error"]["code"] == "own_auction"
    assert (await watcher.call("bid", {**bid, "amount_cents": 5000}))["error"]["code"] == "unauthorized"
    missing = await kim_live.call("bid", {"auction_id": auction["id"]})
    assert missing["error"]["fields"] == {"amount_cents": "required"}
    hurried = [await sam_live.call("bid", {**bid, "amount_cents": 100}) for _ in range(10)]
    # sam bid once already: 10 bids a second per account in a show, then rate_limited
    assert [answer["error"]["code"] for answer in hurried] == ["bid_too_low"] * 9 + ["rate_limited"]
    assert hurried[-1]["error"]["retry_after"] > 0
    await watcher.wait_for(lambda: any(a["bids"] == 2 for a in watcher.events("auction")))
    seen = watcher.events("auction")[-1]
    assert (seen["leader"]["id"], seen["high_bid_cents"], seen["status"]) == (kim["id"], 1100, "open")
    assert watcher.events("auction")[0]["status"] == "open"

    await pass_time(clock, auction["ends_at"])

    async def sold() -> bool:
        state = await api.call("GET", f"/api/auctions/{auction['id']}", 200)
        return bool(state["status"] == "sold")

    await eventually(sold, clock)
    state = await api.call("GET", f"/api/auctions/{auction['id']}", 200)
    assert state["winner"] == {"id": kim["id"], "name": "Kim P."}
    await watcher.wait_for(lambda: watcher.events("auction")[-1]["status"] == "sold")
    checkout = f"/api/auctions/{auction['id']}/checkout"
    await api.call(
        "POST", checkout, 403, token=sam["token"], json=checkout_body(), headers={"Idempotency-Key": new_key()}
    )
    await api.call("POST", checkout, 400, token=kim["token"], json=checkout_body())  # no Idempotency-Key
    key = new_key()
    order = await api.call(
        "POST", checkout, 201, token=kim["token"], json=checkout_body(name="Kim Park"), headers={"Idempotency-Key": key}
    )
    replay = await api.request(
        "POST", checkout, token=kim["token"], json=checkout_body(name="Kim Park"), headers={"Idempotency-Key": key}
    )
    mismatch = await api.request(
        "POST", checkout, token=kim["token"], json=checkout_body(name="Kim P"), headers={"Idempotency-Key": key}
    )

    assert (order["status"], order["total_cents"], order["buyer_id"]) == ("paid", 1100, kim["id"])
    assert order["shipping"]["name"] == "Kim Park"
    assert (replay.status, replay.headers.get("Idempotent-Replayed"), await replay.json()) == (201, "true", order)
    assert mismatch.status == 422
    entries = await client.app[keys.SERVICES].store.ledger_entries(order_id=order["id"])
    assert balance(entries) == 0
    assert [e.amount_cents for e in entries if e.account is LedgerAccount.HOST_COMMISSION] == [-110]
    paid_again = await api.call(
        "POST", checkout, 201, token=kim["token"], json=checkout_body(), headers={"Idempotency-Key": new_key()}
    )
    assert paid_again == order  # paid already: the same order, nothing charged again
    cart = await api.call("GET", f"/api/shows/{scene.show_id}/cart", 200, token=kim["token"])
    assert [(item["product"]["id"], item["qty"]) for item in cart["items"]] == [(product["id"], 1)]


async def test_a_declined_winner_passes_the_offer_to_the_runner_up(
    api: Api, scene: Scene, clock: ManualClock, live: Callable[[], Awaitable[LiveClient]]
) -> None:
    sam, kim = await scene.viewer("Sam Lee"), await scene.viewer("Kim Park")
    sam_live, kim_live = await live(), await live()
    await sam_live.join(scene.show_id, sam["token"])
    await kim_live.join(scene.show_id, kim["token"])
    auction = await api.call(
        "POST",
        f"/api/shows/{scene.show_id}/auctions",
        201,
        token=scene.host["token"],
        json={"product_id": scene.products[0]["id"], "start_cents": 500, "increment_cents": 50, "duration_s": 10},
    )
    assert (await sam_live.call("bid", {"auction_id": auction["id"], "amount_cents": 500}))["ok"]
    assert (await kim_live.call("bid", {"auction_id": auction["id"], "amount_cents": 900}))["ok"]
    await pass_time(clock, auction["ends_at"])

    async def offered_to(viewer_id: str) -> bool:
        state = await api.call("GET", f"/api/auctions/{auction['id']}", 200)
        return bool(state["status"] == "sold" and state["winner"]["id"] == viewer_id)

    await eventually(lambda: offered_to(kim["id"]), clock)
    checkout = f"/api/auctions/{auction['id']}/checkout"
    declined = await api.call(
        "POST",
        checkout,
        402,
        token=kim["token"],
        json=checkout_body(DECLINED_CARD),
        headers={"Idempotency-Key": new_key()},
    )
    assert declined["error"]["code"] == "payment_declined"
    await eventually(lambda: offered_to(sam["id"]), clock)
    order = await api.call(
        "POST", checkout, 201, token=sam["token"], json=checkout_body(), headers={"Idempotency-Key": new_key()}
    )
    assert (order["total_cents"], order["buyer_id"]) == (500, sam["id"])


async def test_a_flash_deal_is_reserved_from_the_cart_and_bought_at_the_deal_price(
    api: Api, scene: Scene, clock: ManualClock, live: Callable[[], Awaitable[LiveClient]], client: Any
) -> None:
    product = scene.products[0]
    sam, kim, lou = await scene.viewer("Sam Lee"), await scene.viewer("Kim Park"), await scene.viewer("Lou Ng")
    watcher = await live()
    await watcher.join(scene.show_id)
    path = f"/api/shows/{scene.show_id}/deals"
    body = {"product_id": product["id"], "price_cents": 2990, "quantity": 2, "duration_s": 60}
    await api.call("POST", path, 403, token=sam["token"], json=body)
    assert (await api.call("POST", path, 400, token=scene.host["token"], json={**body, "duration_s": 9}))["error"][
        "fields"
    ] == {"duration_s": "from 10 to 300 seconds"}
    deal = await api.call("POST", path, 201, token=scene.brand["token"], json=body)
    assert {k: deal[k] for k in ("product_id", "price_cents", "quantity", "remaining", "status")} == {
        "product_id": product["id"],
        "price_cents": 2990,
        "quantity": 2,
        "remaining": 2,
        "status": "open",
    }
    items = f"/api/shows/{scene.show_id}/cart/items"

    cart = await api.call("POST", items, 201, token=sam["token"], json={"deal_id": deal["id"]})
    await api.call("POST", items, 201, token=kim["token"], json={"deal_id": deal["id"]})
    sold_out = await api.call("POST", items, 409, token=lou["token"], json={"deal_id": deal["id"]})
    both = await api.call("POST", items, 400, token=lou["token"], json={"deal_id": deal["id"], "product_id": "x"})

    assert sold_out["error"]["code"] == "deal_sold_out"
    assert "product_id" in both["error"]["fields"]
    assert [(line["deal_id"], line["qty"], line["price_cents"]) for line in cart["deals"]] == [(deal["id"], 1, 2990)]
    assert cart["total_cents"] == 2990
    assert (await scene.product(product))["stock"] == 3
    await watcher.wait_for(lambda: any(d["remaining"] == 0 for d in watcher.events("deal")))
    order = await scene.checkout(sam)
    assert (order["total_cents"], order["items"][0]["unit_price_cents"], order["status"]) == (2990, 2990, "paid")
    assert (await api.call("GET", f"/api/shows/{scene.show_id}/cart", 200, token=sam["token"]))["deals"] == []

    await clock.advance(121)  # kim's hold lapses: the timer gives the unit back to the deal and to stock

    async def back() -> bool:
        fresh = await api.call("GET", f"/api/deals/{deal['id']}", 200)
        return bool(fresh["remaining"] == 1)

    await eventually(back, clock)
    assert (await scene.product(product))["stock"] == 4
    assert (await scene.checkout(kim, 409))["error"]["code"] == "cart_empty"
    ended = await api.call("DELETE", f"/api/deals/{deal['id']}", 200, token=scene.host["token"])
    assert ended["status"] == "ended"
    assert (await api.call("POST", items, 409, token=lou["token"], json={"deal_id": deal["id"]}))["error"][
        "code"
    ] == "deal_ended"
    await api.call("DELETE", f"/api/deals/{deal['id']}", 403, token=sam["token"])
    entries = await client.app[keys.SERVICES].store.ledger_entries(order_id=order["id"])
    assert balance(entries) == 0


async def test_a_giveaway_is_entered_drawn_verifiable_and_shipped(
    api: Api, scene: Scene, clock: ManualClock, live: Callable[[], Awaitable[LiveClient]]
) -> None:
    viewers = [await scene.viewer(f"Viewer {n} Lee") for n in range(4)]
    path = f"/api/shows/{scene.show_id}/giveaways"
    body = {"product_id": scene.products[0]["id"], "winners": 2, "duration_s": 60, "keyword": "glow"}
    await api.call("POST", path, 403, token=scene.brand["token"], json=body)
    giveaway = await api.call("POST", path, 201, token=scene.host["token"], json=body)
    assert (giveaway["status"], giveaway["seed"], len(giveaway["commitment"])) == ("open", None, 64)
    clients = [await live() for _ in viewers]
    for one, viewer in zip(clients, viewers, strict=True):
        await one.join(scene.show_id, viewer["token"])
    host_live = await live()
    await host_live.join(scene.show_id, scene.host["token"])

    entered = [await clients[n].call("enter", {"giveaway_id": giveaway["id"]}) for n in (0, 1, 1)]
    assert [(a["ok"], a["entered"]) for a in entered] == [(True, True), (True, True), (True, False)]
    assert (await host_live.call("enter", {"giveaway_id": giveaway["id"]}))["error"]["code"] == "forbidden"
    assert (await clients[2].call("chat", {"text": " GLOW "}))["ok"]  # the keyword enters its author
    assert (await clients[3].call("chat", {"text": "glow please"}))["ok"]  # not the keyword
    await clients[0].wait_for(lambda: any(g["entrants"] == 3 for g in clients[0].events("giveaway")))

    await pass_time(clock, giveaway["ends_at"])

    async def drawn() -> bool:
        return bool((await api.call("GET", f"/api/giveaways/{giveaway['id']}", 200))["status"] == "drawn")

    await eventually(drawn, clock)
    public = await api.call("GET", f"/api/giveaways/{giveaway['id']}", 200)
    assert public["entrant_ids"] == sorted(v["id"] for v in viewers[:3])
    assert public["winners"] == list(giveaways.draw(public["seed"], public["entrant_ids"], 2))
    assert giveaways.commitment(public["seed"]) == giveaway["commitment"]
    assert len(public["verify"]) == 4
    await clients[0].wait_for(lambda: any(g["status"] == "drawn" for g in clients[0].events("giveaway")))
    winner = next(v for v in viewers if v["id"] == public["winners"][0])
    loser = next(v for v in viewers[:3] if v["id"] not in public["winners"])
    orders = await api.call("GET", f"/api/shows/{scene.show_id}/orders", 200, token=ADMIN_TOKEN)
    prize = next(o for o in orders["orders"] if o["buyer_id"] == winner["id"])
    assert (prize["total_cents"], prize["status"], prize["shipping"]) == (0, "paid", {})
    ship = f"/api/orders/{prize['id']}/shipping"
    address = checkout_body(name=winner["name"])["shipping"]
    await api.call("POST", ship, 403, token=loser["token"], json={"shipping": address})
    shipped = await api.call("POST", ship, 200, token=winner["token"], json={"shipping": address})
    assert shipped["shipping"]["name"] == winner["name"]
    assert (await api.call("POST", ship, 409, token=winner["token"], json={"shipping": address}))["error"][
        "code"
    ] == "shipping_set"
    await api.call("POST", "/api/orders/ord_nope/shipping", 404, token=winner["token"], json={"shipping": address})


async def test_a_joining_viewer_gets_the_open_auction_deals_and_giveaways(
    api: Api, scene: Scene, live: Callable[[], Awaitable[LiveClient]]
) -> None:
    product_id = scene.products[0]["id"]
    token = scene.host["token"]
    auction = await api.call(
        "POST",
        f"/api/shows/{scene.show_id}/auctions",
        201,
        token=token,
        json={"product_id": product_id, "start_cents": 100, "increment_cents": 10, "duration_s": 60},
    )
    deal = await api.call(
        "POST",
        f"/api/shows/{scene.show_id}/deals",
        201,
        token=token,
        json={"product_id": product_id, "price_cents": 100, "quantity": 1, "duration_s": 60},
    )
    giveaway = await api.call(
        "POST",
        f"/api/shows/{scene.show_id}/giveaways",
        201,
        token=token,
        json={"product_id": product_id, "winners": 1, "duration_s": 60},
    )

    joined = await (await live()).join(scene.show_id)

    assert joined["selling"]["auction"]["id"] == auction["id"]
    assert [d["id"] for d in joined["selling"]["deals"]] == [deal["id"]]
    assert [g["id"] for g in joined["selling"]["giveaways"]] == [giveaway["id"]]


async def test_the_stats_signal_bids_from_the_sellers_address_and_winners_who_never_pay(
    api: Api, scene: Scene, clock: ManualClock, live: Callable[[], Awaitable[LiveClient]]
) -> None:
    sam, kim = await scene.viewer("Sam Lee"), await scene.viewer("Kim Park")
    sam_live, kim_live = await live(), await live()
    await sam_live.join(scene.show_id, sam["token"])
    await kim_live.join(scene.show_id, kim["token"])
    stats = f"/api/shows/{scene.show_id}/stats"
    quiet = (await api.call("GET", stats, 200, token=scene.host["token"]))["signals"]
    assert (quiet["bids_from_seller_addresses"], quiet["bidders_who_never_pay"]) == ([], [])
    auction = await api.call(
        "POST",
        f"/api/shows/{scene.show_id}/auctions",
        201,
        token=scene.host["token"],
        json={"product_id": scene.products[0]["id"], "start_cents": 500, "increment_cents": 50, "duration_s": 10},
    )  # the host's address (127.0.0.1) is noted here
    assert (await sam_live.call("bid", {"auction_id": auction["id"], "amount_cents": 500}))["ok"]
    assert (await kim_live.call("bid", {"auction_id": auction["id"], "amount_cents": 600}))["ok"]
    assert (await kim_live.call("bid", {"auction_id": auction["id"], "amount_cents": 700}))["ok"]
    await pass_time(clock, auction["ends_at"])

    async def offered_to(viewer_id: str) -> bool:
        state = await api.call("GET", f"/api/auctions/{auction['id']}", 200)
        return bool(state["status"] == "sold" and state["winner"]["id"] == viewer_id)

    await eventually(lambda: offered_to(kim["id"]), clock)
    await clock.advance(601)  # kim does not pay: the offer passes to sam, who pays
    await eventually(lambda: offered_to(sam["id"]), clock)
    await api.call(
        "POST",
        f"/api/auctions/{auction['id']}/checkout",
        201,
        token=sam["token"],
        json=checkout_body(),
        headers={"Idempotency-Key": new_key()},
    )

    signals = (await api.call("GET", stats, 200, token=scene.host["token"]))["signals"]

    rows = signals["bids_from_seller_addresses"]
    shared = {(row["bidder_id"], row["bids"], tuple(row["shares_with"])) for row in rows}
    assert shared == {(sam["id"], 1, ("host",)), (kim["id"], 2, ("host",))}  # every client here is 127.0.0.1
    assert all(
        row["label"].startswith("ip-") and "127" not in row["label"] for row in signals["bids_from_seller_addresses"]
    )
    assert signals["bidders_who_never_pay"] == [{"bidder_id": kim["id"], "bids": 2, "unpaid_wins": 1}]
    other_brand = await api.create_account("brand", "Other")
    await api.call("GET", stats, 403, token=other_brand["token"])


async def test_a_deal_checkout_keeps_the_hardening_rules_total_seen_and_ended_show(api: Api, scene: Scene) -> None:
    product = scene.products[0]
    sam, kim = await scene.viewer("Sam Lee"), await scene.viewer("Kim Park")
    body = {"product_id": product["id"], "price_cents": 2990, "quantity": 2, "duration_s": 60}
    deal = await api.call("POST", f"/api/shows/{scene.show_id}/deals", 201, token=scene.host["token"], json=body)
    items, checkout = f"/api/shows/{scene.show_id}/cart/items", f"/api/shows/{scene.show_id}/checkout"
    for viewer in (sam, kim):
        await api.call("POST", items, 201, token=viewer["token"], json={"deal_id": deal["id"]})
    replay = await api.call("POST", items, 400, token=sam["token"], json={"deal_id": deal["id"], "source": "replay"})

    unseen = await api.call("POST", checkout, 409, token=sam["token"], headers={"Idempotency-Key": new_key()},
                            json={**checkout_body(), "expected_total_cents": 2989})  # fmt: skip
    paid = await api.call("POST", checkout, 201, token=sam["token"], headers={"Idempotency-Key": new_key()},
                          json={**checkout_body(), "expected_total_cents": 2990})  # fmt: skip
    await api.call("POST", f"/api/shows/{scene.show_id}/end", 200, token=scene.host["token"])
    ended = await api.call("POST", checkout, 409, token=kim["token"], headers={"Idempotency-Key": new_key()},
                           json={**checkout_body(), "expected_total_cents": 2990})  # fmt: skip

    assert replay["error"]["fields"] == {"source": "must be live with deal_id"}
    assert (unseen["error"]["code"], unseen["error"]["total_cents"]) == ("price_changed", 2990)
    assert (paid["total_cents"], paid["status"]) == (2990, "paid")
    assert ended["error"]["code"] == "show_ended"
