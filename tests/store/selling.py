"""Shared setup of the selling formats' contract tests: stores on a ManualClock and a live show scene."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from livecart.clock import ManualClock
from livecart.domain.models import Account, Product, Show, ShowStatus
from livecart.store import Store, open_store
from tests.store import factories

OpenAt = Callable[[], Awaitable[Store]]


async def stores_at(url: str, clock: ManualClock) -> AsyncIterator[OpenAt]:
    """Factory of stores on the same data and the same clock (several nodes); closes them afterwards."""
    opened: list[Store] = []

    async def open_one() -> Store:
        store = await open_store(url, clock=clock)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


@dataclass
class Scene:
    show: Show
    host: Account
    brand: Account
    product: Product
    viewers: list[Account]


async def live_scene(store: Store, *, stock: int = 5, viewers: int = 3, price_cents: int = 5000) -> Scene:
    brand = await factories.brand(store)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    show = await store.set_show_status(show.id, ShowStatus.LIVE)
    product = await factories.product(store, brand.id, sku="BAG", stock=stock, price_cents=price_cents)
    await store.add_to_lineup(show.id, product.id)
    people = [await factories.viewer(store, f"Viewer {i} Lee") for i in range(viewers)]
    return Scene(show, host, brand, product, people)


async def stock_of(store: Store, product: Product) -> int:
    current = await store.get_product(product.id)
    assert current is not None
    return current.stock
