"""Fake-review and fake-order signals over the real HTTP stack: a small fake-review ring is found, a normal
show's signal lists stay empty, quick full refunds are counted per host, and who may read product signals.

Clients connect from chosen loopback source addresses (Linux routes all of 127.0.0.0/8 to lo), so the
client address each order and review records is the one the test picked. The clock is a ManualClock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from livecart import keys
from livecart.app import create_app
from livecart.clock import ManualClock
from livecart.config import Settings
from livecart.domain.signals import address_label, shipping_label
from livecart.trust.signals import LABEL_SECRET
from tests.api.commerce_scene import Scene, checkout_body, make_scene, new_key
from tests.support import ADMIN_TOKEN, Api

RING_ADDRESS = "127.0.0.9"
LISTS = (
    "buyers_with_many_orders",
    "addresses_with_many_orders",
    "reviews_by_new_accounts",
    "review_bursts",
    "shared_client_addresses",
    "shared_shipping_addresses",
    "quick_full_refunds",
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 20, 18, 0, tzinfo=UTC))


@pytest.fixture
def app(settings: Settings, clock: ManualClock) -> web.Application:
    return create_app(settings, clock=clock)


async def call_from(
    client: TestClient[Any, Any],
    source: str,
    method: str,
    path: str,
    token: str,
    body: Any,
    status: int,
    headers: dict[str, str] | None = None,
) -> Any:
    """One request over a connection from the loopback address `source`."""
    async with (
        aiohttp.ClientSession(
            str(client.make_url("")), connector=aiohttp.TCPConnector(local_addr=(source, 0))
        ) as session,
        session.request(
            method, path, json=body, headers={"Authorization": f"Bearer {token}", **(headers or {})}
        ) as response,
    ):
        text = await response.text()
        assert response.status == status, f"{method} {path}: {response.status} {text}"
        return json.loads(text)


async def buy_and_review(
    client: TestClient[Any, Any],
    scene: Scene,
    viewer: dict[str, Any],
    source: str,
    shipping: dict[str, str],
    rating: int,
) -> tuple[str, str]:
    """The viewer buys the scene's product and reviews it, everything from `source`: (order id, review id)."""
    product_id = scene.products[0]["id"]
    await call_from(
        client,
        source,
        "POST",
        f"/api/shows/{scene.show_id}/cart/items",
        viewer["token"],
        {"product_id": product_id},
        201,
    )
    body = {**checkout_body(), "shipping": shipping}
    order = await call_from(
        client,
        source,
        "POST",
        f"/api/shows/{scene.show_id}/checkout",
        viewer["token"],
        body,
        201,
        {"Idempotency-Key": new_key()},
    )
    review = await call_from(
        client,
        source,
        "POST",
        f"/api/products/{product_id}/reviews",
        viewer["token"],
        {"rating": rating, "text": "Best ever!!", "order_id": order["id"]},
        201,
    )
    return order["id"], review["id"]


async def every_view(api: Api, scene: Scene) -> dict[str, dict[str, Any]]:
    """The signals as the host, the brand and admin read them in stats, and the product's for brand and admin."""
    stats = f"/api/shows/{scene.show_id}/stats"
    product = f"/api/products/{scene.products[0]['id']}/signals"
    return {
        "host": (await api.call("GET", stats, 200, token=scene.host["token"]))["signals"],
        "brand": (await api.call("GET", stats, 200, token=scene.brand["token"]))["signals"],
        "admin": (await api.call("GET", stats, 200, token=ADMIN_TOKEN))["signals"],
        "product (brand)": (await api.call("GET", product, 200, token=scene.brand["token"]))["signals"],
        "product (admin)": (await api.call("GET", product, 200, token=ADMIN_TOKEN))["signals"],
    }


