"""Contract: carts, cart activity and units bought (both stores)."""

from __future__ import annotations

import asyncio

import pytest

from livecart.domain.errors import LimitExceeded, NotFound
from livecart.domain.models import Product, Show
from livecart.store import Store
from tests.store import factories
from tests.store.conftest import OpenStore


async def a_show_with_products(store: Store, count: int = 2) -> tuple[Show, list[Product]]:
    brand = await factories.brand(store)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    products = [await factories.product(store, brand.id, sku=f"SKU-{i}", stock=100) for i in range(count)]
    return show, products


async def test_an_unknown_cart_is_empty(store: Store) -> None:
    assert await store.cart("shw_0000000000000000", "vwr_0000000000000000") == []


async def test_adding_creates_a_line_and_adding_again_adds_units_to_it(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)
    viewer = await factories.viewer(store)

    [first] = await store.add_to_cart(show.id, viewer.id, product.id, 2, 10)
    [again] = await store.add_to_cart(show.id, viewer.id, product.id, 3, 10)

    assert (first.product_id, first.qty) == (product.id, 2)
    assert (again.product_id, again.qty) == (product.id, 5)
    assert again.added_at == first.added_at
    assert await store.cart(show.id, viewer.id) == [again]


async def test_lines_keep_the_order_they_were_first_added_in(store: Store) -> None:
    show, products = await a_show_with_products(store, 3)
    viewer = await factories.viewer(store)

    for product in (products[1], products[0], products[2], products[1]):
        await store.add_to_cart(show.id, viewer.id, product.id, 1, 10)

    cart = await store.cart(show.id, viewer.id)
    assert [(item.product_id, item.qty) for item in cart] == [
        (products[1].id, 2), (products[0].id, 1), (products[2].id, 1)]  # fmt: skip
    assert [item.added_at for item in cart] == sorted(item.added_at for item in cart)


async def test_going_over_the_limit_raises_and_changes_nothing(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)
    viewer = await factories.viewer(store)
    before = await store.add_to_cart(show.id, viewer.id, product.id, 2, 3)

    with pytest.raises(LimitExceeded) as raised:
        await store.add_to_cart(show.id, viewer.id, product.id, 2, 3)
    assert raised.value.details == {"product_ids": [product.id], "max_qty": 3, "in_cart": 2}
    with pytest.raises(LimitExceeded):
        await store.add_to_cart(show.id, viewer.id, product.id, 1, 0)

    assert await store.cart(show.id, viewer.id) == before
    assert (await store.cart_activity(show.id))[product.id].adds == 1
    assert len(await store.add_to_cart(show.id, viewer.id, product.id, 1, 3)) == 1  # exactly at the limit


async def test_concurrent_adds_never_pass_the_limit(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)
    viewer = await factories.viewer(store)

    results = await asyncio.gather(
        *(store.add_to_cart(show.id, viewer.id, product.id, 1, 5) for _ in range(12)), return_exceptions=True
    )

    assert sum(isinstance(result, LimitExceeded) for result in results) == 7
    assert [item.qty for item in await store.cart(show.id, viewer.id)] == [5]


async def test_removing_a_line_returns_whether_there_was_one(store: Store) -> None:
    show, (kept, removed) = await a_show_with_products(store)
    viewer = await factories.viewer(store)
    await store.add_to_cart(show.id, viewer.id, kept.id, 1, 10)
    await store.add_to_cart(show.id, viewer.id, removed.id, 1, 10)

    assert await store.remove_from_cart(show.id, viewer.id, removed.id) is True
    assert await store.remove_from_cart(show.id, viewer.id, removed.id) is False

    assert [item.product_id for item in await store.cart(show.id, viewer.id)] == [kept.id]


async def test_a_line_added_again_after_removal_starts_afresh(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)
    viewer = await factories.viewer(store)
    [old] = await store.add_to_cart(show.id, viewer.id, product.id, 3, 10)
    await store.remove_from_cart(show.id, viewer.id, product.id)

    [new] = await store.add_to_cart(show.id, viewer.id, product.id, 1, 10)

    assert new.qty == 1
    assert new.added_at >= old.added_at


async def test_carts_belong_to_one_viewer_in_one_show(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)
    other_show = await factories.show(store, show.host_id, "Other")
    sam = await factories.viewer(store, "Sam")
    kim = await factories.viewer(store, "Kim")

    await store.add_to_cart(show.id, sam.id, product.id, 2, 10)

    assert await store.cart(show.id, kim.id) == []
    assert await store.cart(other_show.id, sam.id) == []
    assert await store.remove_from_cart(other_show.id, sam.id, product.id) is False
    assert [item.qty for item in await store.cart(show.id, sam.id)] == [2]


