"""A flash sale: many buyers at once, each with their own HTTP connection, never oversell.

Parametrized over store URLs (`STORES`): every store implementation must pass it.
"""

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
from tests.api.commerce_scene import Scene, checkout_body, make_scene, new_key
from tests.support import ADMIN_TOKEN, Api

STORES = ["sqlite", pytest.param("redis", marks=pytest.mark.redis)]

# 1,000 buyers make ~3,000 HTTP requests: well under a minute on a quiet 2-core machine, but a shared
# one can be several times slower, and a timeout here would say nothing about correctness.
pytestmark = pytest.mark.timeout(600)
BUYERS = 1000
STOCK = 100
SETUP_CONCURRENCY = 50


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'livecart.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def settings(store_url: str) -> Settings:
    # 1,000 buyers from 127.0.0.1: a crowd behind one address, so the per-address limits are lifted.
    return Settings(store=store_url, admin_token=ADMIN_TOKEN, account_rate=(100_000, 1.0), cart_add_rate=(100_000, 1.0))


async def _buyers(scene: Scene, products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one(number: int) -> dict[str, Any]:
        async with gate:
            viewer = await scene.viewer(f"Buyer {number}")
            for product in products:
                await scene.add(viewer, product)
            return viewer

    return await asyncio.gather(*(one(number) for number in range(BUYERS)))


async def _stampede(client: TestClient[Any, Any], scene: Scene, buyers: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """Every buyer checks out at the same moment, each over a separate connection (own session)."""
    url = str(client.make_url(f"/api/shows/{scene.show_id}/checkout"))
    start = asyncio.Event()

    async def one(viewer: dict[str, Any]) -> tuple[int, Any]:
        connector = aiohttp.TCPConnector(limit=1, force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            await start.wait()
            headers = {"Authorization": f"Bearer {viewer['token']}", "Idempotency-Key": new_key()}
            async with session.post(url, json=checkout_body(), headers=headers) as response:
                return response.status, await response.json()

    tasks = [asyncio.create_task(one(viewer)) for viewer in buyers]
    await asyncio.sleep(0)
    start.set()
    return await asyncio.gather(*tasks)


async def _assert_ledger_matches_orders(app: web.Application, show_id: str) -> None:
    store = app[keys.SERVICES].store
    orders = [order for order in await store.show_orders(show_id) if order.status is OrderStatus.PAID]
    entries = await store.ledger_entries(show_id=show_id)
    assert sum(entry.amount_cents for entry in entries) == 0
    paid_in = sum(entry.amount_cents for entry in entries if entry.account.value == "payments_clearing")
    assert paid_in == sum(order.total_cents for order in orders)
    for order in orders:
        assert sum(entry.amount_cents for entry in entries if entry.order_id == order.id) == 0


@pytest.mark.slow
async def test_a_thousand_buyers_for_a_hundred_units(
    api: Api, app: web.Application, client: TestClient[Any, Any]
) -> None:
    scene = await make_scene(api, {"stock": STOCK, "price_cents": 2500})
    product = scene.products[0]
    await scene.pin(product)
    buyers = await _buyers(scene, [product])

    results = await _stampede(client, scene, buyers)

    statuses = Counter(status for status, _ in results)
    assert statuses == {201: STOCK, 409: BUYERS - STOCK}
    assert {body["error"]["code"] for status, body in results if status == 409} == {"out_of_stock"}
    assert (await scene.product(product))["stock"] == 0
    orders = await app[keys.SERVICES].store.show_orders(scene.show_id)
    assert Counter(order.status for order in orders) == {OrderStatus.PAID: STOCK}
    await _assert_ledger_matches_orders(app, scene.show_id)


@pytest.mark.slow
async def test_mixed_carts_are_all_or_nothing(api: Api, app: web.Application, client: TestClient[Any, Any]) -> None:
    scene = await make_scene(api, {"stock": STOCK, "price_cents": 2500}, {"stock": STOCK // 2, "price_cents": 990})
    plenty, scarce = scene.products
    for product in scene.products:
        await scene.pin(product)
    buyers = await _buyers(scene, [plenty, scarce])

    results = await _stampede(client, scene, buyers)

    statuses = Counter(status for status, _ in results)
    assert statuses == {201: STOCK // 2, 409: BUYERS - STOCK // 2}
    assert all(len(body["items"]) == 2 for status, body in results if status == 201)
    assert (await scene.product(scarce))["stock"] == 0
    assert (await scene.product(plenty))["stock"] == STOCK - STOCK // 2, "no unit of the other line was kept"
    await _assert_ledger_matches_orders(app, scene.show_id)