async def test_a_fake_review_ring_of_new_accounts_from_one_address_is_found(
    api: Api, client: TestClient[Any, Any], clock: ManualClock
) -> None:
    scene = await make_scene(api, {"stock": 50})
    await scene.pin(scene.products[0])
    drop = {"name": "", "line1": "12 Dock Road", "city": "Lyon", "postal_code": "69007", "country": "FR"}
    ring = []
    for n in range(5):  # five accounts made minutes apart, each buying and reviewing at once, one address
        viewer = await scene.viewer(f"Fan {n}")
        ring.append(viewer["id"])
        await buy_and_review(client, scene, viewer, RING_ADDRESS, {**drop, "name": f"Fan {n}"}, 5)
        await clock.advance(4 * 60)
    key = await client.app[keys.SERVICES].store.secret(LABEL_SECRET)

    for who, signals in (await every_view(api, scene)).items():
        assert sorted(row["buyer_id"] for row in signals["reviews_by_new_accounts"]) == sorted(ring), who
        assert all(row["account_age_hours"] < 1 for row in signals["reviews_by_new_accounts"]), who
        assert [(row["product_id"], row["reviews"]) for row in signals["review_bursts"]] == [
            (scene.products[0]["id"], 5)
        ], who
        assert signals["shared_client_addresses"] == [
            {"label": address_label(RING_ADDRESS, key), "accounts": 5, "buyers": 5, "reviewers": 5}
        ], who
        assert signals["shared_shipping_addresses"] == [
            {"label": shipping_label(drop, key), "buyers": 5, "orders": 5}
        ], who
        assert signals["addresses_with_many_orders"][0]["orders"] == 5, who
        assert RING_ADDRESS not in json.dumps(signals)
        assert "Dock" not in json.dumps(signals)
    # signals never block: the ring's sales and reviews all went through
    assert (await api.call("GET", f"/api/products/{scene.products[0]['id']}", 200))["reviews"]["count"] == 5


async def test_a_normal_shows_signal_lists_stay_empty(
    api: Api, client: TestClient[Any, Any], clock: ManualClock
) -> None:
    scene = await make_scene(api, {"stock": 50})
    await scene.pin(scene.products[0])
    buyers = [await scene.viewer(name) for name in ("Ann", "Bob", "Cid", "Dee")]
    await clock.advance(3 * 24 * 3600)  # accounts made days before they buy
    for n, buyer in enumerate(buyers):  # each from their own address, to their own home, 40 minutes apart
        home = {
            "name": buyer["name"],
            "line1": f"{n + 1} Rue Neuve",
            "city": "Lyon",
            "postal_code": "69001",
            "country": "FR",
        }
        await buy_and_review(client, scene, buyer, f"127.0.0.{20 + n}", home, 3 + n % 3)
        await clock.advance(40 * 60)

    for who, signals in (await every_view(api, scene)).items():
        assert {name: signals[name] for name in LISTS} == {name: [] for name in LISTS}, who
        assert (signals["paid_orders"], signals["refunded_orders"]) == (4, 0), who


async def test_orders_refunded_in_full_soon_after_payment_are_counted_per_host(api: Api, clock: ManualClock) -> None:
    scene = await make_scene(api, {"stock": 50})
    await scene.pin(scene.products[0])
    orders = []
    for name in ("Ann", "Bob", "Cid"):
        viewer = await scene.viewer(name)
        await scene.add(viewer, scene.products[0])
        orders.append((await scene.checkout(viewer))["id"])
    await clock.advance(3600)
    for order_id in orders[:2]:  # an hour after the host was credited
        await api.call("POST", f"/api/orders/{order_id}/refund", 201, token=scene.brand["token"])
    await clock.advance(3 * 24 * 3600)
    await api.call("POST", f"/api/orders/{orders[2]}/refund", 201, token=scene.brand["token"])  # days later

    for who, signals in (await every_view(api, scene)).items():
        assert signals["quick_full_refunds"] == [
            {"host_id": scene.host["id"], "orders": 2, "order_ids": sorted(orders[:2])}
        ], who
        assert signals["refunded_orders"] == 3, who


async def test_product_signals_are_for_the_products_brand_and_admin(api: Api) -> None:
    scene = await make_scene(api)
    path = f"/api/products/{scene.products[0]['id']}/signals"
    other_brand = await api.create_account("brand", "Borealis")
    viewer = await scene.viewer()
    for token, status in (
        (None, 401),
        (viewer["token"], 403),
        (scene.host["token"], 403),
        (other_brand["token"], 403),
        (scene.brand["token"], 200),
        (ADMIN_TOKEN, 200),
    ):
        await api.call("GET", path, status, token=token)
    await api.call("GET", "/api/products/prd_unknown/signals", 404, token=ADMIN_TOKEN)
    read = await api.call("GET", path, 200, token=scene.brand["token"])
    assert read["product_id"] == scene.products[0]["id"]
    assert {name: read["signals"][name] for name in LISTS} == {name: [] for name in LISTS}
