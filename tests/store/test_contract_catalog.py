"""Contract: brands' products (both stores)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from livecart.domain.errors import Conflict, NotFound
from livecart.domain.models import ProductDraft
from livecart.store import Store
from tests.store import factories
from tests.store.conftest import OpenStore


async def test_a_created_product_reads_back_field_for_field(store: Store) -> None:
    brand = await factories.brand(store)
    draft = ProductDraft(
        sku="GLOW-01",
        title="Glow serum 30 ml",
        price_cents=2499,
        currency="USD",
        stock=7,
        commission_bps=1250,
        image_url="https://cdn.example.com/glow.jpg",
        description="Vitamin C, “daily” — 30 ml",
    )

    product = await store.create_product(brand.id, draft)

    assert product.id.startswith("prd_")
    assert product.brand_id == brand.id
    assert (product.sku, product.title, product.price_cents, product.currency) == (
        "GLOW-01",
        "Glow serum 30 ml",
        2499,
        "USD",
    )
    assert (product.stock, product.commission_bps) == (7, 1250)
    assert (product.image_url, product.description) == (draft.image_url, draft.description)
    assert product.created_at == product.updated_at
    assert await store.get_product(product.id) == product


async def test_optional_fields_read_back_as_none_and_empty_strings_stay_empty(store: Store) -> None:
    brand = await factories.brand(store)

    bare = await factories.product(store, brand.id, sku="BARE")
    empty = await factories.product(store, brand.id, sku="EMPTY", description="")

    assert await store.get_product(bare.id) == bare
    assert (bare.image_url, bare.description) == (None, None)
    fetched = await store.get_product(empty.id)
    assert fetched is not None
    assert fetched.description == ""


async def test_an_unknown_product_is_none(store: Store) -> None:
    assert await store.get_product("prd_0000000000000000") is None


async def test_a_brand_cannot_reuse_a_sku_but_another_brand_can(store: Store) -> None:
    aurora = await factories.brand(store, "Aurora")
    borealis = await factories.brand(store, "Borealis")
    first = await factories.product(store, aurora.id, sku="LIP-1")

    with pytest.raises(Conflict):
        await factories.product(store, aurora.id, sku="LIP-1", title="Another lipstick")
    other = await factories.product(store, borealis.id, sku="LIP-1")

    assert other.sku == first.sku
    assert [p.id for p in await store.list_products(aurora.id)] == [first.id]
    assert await store.get_product(first.id) == first


async def test_skus_are_case_sensitive(store: Store) -> None:
    brand = await factories.brand(store)

    upper = await factories.product(store, brand.id, sku="LIP-1")
    lower = await factories.product(store, brand.id, sku="lip-1")

    assert upper.id != lower.id


async def test_concurrent_creates_with_one_sku_make_exactly_one_product(store: Store) -> None:
    brand = await factories.brand(store)

    results = await asyncio.gather(
        *(factories.product(store, brand.id, sku="RACE", title=f"Racer {i}") for i in range(20)),
        return_exceptions=True,
    )

    created = [result for result in results if not isinstance(result, BaseException)]
    assert len(created) == 1
    assert all(isinstance(result, Conflict) for result in results if isinstance(result, BaseException))
    assert await store.list_products(brand.id) == created


async def test_products_are_listed_in_creation_order_all_or_by_brand(store: Store) -> None:
    aurora = await factories.brand(store, "Aurora")
    borealis = await factories.brand(store, "Borealis")
    a1 = await factories.product(store, aurora.id, sku="A1")
    b1 = await factories.product(store, borealis.id, sku="B1")
    a2 = await factories.product(store, aurora.id, sku="A2")

    assert [p.id for p in await store.list_products()] == [a1.id, b1.id, a2.id]
    assert [p.id for p in await store.list_products(aurora.id)] == [a1.id, a2.id]
    assert [p.id for p in await store.list_products(borealis.id)] == [b1.id]
    assert await store.list_products("brd_0000000000000000") == []


async def test_an_empty_catalog_lists_nothing(store: Store) -> None:
    assert await store.list_products() == []


async def test_update_changes_the_mutable_fields_and_stamps_updated_at(store: Store) -> None:
    brand = await factories.brand(store)
    product = await factories.product(store, brand.id, image_url="https://cdn.example.com/a.jpg")

    updated = await store.update_product(
        product.id,
        {
            "title": "Lipstick (matte)",
            "price_cents": 1500,
            "stock": 0,
            "commission_bps": 0,
            "image_url": None,
            "description": "New shade",
        },
    )

    assert (updated.title, updated.price_cents, updated.stock, updated.commission_bps) == (
        "Lipstick (matte)",
        1500,
        0,
        0,
    )
    assert (updated.image_url, updated.description) == (None, "New shade")
    assert updated.updated_at > product.updated_at
    assert updated.created_at == product.created_at
    assert await store.get_product(product.id) == updated


async def test_update_leaves_unnamed_fields_alone(store: Store) -> None:
    brand = await factories.brand(store)
    product = await factories.product(store, brand.id, description="Keeps me")

    updated = await store.update_product(product.id, {"stock": 3})

    assert updated == replace(product, stock=3, updated_at=updated.updated_at)


async def test_update_ignores_fields_that_are_not_mutable(store: Store) -> None:
    brand = await factories.brand(store)
    other = await factories.brand(store, "Other")
    product = await factories.product(store, brand.id)

    updated = await store.update_product(
        product.id, {"sku": "HACKED", "brand_id": other.id, "id": "prd_x", "currency": "JPY", "stock": 4}
    )

    assert (updated.id, updated.sku, updated.brand_id, updated.currency, updated.stock) == (
        product.id,
        product.sku,
        product.brand_id,
        product.currency,
        4,
    )
    assert [p.id for p in await store.list_products(brand.id)] == [product.id]
    assert await store.list_products(other.id) == []


async def test_update_with_no_mutable_field_returns_the_product_unchanged(store: Store) -> None:
    brand = await factories.brand(store)
    product = await factories.product(store, brand.id)

    assert await store.update_product(product.id, {}) == product
    assert await store.update_product(product.id, {"sku": "IGNORED"}) == product


async def test_updating_an_unknown_product_raises_not_found_and_creates_nothing(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.update_product("prd_0000000000000000", {"stock": 5})
    with pytest.raises(NotFound):
        await store.update_product("prd_0000000000000000", {})

    assert await store.get_product("prd_0000000000000000") is None
    assert await store.list_products() == []


async def test_lineup_and_list_show_the_product_as_updated(store: Store) -> None:
    brand = await factories.brand(store)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    product = await factories.product(store, brand.id)
    await store.add_to_lineup(show.id, product.id)

    updated = await store.update_product(product.id, {"price_cents": 999})

    assert await store.lineup(show.id) == [updated]
    assert await store.list_products() == [updated]


async def test_products_survive_reopening_the_store(store: Store, open_stores: OpenStore) -> None:
    brand = await factories.brand(store)
    product = await factories.product(store, brand.id, image_url="/img/a.png")
    await store.close()

    reopened = await open_stores()

    assert await reopened.get_product(product.id) == product
    with pytest.raises(Conflict):
        await factories.product(reopened, brand.id, sku=product.sku)
