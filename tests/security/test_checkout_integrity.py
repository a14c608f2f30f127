"""Checkout integrity found by the outside attack (issue 19): a cart is bought once, at the price the
buyer saw, and the host's view of an order holds no buyer data. Both stores."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from livecart import keys
from livecart.config import Settings
from livecart.domain.commerce import OrderStatus
from tests.api.commerce_scene import checkout_body, make_scene, new_key
from tests.support import ADMIN_TOKEN, Api

STORES = ["sqlite", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'livecart.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def settings(store_url: str) -> Settings:
    return Settings(store=store_url, admin_token=ADMIN_TOKEN, max_qty_per_buyer=10)


async def test_a_cart_sent_to_ten_concurrent_checkouts_is_bought_once(
    api: Api, app: web.Application, client: TestClient[Any, Any]
) -> None:
    scene = await make_scene(api, {"stock": 50, "price_cents": 2000})
    product = scene.products[0]
    await scene.pin(product)
    buyer = await scene.viewer()
    await scene.add(buyer, product, qty=1)
    url = str(client.make_url(f"/api/shows/{scene.show_id}/checkout"))
    start = asyncio.Event()

    async def one() -> tuple[int, Any]:
        connector = aiohttp.TCPConnector(limit=1, force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            await start.wait()
            headers = {"Authorization": f"Bearer {buyer['token']}", "Idempotency-Key": new_key()}
            async with session.post(url, json=checkout_body(), headers=headers) as response:
                return response.status, await response.json()

    tasks = [asyncio.create_task(one()) for _ in range(10)]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.gather(*tasks)

    assert Counter(status for status, _ in results) == {201: 1, 409: 9}
    assert {body["error"]["code"] for status, body in results if status == 409} == {"cart_empty"}
    orders = await app[keys.SERVICES].store.show_orders(scene.show_id)
    assert Counter(order.status for order in orders) == {OrderStatus.PAID: 1}
    assert (await scene.product(product))["stock"] == 49
    # The cart is empty now: another checkout with a new key is refused the same way.
    refused = await scene.checkout(buyer, 409)
    assert refused["error"]["code"] == "cart_empty"


async def test_a_declined_checkout_leaves_the_cart_for_the_retry(api: Api) -> None:
    scene = await make_scene(api, {"stock": 5, "price_cents": 2000})
    product = scene.products[0]
    await scene.pin(product)
    buyer = await scene.viewer()
    await scene.add(buyer, product, qty=2)
    await scene.checkout(buyer, 402, card="4000000000000002")
    order = await scene.checkout(buyer, 201)
    assert order["items"][0]["qty"] == 2


async def test_a_checkout_at_a_total_the_buyer_never_saw_is_refused(api: Api, app: web.Application) -> None:
    scene = await make_scene(api, {"stock": 5, "price_cents": 2000})
    product = scene.products[0]
    await scene.pin(product)
    buyer = await scene.viewer()
    await scene.add(buyer, product, qty=1)
    seen = 2000
    await api.call(
        "PATCH",
        f"/api/products/{product['id']}",
        200,
        token=scene.brand["token"],
        json={"price_cents": 10_000_000_000},
    )

    refused = await api.call(
        "POST",
        f"/api/shows/{scene.show_id}/checkout",
        409,
        token=buyer["token"],
        json={**checkout_body(), "expected_total_cents": seen},
        headers={"Idempotency-Key": new_key()},
    )

    assert refused["error"]["code"] == "price_changed"
    assert refused["error"]["expected_total_cents"] == seen
    assert refused["error"]["total_cents"] == 10_000_000_000
    assert await app[keys.SERVICES].store.show_orders(scene.show_id) == []
    # At the total now shown, it goes through.
    paid = await api.call(
        "POST",
        f"/api/shows/{scene.show_id}/checkout",
        201,
        token=buyer["token"],
        json={**checkout_body(), "expected_total_cents": 10_000_000_000},
        headers={"Idempotency-Key": new_key()},
    )
    assert paid["total_cents"] == 10_000_000_000


async def test_the_host_reads_an_order_without_the_buyers_address_or_id(api: Api) -> None:
    scene = await make_scene(api, {"stock": 5, "price_cents": 2000})
    product = scene.products[0]
    await scene.pin(product)
    buyer = await scene.viewer()
    await scene.add(buyer, product)
    order = await scene.checkout(buyer)

    as_host = await api.call("GET", f"/api/orders/{order['id']}", 200, token=scene.host["token"])
    listed = await api.call("GET", f"/api/shows/{scene.show_id}/orders", 200, token=scene.host["token"])

    assert as_host["shipping"] is None
    assert "buyer_id" not in as_host
    assert buyer["id"] not in str(as_host)
    assert "Main St" not in str(as_host)
    assert as_host == listed["orders"][0]
    as_buyer = await api.call("GET", f"/api/orders/{order['id']}", 200, token=buyer["token"])
    assert as_buyer["shipping"]["line1"] == "1 Main St"
    assert as_buyer["buyer_id"] == buyer["id"]
