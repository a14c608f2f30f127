"""Contract: a show's orders a page at a time, newest first, optionally one brand's (both stores)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from livecart.domain.commerce import Order
from livecart.domain.models import Account, Product, Show
from livecart.store import Store
from tests.store import factories

LIMIT = 1000
START = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


@dataclass
class Shop:
    show: Show
    buyer: Account
    aurora: Product  # brand A
    nova: Product  # brand B


@pytest.fixture
async def shop(store: Store) -> Shop:
    aurora = await factories.brand(store, "Aurora Beauty")
    nova = await factories.brand(store, "Nova Shoes")
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    return Shop(
        show,
        await factories.viewer(store),
        await factories.product(store, aurora.id, sku="LIP", stock=500),
        await factories.product(store, nova.id, sku="SNK", stock=500),
    )


async def place(store: Store, shop: Shop, seconds: float, *lines: tuple[Product, int]) -> Order:
    order = replace(factories.order(shop.show, shop.buyer, *lines), created_at=START + timedelta(seconds=seconds))
    await store.place_order(order, LIMIT)
    return order


def ids(orders: list[Order]) -> list[str]:
    return [order.id for order in orders]


async def test_a_page_is_the_newest_orders_first_and_the_next_page_continues_after_its_last(
    store: Store, shop: Shop
) -> None:
    placed = [await place(store, shop, second, (shop.aurora, 1)) for second in (3, 1, 4, 2, 5)]
    newest_first = sorted(placed, key=lambda order: order.created_at, reverse=True)

    first = await store.show_orders_page(shop.show.id, 2)
    second = await store.show_orders_page(shop.show.id, 2, before=(first[-1].created_at, first[-1].id))
    third = await store.show_orders_page(shop.show.id, 2, before=(second[-1].created_at, second[-1].id))

    assert first == newest_first[:2]
    assert ids(second) == ids(newest_first[2:4])
    assert ids(third) == ids(newest_first[4:])
    assert await store.show_orders_page(shop.show.id, 10) == newest_first


async def test_orders_placed_at_the_same_instant_are_ordered_by_id_and_none_is_skipped(
    store: Store, shop: Shop
) -> None:
    placed = [await place(store, shop, 7, (shop.aurora, 1)) for _ in range(5)]
    newest_first = sorted(ids(placed), reverse=True)

    pages: list[str] = []
    before = None
    while page := await store.show_orders_page(shop.show.id, 2, before=before):
        pages += ids(page)
        before = (page[-1].created_at, page[-1].id)

    assert pages == newest_first


async def test_one_brands_page_holds_only_orders_with_a_line_of_that_brand_whole(store: Store, shop: Shop) -> None:
    mixed = await place(store, shop, 1, (shop.aurora, 1), (shop.nova, 2))
    nova_only = [await place(store, shop, 2 + second, (shop.nova, 1)) for second in range(150)]
    aurora_only = await place(store, shop, 500, (shop.aurora, 3))

    aurora_orders = await store.show_orders_page(shop.show.id, 10, brand_id=shop.aurora.brand_id)
    nova_first = await store.show_orders_page(shop.show.id, 120, brand_id=shop.nova.brand_id)
    nova_rest = await store.show_orders_page(
        shop.show.id, 120, brand_id=shop.nova.brand_id, before=(nova_first[-1].created_at, nova_first[-1].id)
    )

    assert aurora_orders == [aurora_only, mixed]  # the mixed order comes whole; the API scopes its lines
    assert ids(nova_first + nova_rest) == ids([*reversed(nova_only), mixed])
    assert await store.show_orders_page(shop.show.id, 10, brand_id="brd_0000000000000000") == []


async def test_pages_hold_every_status_and_only_the_shows_own_orders(store: Store, shop: Shop) -> None:
    paid = await place(store, shop, 1, (shop.aurora, 1))
    await store.mark_order_paid(paid.id, "ch_1", START, factories.sale_entries(paid), None)
    failed = await place(store, shop, 2, (shop.aurora, 1))
    await store.fail_order(failed.id, None)
    pending = await place(store, shop, 3, (shop.aurora, 1))
    other_show = await factories.show(store, shop.show.host_id, "Other")
    await store.place_order(factories.order(other_show, shop.buyer, (shop.aurora, 1)), LIMIT)

    page = await store.show_orders_page(shop.show.id, 10)

    assert [(order.id, order.status.value) for order in page] == [
        (pending.id, "pending"),
        (failed.id, "failed"),
        (paid.id, "paid"),
    ]
    assert await store.show_orders_page("shw_0000000000000000", 10) == []
