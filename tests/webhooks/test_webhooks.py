"""Webhooks on both stores: registered by a brand or the admin, signed, retried with backoff until the
receiver recovers, listed with their attempts, redelivered; and only to allowed addresses."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from livecart import keys
from livecart.clock import ManualClock
from livecart.domain.webhooks import signature
from livecart.webhooks.sender import send
from tests.api.commerce_scene import Scene, make_scene
from tests.support import ADMIN_TOKEN, Api
from tests.webhooks.conftest import FIRST_RETRY_S
from tests.webhooks.receiver import Receiver, verify


async def register(api: Api, token: str, url: str, events: list[str], status: int = 201) -> Any:
    return await api.call("POST", "/api/webhooks", status, token=token, json={"url": url, "events": events})


async def paid_order(scene: Scene) -> dict[str, Any]:
    product = scene.products[0]
    await scene.pin(product)
    buyer = await scene.viewer()
    await scene.add(buyer, product, 2)
    result: dict[str, Any] = await scene.checkout(buyer)
    return result


async def test_a_paid_order_reaches_its_brand_and_the_admin_signed_and_no_one_else(
    api: Api, receiver: tuple[Receiver, str], aiohttp_server: Any
) -> None:
    brand_receiver, url = receiver
    scene = await make_scene(api, {"price_cents": 1900})
    created = await register(api, scene.brand["token"], url, ["order.paid", "order.refunded"])
    assert set(created) == {"id", "secret", "url", "events", "created_at"}
    assert created["secret"].startswith("whsec_")
    brand_receiver.secret = created["secret"]
    other_brand = await api.create_account("brand", "Somebody Else")
    stranger = Receiver()
    stranger_server = await aiohttp_server(stranger.app())
    await register(api, other_brand["token"], str(stranger_server.make_url("/hooks")), ["order.paid"])
    admin_receiver = Receiver()
    admin_server = await aiohttp_server(admin_receiver.app())
    admin_hook = await register(api, ADMIN_TOKEN, str(admin_server.make_url("/hooks")), ["order.paid"])
    admin_receiver.secret = admin_hook["secret"]

    checkout = await paid_order(scene)
    order_id = checkout["id"]
    [got] = await brand_receiver.wait_for(1)
    assert got.signed
    assert got.event["type"] == "order.paid"
    assert got.event["data"]["order_id"] == order_id
    assert got.event["data"]["total_cents"] == 2 * 1900
    assert got.event["data"]["lines"][0]["brand_id"] == scene.brand["id"]
    [admin_got] = await admin_receiver.wait_for(1)
    assert admin_got.signed
    assert admin_got.event["id"] == got.event["id"]
    assert admin_got.delivery_id != got.delivery_id  # one delivery per endpoint
    assert stranger.requests == 0

    refund = await api.call("POST", f"/api/orders/{order_id}/refund", 201, token=scene.brand["token"], json={})
    [_, refunded] = await brand_receiver.wait_for(2)
    assert refunded.event["type"] == "order.refunded"
    assert refunded.event["data"]["refund"]["id"] == refund["refund"]["id"]
    assert refunded.event["data"]["refund"]["amount_cents"] == 2 * 1900

    listed = await api.call("GET", f"/api/webhooks/{created['id']}/deliveries", 200, token=scene.brand["token"])
    assert [(d["event"], d["status"], [a["status"] for a in d["attempts"]]) for d in listed["deliveries"]] == [
        ("order.refunded", "delivered", [200]),
        ("order.paid", "delivered", [200]),
    ]
    assert listed["deliveries"][1]["id"] == got.delivery_id


async def test_show_live_once_and_ended_reach_the_brands_in_the_lineup_a_pause_sends_nothing(
    app: web.Application, api: Api, receiver: tuple[Receiver, str]
) -> None:
    brand_receiver, url = receiver
    scene = await make_scene(api)
    brand_receiver.secret = (await register(api, scene.brand["token"], url, ["show.live", "show.ended"]))["secret"]
    lifecycle = app[keys.SERVICES].lifecycle
    await lifecycle.went_live(scene.show_id)
    await lifecycle.publisher_gone(scene.show_id)  # paused
    await lifecycle.went_live(scene.show_id)  # live again: no second show.live
    await lifecycle.end(scene.show_id)
    received = await brand_receiver.wait_for(2)
    assert [(r.event["type"], r.event["data"]["show_id"], r.signed) for r in received] == [
        ("show.live", scene.show_id, True),
        ("show.ended", scene.show_id, True),
    ]


async def test_a_receiver_that_fails_gets_retries_with_backoff_then_the_same_delivery(
    app: web.Application, api: Api, clock: ManualClock, receiver: tuple[Receiver, str]
) -> None:
    brand_receiver, url = receiver
    brand_receiver.answers = [500, 503]
    scene = await make_scene(api)
    hook = await register(api, scene.brand["token"], url, ["order.paid"])
    brand_receiver.secret = hook["secret"]
    await paid_order(scene)
    path = f"/api/webhooks/{hook['id']}/deliveries"

    async def attempts() -> list[int | None]:
        [delivery] = (await api.call("GET", path, 200, token=scene.brand["token"]))["deliveries"]
        return [attempt["status"] for attempt in delivery["attempts"]]

    await wait_until(lambda: brand_receiver.requests == 1)
    await wait_until_async(attempts, [500])
    await clock.advance(FIRST_RETRY_S - 1)  # not yet due
    await wait_until_async(attempts, [500], settle_s=0.7)
    await clock.advance(1)  # the first retry, after FIRST_RETRY_S
    await wait_until_async(attempts, [500, 503])
    await clock.advance(FIRST_RETRY_S)  # the second waits twice as long
    await wait_until_async(attempts, [500, 503], settle_s=0.7)
    await clock.advance(FIRST_RETRY_S)
    [got] = await brand_receiver.wait_for(1)
    assert got.signed
    await wait_until_async(attempts, [500, 503, 200])
    [delivery] = (await api.call("GET", path, 200, token=scene.brand["token"]))["deliveries"]
    assert delivery["status"] == "delivered"
    assert delivery["next_attempt_at"] is None

    again = await api.call("POST", f"{path}/{delivery['id']}/redeliver", 202, token=scene.brand["token"])
    assert again["status"] == "pending"
    received = await brand_receiver.wait_for(2)
    assert received[1].delivery_id == received[0].delivery_id == delivery["id"]  # the same id: dedupe by it
    assert received[1].event == received[0].event


async def test_who_may_register_and_see_endpoints(api: Api, receiver: tuple[Receiver, str]) -> None:
    _, url = receiver
    brand = await api.create_account("brand", "Aurora Beauty")
    other = await api.create_account("brand", "Other")
    viewer = await api.create_account("viewer", "Sam")
    await register(api, viewer["token"], url, ["order.paid"], status=403)
    bad = await register(api, brand["token"], url, ["order.shipped"], status=400)
    assert bad["error"]["code"] == "bad_request"
    refused = await register(api, brand["token"], "ftp://shop.example/hooks", ["order.paid"], status=400)
    assert refused["error"]["code"] == "url_not_allowed"
    hook = await register(api, brand["token"], url, ["order.paid", "payout.paid"])
    assert (await api.call("GET", "/api/webhooks", 200, token=other["token"]))["webhooks"] == []
    mine = (await api.call("GET", "/api/webhooks", 200, token=brand["token"]))["webhooks"]
    assert [(h["id"], h["events"]) for h in mine] == [(hook["id"], ["order.paid", "payout.paid"])]
    assert "secret" not in mine[0]
    assert [h["id"] for h in (await api.call("GET", "/api/webhooks", 200, token=ADMIN_TOKEN))["webhooks"]] == [
        hook["id"]
    ]
    await api.call("GET", f"/api/webhooks/{hook['id']}/deliveries", 404, token=other["token"])
    await api.call("DELETE", f"/api/webhooks/{hook['id']}", 404, token=other["token"])
    await api.call("DELETE", f"/api/webhooks/{hook['id']}", 204, token=brand["token"])
    assert (await api.call("GET", "/api/webhooks", 200, token=brand["token"]))["webhooks"] == []


async def test_private_addresses_are_refused_unless_allowed(
    client: TestClient[Any, Any], receiver: tuple[Receiver, str]
) -> None:
    """SSRF: a name that resolves to loopback, a literal private address, and a redirect are refused."""
    brand_receiver, url = receiver
    port = url.split(":")[2].split("/")[0]
    common: dict[str, Any] = {
        "delivery_id": "dlv_1",
        "event_type": "order.paid",
        "body": "{}",
        "secret": "s",
        "now": ManualClock().now(),
        "timeout_s": 2.0,
    }
    for target in (
        f"http://localhost:{port}/hooks",
        f"http://127.0.0.1:{port}/hooks",
        "http://10.1.2.3/hooks",
        "http://[::1]/hooks",
        "http://169.254.169.254/latest/meta-data",
    ):
        attempt = await send(target, allow_private=False, **common)
        assert attempt.status is None, target
        assert attempt.error is not None
        assert attempt.error.startswith("refused:"), (target, attempt.error)
    assert brand_receiver.requests == 0
    allowed = await send(url, allow_private=True, **common)
    assert allowed.status == 200
    brand_receiver.answers = [302]
    redirected = await send(url, allow_private=True, **common)
    assert (redirected.status, redirected.error) == (302, "redirect not followed")
    assert not redirected.ok


def test_the_brands_signature_check_accepts_ours_and_refuses_a_forgery() -> None:
    body = json.dumps({"id": "evt_1", "type": "order.paid"}).encode()
    header = signature("whsec_abc", 1_800_000_000, body.decode())
    assert verify("whsec_abc", header, body, now=1_800_000_000)
    assert not verify("whsec_abc", header, body + b" ", now=1_800_000_000)  # body changed
    assert not verify("whsec_xyz", header, body, now=1_800_000_000)  # another secret
    assert not verify("whsec_abc", header, body, now=1_800_000_000 + 301)  # a replay, too late


async def wait_until(predicate: Any, within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def wait_until_async(read: Any, expected: Any, within_s: float = 10.0, settle_s: float = 0.0) -> None:
    """Until `await read()` equals `expected`; with `settle_s`, it must also still equal it after that long."""
    deadline = time.monotonic() + within_s
    while (value := await read()) != expected:
        assert time.monotonic() < deadline, f"{value} != {expected}"
        await asyncio.sleep(0.05)
    if settle_s:
        await asyncio.sleep(settle_s)
        assert await read() == expected
