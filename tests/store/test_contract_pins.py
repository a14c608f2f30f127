"""Contract: pins and the pin log (both stores)."""

from __future__ import annotations

import asyncio

import pytest

from livecart.domain.errors import NotFound
from livecart.domain.models import Product, Show
from livecart.store import Store
from tests.store import factories
from tests.store.conftest import OpenStore


async def a_show_with_products(store: Store, count: int = 2) -> tuple[Show, list[Product]]:
    brand = await factories.brand(store)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    products = [await factories.product(store, brand.id, sku=f"SKU-{i}") for i in range(count)]
    return show, products


async def test_pinning_puts_the_product_on_screen_and_opens_a_span(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)

    pin, pinned = await store.pin_product(show.id, product.id)

    assert pinned is True
    assert (pin.show_id, pin.product) == (show.id, product)
    assert await store.active_pins(show.id) == [pin]
    [span] = await store.pin_log(show.id)
    assert (span.show_id, span.product_id, span.pinned_at, span.unpinned_at) == (
        show.id, product.id, pin.pinned_at, None)  # fmt: skip
    assert await store.pinned_during(show.id) == {product.id}


async def test_pinning_a_pinned_product_again_returns_the_existing_pin(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)
    first, _ = await store.pin_product(show.id, product.id)

    again, pinned = await store.pin_product(show.id, product.id)

    assert pinned is False
    assert again == first
    assert len(await store.pin_log(show.id)) == 1


async def test_concurrent_pins_of_one_product_open_one_span(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)

    results = await asyncio.gather(*(store.pin_product(show.id, product.id) for _ in range(10)))

    assert sorted(pinned for _, pinned in results) == [False] * 9 + [True]
    assert len({pin.pinned_at for pin, _ in results}) == 1
    assert len(await store.pin_log(show.id)) == 1


async def test_unpinning_closes_the_span_and_keeps_the_product_pinned_during_the_show(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)
    pin, _ = await store.pin_product(show.id, product.id)

    assert await store.unpin_product(show.id, product.id) is True

    assert await store.active_pins(show.id) == []
    [span] = await store.pin_log(show.id)
    assert span.pinned_at == pin.pinned_at
    assert span.unpinned_at is not None
    assert span.unpinned_at >= span.pinned_at
    assert await store.pinned_during(show.id) == {product.id}


async def test_unpinning_what_is_not_pinned_returns_false(store: Store) -> None:
    show, (product, other) = await a_show_with_products(store)
    await store.pin_product(show.id, product.id)
    await store.unpin_product(show.id, product.id)

    assert await store.unpin_product(show.id, product.id) is False
    assert await store.unpin_product(show.id, other.id) is False
    assert await store.unpin_product(show.id, "prd_0000000000000000") is False
    assert len(await store.pin_log(show.id)) == 1


async def test_pinning_again_after_unpinning_opens_a_new_span(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)
    await store.pin_product(show.id, product.id)
    await store.unpin_product(show.id, product.id)

    pin, pinned = await store.pin_product(show.id, product.id)

    assert pinned is True
    first, second = await store.pin_log(show.id)
    assert first.unpinned_at is not None
    assert (second.pinned_at, second.unpinned_at) == (pin.pinned_at, None)
    assert second.pinned_at >= first.unpinned_at


async def test_several_products_are_pinned_at_once_oldest_pin_first(store: Store) -> None:
    show, products = await a_show_with_products(store, 3)
    for product in (products[2], products[0], products[1]):
        await store.pin_product(show.id, product.id)
    await store.unpin_product(show.id, products[0].id)

    pinned = [pin.product.id for pin in await store.active_pins(show.id)]
    logged = [span.product_id for span in await store.pin_log(show.id)]

    assert pinned == [products[2].id, products[1].id]
    assert logged == [products[2].id, products[0].id, products[1].id]
    assert await store.pinned_during(show.id) == {product.id for product in products}


async def test_active_pins_carry_the_current_product(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)
    await store.pin_product(show.id, product.id)

    updated = await store.update_product(product.id, {"stock": 1})

    [pin] = await store.active_pins(show.id)
    assert pin.product == updated


async def test_pins_belong_to_their_show(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)
    other_show = await factories.show(store, show.host_id, "Other")
    await store.pin_product(show.id, product.id)

    assert await store.active_pins(other_show.id) == []
    assert await store.pin_log(other_show.id) == []
    assert await store.pinned_during(other_show.id) == set()
    assert await store.unpin_product(other_show.id, product.id) is False


async def test_pinning_an_unknown_product_raises_not_found(store: Store) -> None:
    show, _ = await a_show_with_products(store)

    with pytest.raises(NotFound):
        await store.pin_product(show.id, "prd_0000000000000000")
    assert await store.pin_log(show.id) == []


async def test_pins_and_the_log_survive_reopening_the_store(store: Store, open_stores: OpenStore) -> None:
    show, (first, second) = await a_show_with_products(store)
    await store.pin_product(show.id, first.id)
    await store.pin_product(show.id, second.id)
    await store.unpin_product(show.id, first.id)
    pins, log = await store.active_pins(show.id), await store.pin_log(show.id)
    await store.close()

    reopened = await open_stores()

    assert await reopened.active_pins(show.id) == pins
    assert await reopened.pin_log(show.id) == log
    assert await reopened.pinned_during(show.id) == {first.id, second.id}