async def test_cart_activity_counts_adds_and_distinct_viewers_per_product(store: Store) -> None:
    show, (popular, quiet) = await a_show_with_products(store)
    sam = await factories.viewer(store, "Sam")
    kim = await factories.viewer(store, "Kim")
    for viewer, product in ((sam, popular), (sam, popular), (kim, popular), (kim, quiet)):
        await store.add_to_cart(show.id, viewer.id, product.id, 1, 10)
    await store.remove_from_cart(show.id, kim.id, quiet.id)

    activity = await store.cart_activity(show.id)

    assert {product_id: (a.adds, a.viewers) for product_id, a in activity.items()} == {
        popular.id: (3, 2), quiet.id: (1, 1)}  # fmt: skip
    assert await store.cart_activity("shw_0000000000000000") == {}


async def test_units_bought_is_zero_for_every_product_asked_about_before_any_order(store: Store) -> None:
    _, (first, second) = await a_show_with_products(store)
    viewer = await factories.viewer(store)

    assert await store.units_bought(viewer.id, [first.id, second.id]) == {first.id: 0, second.id: 0}


async def test_carts_survive_reopening_the_store(store: Store, open_stores: OpenStore) -> None:
    show, (first, second) = await a_show_with_products(store)
    viewer = await factories.viewer(store)
    await store.add_to_cart(show.id, viewer.id, second.id, 1, 10)
    cart = await store.add_to_cart(show.id, viewer.id, first.id, 4, 10)
    await store.close()

    reopened = await open_stores()

    assert await reopened.cart(show.id, viewer.id) == cart
    assert (await reopened.cart_activity(show.id))[first.id].adds == 1


async def test_setting_a_lines_quantity_lowers_it_raises_it_and_zero_removes_it(store: Store) -> None:
    show, (product, other) = await a_show_with_products(store)
    viewer = await factories.viewer(store)
    [first] = await store.add_to_cart(show.id, viewer.id, product.id, 3, 10)
    await store.add_to_cart(show.id, viewer.id, other.id, 1, 10)

    lowered = await store.set_cart_qty(show.id, viewer.id, product.id, 2, 10)
    assert [(item.product_id, item.qty) for item in lowered] == [(product.id, 2), (other.id, 1)]
    assert lowered[0].added_at == first.added_at  # the line keeps its place
    raised = await store.set_cart_qty(show.id, viewer.id, product.id, 7, 10)
    assert [(item.product_id, item.qty) for item in raised] == [(product.id, 7), (other.id, 1)]
    removed = await store.set_cart_qty(show.id, viewer.id, product.id, 0, 10)
    assert [(item.product_id, item.qty) for item in removed] == [(other.id, 1)]
    assert await store.cart(show.id, viewer.id) == removed
    assert await store.set_cart_qty(show.id, viewer.id, product.id, 0, 10) == removed  # no line: nothing changes


async def test_setting_a_quantity_on_no_line_adds_it_and_counts_as_one_cart_add(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)
    viewer = await factories.viewer(store)

    [line] = await store.set_cart_qty(show.id, viewer.id, product.id, 4, 10)
    assert (line.product_id, line.qty) == (product.id, 4)
    await store.set_cart_qty(show.id, viewer.id, product.id, 1, 10)  # lowering is not an add
    activity = await store.cart_activity(show.id)
    assert (activity[product.id].adds, activity[product.id].viewers) == (1, 1)


async def test_setting_more_than_the_limit_raises_and_changes_nothing_but_fewer_is_never_refused(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)
    viewer = await factories.viewer(store)
    before = await store.add_to_cart(show.id, viewer.id, product.id, 3, 3)

    with pytest.raises(LimitExceeded) as raised:
        await store.set_cart_qty(show.id, viewer.id, product.id, 4, 3)
    assert raised.value.details["in_cart"] == 3
    assert raised.value.details["max_qty"] == 3
    assert await store.cart(show.id, viewer.id) == before
    [lowered] = await store.set_cart_qty(show.id, viewer.id, product.id, 2, 1)  # the limit fell meanwhile
    assert lowered.qty == 2


async def test_setting_a_quantity_of_an_unknown_product_is_not_found(store: Store) -> None:
    show, _ = await a_show_with_products(store)
    viewer = await factories.viewer(store)
    with pytest.raises(NotFound):
        await store.set_cart_qty(show.id, viewer.id, "prd_0000000000000000", 1, 10)
    with pytest.raises(ValueError, match="at least 0"):
        await store.set_cart_qty(show.id, viewer.id, "prd_0000000000000000", -1, 10)


async def test_concurrent_quantity_sets_never_pass_the_limit(store: Store) -> None:
    show, (product, _) = await a_show_with_products(store)
    viewer = await factories.viewer(store)
    await store.add_to_cart(show.id, viewer.id, product.id, 1, 5)
    outcomes = await asyncio.gather(
        *(store.set_cart_qty(show.id, viewer.id, product.id, qty, 5) for qty in (2, 3, 4, 5, 6, 7)),
        return_exceptions=True,
    )
    assert sum(isinstance(outcome, LimitExceeded) for outcome in outcomes) == 2
    [line] = await store.cart(show.id, viewer.id)
    assert 2 <= line.qty <= 5
