"""A checkout interrupted by a store outage settles within LIVECART_RECOVERY_GRACE_S of the outage
ending, not a recovery interval later (issue 19, finding 9): the maintenance job wakes when the oldest
pending order turns older than the grace period. Both stores, the app's own maintenance, a ManualClock."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from livecart.app import create_app
from livecart.clock import ManualClock
from livecart.config import Settings
from livecart.domain.commerce import OrderStatus
from livecart.keys import SERVICES
from tests.store import factories
from tests.support import ADMIN_TOKEN

GRACE_S = 120


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'livecart.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url


async def test_an_interrupted_checkout_settles_within_the_grace_period(store_url: str) -> None:
    clock = ManualClock()
    server = TestServer(
        create_app(Settings(store=store_url, admin_token=ADMIN_TOKEN, recovery_grace_s=GRACE_S), clock=clock)
    )
    await server.start_server()
    try:
        store = server.app[SERVICES].store
        brand, host, buyer = await factories.brand(store), await factories.host(store), await factories.viewer(store)
        show = await factories.show(store, host.id)
        product = await factories.product(store, brand.id, stock=3)
        await clock.advance(1)  # just after the start-up pass: the worst moment before this fix
        interrupted = replace(factories.order(show, buyer, (product, 1)), created_at=clock.now())
        await store.place_order(interrupted, 5)  # its process died before charging: nothing else happens

        await clock.advance(GRACE_S - 5)
        await asyncio.sleep(0.2)
        waiting = await store.get_order(interrupted.id)
        assert waiting is not None
        assert waiting.status is OrderStatus.PENDING
        await clock.advance(6)  # the order is now older than the grace period
        order = None
        for _ in range(100):
            order = await store.get_order(interrupted.id)
            if order is not None and order.status is not OrderStatus.PENDING:
                break
            await asyncio.sleep(0.05)
        assert order is not None
        assert order.status is OrderStatus.FAILED  # no charge: failed, the unit back on sale
        restocked = await store.get_product(product.id)
        assert restocked is not None
        assert restocked.stock == 3
    finally:
        await server.close()
