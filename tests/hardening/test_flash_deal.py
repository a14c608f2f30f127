"""A flash deal of 50 units under 1,000 concurrent buyers through a `livecart serve` process (each
reserves a unit from the cart at once, then the holders check out at once): exactly 50 reserved and
sold at the deal price, the deal's `remaining` and the product's stock both down by exactly 50, and the
ledger holding exactly those 50 payments. On SQLite and on Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from livecart.clock import SystemClock
from livecart.domain.commerce import LedgerAccount, OrderStatus
from livecart.domain.ledger import balance
from livecart.domain.models import ShowStatus
from livecart.store import open_store
from tests.conftest import ServerProcess
from tests.hardening.flash_sale import CHECKOUT_BODY, CROWD_ENV, call
from tests.support import ADMIN_TOKEN

pytestmark = pytest.mark.slow

BUYERS, UNITS, STOCK, DEAL_PRICE = 1000, 50, 199, 990
ENV = {"LIVECART_PUBLISHER_GRACE_SECONDS": "600", "LIVECART_LOG_LEVEL": "WARNING", **CROWD_ENV}


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'livecart.db'}"
    redis_url: str = request.getfixturevalue("redis_url")
    return redis_url


async def test_a_deal_of_50_under_1000_concurrent_buyers_sells_exactly_50_and_the_books_agree(
    store_url: str, server_process: Callable[..., ServerProcess]
) -> None:
    server = server_process({**ENV, "LIVECART_STORE": store_url})
    base = server.url
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1000), timeout=aiohttp.ClientTimeout(total=120)
    ) as http:
        brand = await call(http, "POST", f"{base}/api/brands", 201, ADMIN_TOKEN, json={"name": "Aurora"})
        host = await call(http, "POST", f"{base}/api/hosts", 201, ADMIN_TOKEN, json={"name": "Mia"})
        product = await call(
            http,
            "POST",
            f"{base}/api/products",
            201,
            brand["token"],
            json={
                "sku": "D-1",
                "title": "Serum",
                "price_cents": 2500,
                "currency": "EUR",
                "stock": STOCK,
                "commission_bps": 1500,
            },
        )
        show = await call(http, "POST", f"{base}/api/shows", 201, host["token"], json={"title": "Deals"})
        await call(
            http,
            "POST",
            f"{base}/api/shows/{show['id']}/lineup",
            201,
            host["token"],
            json={"product_id": product["id"]},
        )
        store = await open_store(store_url, clock=SystemClock())
        try:
            await store.set_show_status(show["id"], ShowStatus.LIVE)
        finally:
            await store.close()
        viewers = await asyncio.gather(
            *(call(http, "POST", f"{base}/api/viewers", 201, json={"name": f"Buyer {n}"}) for n in range(BUYERS))
        )
        deal = await call(
            http,
            "POST",
            f"{base}/api/shows/{show['id']}/deals",
            201,
            host["token"],
            json={"product_id": product["id"], "price_cents": DEAL_PRICE, "quantity": UNITS, "duration_s": 300},
        )

        async def reserve(viewer: dict[str, Any]) -> tuple[int, Any]:
            async with http.post(
                f"{base}/api/shows/{show['id']}/cart/items",
                json={"deal_id": deal["id"]},
                headers={"Authorization": f"Bearer {viewer['token']}"},
            ) as response:
                return response.status, await response.json()

        reserved = await asyncio.gather(*(reserve(viewer) for viewer in viewers))
        holders = [viewer for viewer, (status, _) in zip(viewers, reserved, strict=True) if status == 201]

        async def checkout(viewer: dict[str, Any]) -> tuple[int, Any]:
            headers = {"Authorization": f"Bearer {viewer['token']}", "Idempotency-Key": str(uuid.uuid4())}
            async with http.post(
                f"{base}/api/shows/{show['id']}/checkout", json=CHECKOUT_BODY, headers=headers
            ) as response:
                return response.status, await response.json()

        bought = await asyncio.gather(*(checkout(viewer) for viewer in holders))
        after = await call(http, "GET", f"{base}/api/deals/{deal['id']}", 200)
        left = await call(http, "GET", f"{base}/api/products/{product['id']}", 200)

    codes = Counter(status if status == 201 else body["error"]["code"] for status, body in reserved)
    assert codes == {201: UNITS, "deal_sold_out": BUYERS - UNITS}
    assert [status for status, _ in bought] == [201] * UNITS
    assert {(body["total_cents"], body["status"]) for _, body in bought} == {(DEAL_PRICE, "paid")}
    assert (after["remaining"], left["stock"]) == (0, STOCK - UNITS)
    store = await open_store(store_url, clock=SystemClock())
    try:
        orders = await store.show_orders(show["id"])
        entries = await store.ledger_entries(show_id=show["id"])
    finally:
        await store.close()
    assert sorted(order.buyer_id for order in orders) == sorted(viewer["id"] for viewer in holders)
    assert {order.status for order in orders} == {OrderStatus.PAID}
    assert balance(entries) == 0
    payments = [entry.amount_cents for entry in entries if entry.account is LedgerAccount.PAYMENTS]
    assert (len(payments), sum(payments)) == (UNITS, UNITS * DEAL_PRICE)
    assert "Traceback" not in server.log.read_text()
