"""The pages' payload types (livecart/static/js/protocol.js) against a real server: every reply and room
event the pages read, taken from a running app, has exactly the fields its typedef lists, with their types.
A server that renames, drops or adds a field fails here (then update protocol.js and the pages)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from livecart import keys
from livecart.app import create_app
from livecart.clock import ManualClock
from livecart.config import Settings
from livecart.domain.models import ShowStatus
from tests.api.commerce_scene import checkout_body, make_scene, new_key
from tests.live.clients import LiveClient
from tests.protocol_types import TYPES, check, problems
from tests.support import ADMIN_TOKEN, Api


def test_the_checker_catches_a_renamed_a_missing_and_a_mistyped_field() -> None:
    cart: dict[str, Any] = {"show_id": "shw_1", "items": [], "deals": [], "currency": None, "total_cents": 0}
    check(cart, "Cart")
    renamed = {("lines" if key == "items" else key): value for key, value in cart.items()}
    assert problems(renamed, "Cart", "Cart") == [
        "Cart.lines: sent by the server, missing from Cart",
        "Cart.items: in Cart, not sent by the server",
    ]
    assert problems({"count": "3"}, "ViewersEvent", "ViewersEvent") == ["ViewersEvent.count: '3' is not number"]
    assert problems({"status": "resting"}, "ShowEvent", "ShowEvent") != []  # paused is a status now


def base_url(client: TestClient[Any, Any]) -> str:
    return str(client.make_url("/")).rstrip("/")


async def test_the_replies_the_pages_read_have_the_shapes_of_protocol_js(
    api: Api, client: TestClient[Any, Any]
) -> None:
    scene = await make_scene(api, {"title": "Glow Serum", "stock": 3}, {"title": "Ruby Lipstick"})
    serum, lipstick = scene.products
    brand, host, show_id = scene.brand, scene.host, scene.show_id
    viewer = await api.call("POST", "/api/viewers", 201, json={"name": "Sam Buyer"})
    check(viewer, "NewAccount")
    check(await api.call("GET", "/api/me", 200, token=brand["token"]), "Account")
    check(await api.call("GET", "/api/shows", 200), "ShowList")
    check(await api.call("GET", f"/api/shows/{show_id}", 200), "ShowDetail")
    check(await api.call("GET", f"/api/products?brand_id={brand['id']}", 200), "ProductList")
    patched = await api.call("PATCH", f"/api/products/{serum['id']}", 200, token=brand["token"], json={"stock": 3})
    check(patched, "Product")
    check(
        (await api.call("PATCH", f"/api/products/{serum['id']}", 400, token=brand["token"], json={"stock": -1})),
        "ApiErrorBody",
    )

    watcher = await LiveClient(base_url(client)).connect()
    talker = await LiveClient(base_url(client)).connect()
    moderator = await LiveClient(base_url(client)).connect()
    try:
        check(await watcher.join(show_id), "JoinAck")
        check(await talker.join(show_id, viewer["token"]), "JoinAck")
        check(await moderator.join(show_id, host["token"]), "JoinAck")
        await scene.pin(serum)
        await scene.pin(lipstick)
        await api.call("DELETE", f"/api/shows/{show_id}/pins/{lipstick['id']}", 204, token=host["token"])
        for pin in (await api.call("GET", f"/api/shows/{show_id}/pins", 200))["pins"]:
            check(pin, "Pin")

        said = await talker.call("chat", {"text": "love it"})
        check({"ok": said["ok"]}, "Ack")
        asked = await talker.call("ask", {"text": "vegan?"})
        assert (await talker.call("react", {"kind": "heart"}))["ok"]
        assert (await moderator.call("feature", {"question_id": asked["question"]["id"]}))["ok"]
        refused = await watcher.call("chat", {"text": "no token"})
        check(refused, "Ack")
        await watcher.wait_for(lambda: bool(watcher.events("chat")) and bool(watcher.events("reactions")))
        assert (await moderator.call("delete_message", {"message_id": said["message"]["id"]}))["ok"]

        check(await scene.add(viewer, serum, qty=2), "Cart")
        path = f"/api/shows/{show_id}/cart/items/{serum['id']}"
        check(await api.call("PATCH", path, 200, token=viewer["token"], json={"qty": 2}), "Cart")
        check(await api.call("GET", f"/api/shows/{show_id}/cart", 200, token=viewer["token"]), "Cart")
        order = await scene.checkout(viewer)
        check(order, "Order")
        await scene.add(viewer, serum, qty=2)
        short = await scene.checkout(viewer, 409)
        check(short, "ApiErrorBody")
        assert (short["error"]["code"], short["error"]["available"]) == ("out_of_stock", {serum["id"]: 1})
        await api.call("DELETE", f"/api/shows/{show_id}/cart/items/{serum['id']}", 204, token=viewer["token"])

        check(await api.call("GET", f"/api/hosts/{host['id']}/earnings", 200, token=host["token"]), "Earnings")
        check(await api.call("GET", f"/api/shows/{show_id}/stats", 200, token=brand["token"]), "ShowStats")
        page = await api.call("GET", f"/api/shows/{show_id}/orders?limit=20", 200, token=brand["token"])
        check(page, "BrandOrderPage")
        assert [listed["id"] for listed in page["orders"]] == [order["id"]]
        check(
            await api.call("POST", f"/api/orders/{order['id']}/refund", 201, token=brand["token"], json={}),
            "RefundReply",
        )

        for name in ("chat", "questions", "reactions", "removed", "pin", "unpin", "stock", "sale"):
            await watcher.wait_for(lambda name=name: bool(watcher.events(name)))  # type: ignore[misc]
        assert watcher.received
        for event, data in watcher.received:
            if event == "viewers" or event in TYPES["RoomEvents"]:
                check(data, TYPES["RoomEvents"][event].type)
            else:
                pytest.fail(f"the room sent {event!r}, which protocol.js does not describe")
    finally:
        for live in (watcher, talker, moderator):
            await live.close()


async def test_the_selling_formats_replies_and_events_have_the_shapes_of_protocol_js(
    settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    clock = ManualClock()
    client = await aiohttp_client(create_app(settings, clock=clock))
    api = Api(client)
    scene = await make_scene(api, {"title": "Glow Serum", "stock": 9})
    product_id, token = scene.products[0]["id"], scene.host["token"]
    await client.app[keys.SERVICES].store.set_show_status(scene.show_id, ShowStatus.LIVE)
    viewer = await scene.viewer("Sam Buyer")
    watcher, bidder = await LiveClient(base_url(client)).connect(), await LiveClient(base_url(client)).connect()
    try:
        await watcher.join(scene.show_id)
        await bidder.join(scene.show_id, viewer["token"])
        auction = await api.call(
            "POST",
            f"/api/shows/{scene.show_id}/auctions",
            201,
            token=token,
            json={"product_id": product_id, "start_cents": 100, "increment_cents": 10, "duration_s": 5},
        )
        check(auction, "Auction")
        deal = await api.call(
            "POST",
            f"/api/shows/{scene.show_id}/deals",
            201,
            token=token,
            json={"product_id": product_id, "price_cents": 100, "quantity": 2, "duration_s": 60},
        )
        check(deal, "Deal")
        giveaway = await api.call(
            "POST",
            f"/api/shows/{scene.show_id}/giveaways",
            201,
            token=token,
            json={"product_id": product_id, "winners": 1, "duration_s": 10, "keyword": "win"},
        )
        check(giveaway, "Giveaway")
        check(await bidder.join(scene.show_id, viewer["token"]), "JoinAck")
        bid = await bidder.call("bid", {"auction_id": auction["id"], "amount_cents": 100})
        check(bid["auction"], "Auction")
        low = await bidder.call("bid", {"auction_id": auction["id"], "amount_cents": 100})
        check({"ok": low["ok"], "error": low["error"]}, "Ack")
        check(low["error"], "ApiErrorInfo")
        check((await bidder.call("enter", {"giveaway_id": giveaway["id"]}))["giveaway"], "Giveaway")
        check(
            await api.call(
                "POST",
                f"/api/shows/{scene.show_id}/cart/items",
                201,
                token=viewer["token"],
                json={"deal_id": deal["id"]},
            ),
            "Cart",
        )
        await clock.advance(11)
        for _ in range(200):  # nudge the clock: the timer may have been busy, not asleep, when it moved
            if any(a["status"] == "sold" for a in watcher.events("auction")) and any(
                g["status"] == "drawn" for g in watcher.events("giveaway")
            ):
                break
            await clock.advance(0.1)
            await asyncio.sleep(0.05)
        await watcher.wait_for(lambda: any(a["status"] == "sold" for a in watcher.events("auction")))
        await watcher.wait_for(lambda: any(g["status"] == "drawn" for g in watcher.events("giveaway")))
        check(await api.call("GET", f"/api/auctions/{auction['id']}", 200), "Auction")
        check(await api.call("GET", f"/api/giveaways/{giveaway['id']}", 200), "Giveaway")
        check(await api.call("GET", f"/api/deals/{deal['id']}", 200), "Deal")
        check(
            await api.call(
                "POST",
                f"/api/auctions/{auction['id']}/checkout",
                201,
                token=viewer["token"],
                json=checkout_body(),
                headers={"Idempotency-Key": new_key()},
            ),
            "Order",
        )
        check(await api.call("DELETE", f"/api/deals/{deal['id']}", 200, token=token), "Deal")
        for event, data in watcher.received:
            if event in TYPES["RoomEvents"]:
                check(data, TYPES["RoomEvents"][event].type)
        assert {"auction", "deal", "giveaway"} <= {event for event, _ in watcher.received}
    finally:
        await watcher.close()
        await bidder.close()


async def test_review_and_signal_replies_have_the_shapes_of_protocol_js(api: Api) -> None:
    scene = await make_scene(api)
    product = scene.products[0]
    await scene.pin(product)
    viewer = await scene.viewer("Ann")
    await scene.add(viewer, product)
    order = await scene.checkout(viewer)
    reviews = f"/api/products/{product['id']}/reviews"
    check(await api.call("GET", f"/api/products/{product['id']}/reviewable", 200, token=viewer["token"]), "Reviewable")
    review = await api.call(
        "POST", reviews, 201, token=viewer["token"], json={"rating": 5, "text": "Great", "order_id": order["id"]}
    )
    check(review, "Review")
    check(await api.call("GET", f"/api/products/{product['id']}", 200), "ProductDetail")
    check(
        await api.call(
            "POST", f"/api/reviews/{review['id']}/reply", 201, token=scene.brand["token"], json={"text": "Thanks"}
        ),
        "Review",
    )
    check(
        await api.call(
            "POST", f"/api/reviews/{review['id']}/report", 201, token=scene.brand["token"], json={"reason": "check"}
        ),
        "ReportReply",
    )
    for token in (None, scene.brand["token"], ADMIN_TOKEN):
        check(await api.call("GET", reviews, 200, token=token), "ReviewPage")
    check(
        await api.call("POST", f"/api/reviews/{review['id']}/hide", 200, token=ADMIN_TOKEN, json={"reason": "test"}),
        "Review",
    )
    check(await api.call("GET", f"/api/reviews/{review['id']}", 200), "Review")
    check(
        await api.call("GET", f"/api/products/{product['id']}/signals", 200, token=scene.brand["token"]),
        "ProductSignals",
    )
    check(await api.call("GET", f"/api/shows/{scene.show_id}/stats", 200, token=scene.host["token"]), "ShowStats")
