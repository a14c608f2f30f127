"""Contract: the edge cases where the two stores used to answer differently (docs/stores.md lists them).

Each runs on both stores and expects the same error, built by the same constructor of
`livecart.domain.errors` (same class, message and details), with nothing changed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from livecart.domain import errors
from livecart.domain.commerce import OrderStatus
from livecart.domain.models import Account, Product, Show
from livecart.store import Store
from tests.store import factories

LIMIT = 10


def same_error(raised: BaseException, expected: errors.LivecartError) -> None:
    assert type(raised) is type(expected)
    assert isinstance(raised, errors.LivecartError)
    assert (raised.code, raised.message, raised.details) == (expected.code, expected.message, expected.details)


@pytest.fixture
async def brand(store: Store) -> Account:
    return await factories.brand(store)


@pytest.fixture
async def show(store: Store) -> Show:
    return await factories.show(store, (await factories.host(store)).id)


@pytest.fixture
async def lipstick(store: Store, brand: Account) -> Product:
    return await factories.product(store, brand.id, sku="LIP", stock=5)


# 1, 2 — product values: required fields, ranges -------------------------------------------------------


@pytest.mark.parametrize("field", ["title", "price_cents", "stock", "commission_bps"])
async def test_clearing_a_required_product_field_is_a_bad_request_and_changes_nothing(
    store: Store, lipstick: Product, field: str
) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        await store.update_product(lipstick.id, {field: None, "description": "new"})

    same_error(caught.value, errors.null_product_fields([field]))
    assert await store.get_product(lipstick.id) == lipstick


async def test_optional_product_fields_may_be_cleared(store: Store, brand: Account) -> None:
    product = await factories.product(store, brand.id, image_url="https://img.test/a.png", description="Matte")

    updated = await store.update_product(product.id, {"image_url": None, "description": None})

    assert (updated.image_url, updated.description) == (None, None)


BAD_VALUES: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"price_cents": -1}, {"price_cents": "must not be negative"}),
    ({"stock": -1}, {"stock": "must not be negative"}),
    ({"commission_bps": -1}, {"commission_bps": "must be from 0 to 10000"}),
    ({"commission_bps": 10_001}, {"commission_bps": "must be from 0 to 10000"}),
    ({"price_cents": -5, "stock": -5}, {"price_cents": "must not be negative", "stock": "must not be negative"}),
]


@pytest.mark.parametrize(("values", "problems"), BAD_VALUES)
async def test_a_product_with_values_out_of_range_is_not_created(
    store: Store, brand: Account, values: dict[str, Any], problems: dict[str, str]
) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        await factories.product(store, brand.id, **values)

    same_error(caught.value, errors.invalid_product(problems))
    assert await store.list_products() == []


@pytest.mark.parametrize(("values", "problems"), BAD_VALUES)
async def test_a_product_is_not_updated_to_values_out_of_range(
    store: Store, lipstick: Product, values: dict[str, Any], problems: dict[str, str]
) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        await store.update_product(lipstick.id, {**values, "title": "Renamed"})

    same_error(caught.value, errors.invalid_product(problems))
    assert await store.get_product(lipstick.id) == lipstick


async def test_the_edges_of_the_ranges_are_allowed(store: Store, brand: Account) -> None:
    product = await factories.product(store, brand.id, price_cents=0, stock=0, commission_bps=10_000)

    updated = await store.update_product(product.id, {"commission_bps": 0})

    assert (updated.price_cents, updated.stock, updated.commission_bps) == (0, 0, 0)


# 3 — the lineup of an unknown show or with an unknown product -------------------------------------------


async def test_adding_to_the_lineup_of_an_unknown_show_raises_not_found(store: Store, lipstick: Product) -> None:
    with pytest.raises(errors.NotFound) as caught:
        await store.add_to_lineup("shw_0000000000000000", lipstick.id)

    same_error(caught.value, errors.no_such_show("shw_0000000000000000"))
    assert await store.shows_featuring(lipstick.id) == []


async def test_adding_an_unknown_product_to_a_lineup_raises_not_found(store: Store, show: Show) -> None:
    with pytest.raises(errors.NotFound) as caught:
        await store.add_to_lineup(show.id, "prd_0000000000000000")

    same_error(caught.value, errors.no_such_product("prd_0000000000000000"))
    assert await store.lineup(show.id) == []


# 4 — products and shows of unknown or deleted accounts ------------------------------------------------


async def test_a_product_of_an_unknown_brand_is_not_created(store: Store) -> None:
    with pytest.raises(errors.NotFound) as caught:
        await factories.product(store, "brd_0000000000000000")

    same_error(caught.value, errors.no_such_account("brd_0000000000000000"))
    assert await store.list_products() == []


async def test_a_deleted_brand_creates_no_product_and_a_deleted_host_no_show(store: Store) -> None:
    brand, host = await factories.brand(store), await factories.host(store)
    await store.delete_account(brand.id)
    await store.delete_account(host.id)

    with pytest.raises(errors.NotFound) as product_refused:
        await factories.product(store, brand.id)
    with pytest.raises(errors.NotFound) as show_refused:
        await factories.show(store, host.id)

    same_error(product_refused.value, errors.no_such_account(brand.id))
    same_error(show_refused.value, errors.no_such_account(host.id))
    assert (await store.list_products(), await store.list_shows()) == ([], [])


async def test_a_show_of_an_unknown_host_is_not_created(store: Store) -> None:
    with pytest.raises(errors.NotFound) as caught:
        await factories.show(store, "hst_0000000000000000")

    same_error(caught.value, errors.no_such_account("hst_0000000000000000"))
    assert await store.list_shows() == []


async def test_a_taken_sku_is_still_a_conflict_after_the_account_check(store: Store, lipstick: Product) -> None:
    with pytest.raises(errors.Conflict) as caught:
        await factories.product(store, lipstick.brand_id, sku=lipstick.sku)

    same_error(caught.value, errors.duplicate_sku(lipstick.sku))


# 5 — commerce calls naming a show or product that does not exist ---------------------------------------


async def test_pinning_in_an_unknown_show_raises_not_found_and_pins_nothing(store: Store, lipstick: Product) -> None:
    with pytest.raises(errors.NotFound) as caught:
        await store.pin_product("shw_0000000000000000", lipstick.id)

    same_error(caught.value, errors.no_such_show("shw_0000000000000000"))
    assert await store.pin_log("shw_0000000000000000") == []


async def test_pinning_an_unknown_product_raises_not_found(store: Store, show: Show) -> None:
    with pytest.raises(errors.NotFound) as caught:
        await store.pin_product(show.id, "prd_0000000000000000")

    same_error(caught.value, errors.no_such_product("prd_0000000000000000"))
    assert await store.pin_log(show.id) == []


async def test_adding_an_unknown_product_to_a_cart_raises_not_found_and_records_nothing(
    store: Store, show: Show
) -> None:
    viewer = await factories.viewer(store)

    with pytest.raises(errors.NotFound) as caught:
        await store.add_to_cart(show.id, viewer.id, "prd_0000000000000000", 1, LIMIT)

    same_error(caught.value, errors.no_such_product("prd_0000000000000000"))
    assert await store.cart(show.id, viewer.id) == []
    assert await store.cart_activity(show.id) == {}


async def test_an_order_in_an_unknown_show_is_refused_before_any_stock_is_taken(
    store: Store, show: Show, lipstick: Product
) -> None:
    gone = replace(show, id="shw_0000000000000000")
    order = factories.order(gone, await factories.viewer(store), (lipstick, 2))

    with pytest.raises(errors.NotFound) as caught:
        await store.place_order(order, LIMIT)

    same_error(caught.value, errors.no_such_show(gone.id))
    assert await store.get_order(order.id) is None
    assert await store.get_product(lipstick.id) == lipstick


# 6 — an order id that is taken ----------------------------------------------------------------------------


async def test_placing_an_order_whose_id_is_taken_is_a_conflict_and_takes_no_stock(
    store: Store, show: Show, lipstick: Product
) -> None:
    buyer = await factories.viewer(store)
    first = factories.order(show, buyer, (lipstick, 1))
    await store.place_order(first, LIMIT)
    again = replace(factories.order(show, buyer, (lipstick, 2)), id=first.id)

    with pytest.raises(errors.Conflict) as caught:
        await store.place_order(again, LIMIT)

    same_error(caught.value, errors.order_exists(first.id))
    assert await store.get_order(first.id) == first
    assert (await store.get_product(lipstick.id) or lipstick).stock == 4
    assert await store.units_bought(buyer.id, [lipstick.id]) == {lipstick.id: 1}


# 7 — lines only a bug can build --------------------------------------------------------------------------


async def test_an_order_naming_a_product_twice_or_zero_units_is_refused_whole(
    store: Store, show: Show, lipstick: Product
) -> None:
    buyer = await factories.viewer(store)
    twice = factories.order(show, buyer, (lipstick, 1), (lipstick, 1))
    none = factories.order(show, buyer, (lipstick, 0))

    with pytest.raises(ValueError, match="each product once"):
        await store.place_order(twice, LIMIT)
    with pytest.raises(ValueError, match="at least one unit"):
        await store.place_order(none, LIMIT)

    assert await store.show_orders(show.id) == []
    assert await store.get_product(lipstick.id) == lipstick


async def test_a_refund_naming_a_product_twice_or_zero_units_is_refused_whole(
    store: Store, show: Show, lipstick: Product
) -> None:
    order = factories.order(show, await factories.viewer(store), (lipstick, 3))
    await store.place_order(order, LIMIT)
    paid = await store.mark_order_paid(order.id, "pay_1", order.created_at, factories.sale_entries(order), None)
    twice = factories.refund(paid, "admin", (lipstick.id, 1, 0), (lipstick.id, 1, 0))
    none = factories.refund(paid, "admin", (lipstick.id, 0, 0))

    with pytest.raises(ValueError, match="each product once"):
        await store.record_refund(twice, factories.refund_entries(paid, twice))
    with pytest.raises(ValueError, match="at least one unit"):
        await store.record_refund(none, factories.refund_entries(paid, none))

    assert await store.get_order(order.id) == paid
    assert len(await store.ledger_entries(order_id=order.id)) == len(factories.sale_entries(order))


# the shared errors of the order flow, checked field for field on both stores ---------------------------


async def test_the_order_flow_raises_the_shared_errors_word_for_word(
    store: Store, show: Show, lipstick: Product
) -> None:
    buyer = await factories.viewer(store)
    order = factories.order(show, buyer, (lipstick, 6))
    with pytest.raises(errors.OutOfStock) as short:
        await store.place_order(order, LIMIT)
    with pytest.raises(errors.LimitExceeded) as over:
        await store.place_order(factories.order(show, buyer, (lipstick, 2)), 1)
    with pytest.raises(errors.NotFound) as unknown:
        await store.mark_order_paid("ord_0000000000000000", "pay", order.created_at, [], None)
    placed = factories.order(show, buyer, (lipstick, 1))
    await store.place_order(placed, LIMIT)
    await store.fail_order(placed.id, None)
    with pytest.raises(errors.Conflict) as settled:
        await store.fail_order(placed.id, None)
    with pytest.raises(errors.Conflict) as unpaid:
        await store.record_refund(factories.refund(placed, "admin", (lipstick.id, 1, 0)), [])

    same_error(short.value, errors.out_of_stock({lipstick.id: 5}))
    same_error(over.value, errors.buyer_limit_exceeded([lipstick.id], 1))
    same_error(unknown.value, errors.no_such_order("ord_0000000000000000"))
    same_error(settled.value, errors.order_not_pending(placed.id, OrderStatus.FAILED.value))
    same_error(unpaid.value, errors.order_not_refundable(OrderStatus.FAILED.value))


# 8 — scheduled shows given with different UTC offsets ---------------------------------------------------


async def test_scheduled_shows_are_listed_by_the_instant_they_start_whatever_their_offset(store: Store) -> None:
    host = await factories.host(store)
    base = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
    tokyo, new_york = timezone(timedelta(hours=9)), timezone(timedelta(hours=-5))
    # By wall-clock text the Tokyo show (21:30+09:00) reads later than the New York one (08:00-05:00);
    # as instants it starts first (12:30 UTC against 13:00 UTC).
    late = await store.create_show(host.id, "New York", (base + timedelta(hours=1)).astimezone(new_york))
    early = await store.create_show(host.id, "Tokyo", (base + timedelta(minutes=30)).astimezone(tokyo))
    earliest = await store.create_show(host.id, "London", base)

    assert [found.id for found in await store.list_shows()] == [earliest.id, early.id, late.id]
    assert (await store.get_show(early.id) or early).scheduled_at == base + timedelta(minutes=30)


async def test_refund_refusals_raise_the_shared_errors_word_for_word(
    store: Store, show: Show, lipstick: Product
) -> None:
    order = factories.order(show, await factories.viewer(store), (lipstick, 2))
    await store.place_order(order, LIMIT)
    paid = await store.mark_order_paid(order.id, "pay_1", order.created_at, factories.sale_entries(order), None)
    first = factories.refund(paid, "admin", (lipstick.id, 1, 0))
    await store.record_refund(first, factories.refund_entries(paid, first))
    too_many = factories.refund(paid, "admin", (lipstick.id, 2, 1))
    raced = factories.refund(paid, "admin", (lipstick.id, 1, 0))
    stranger = factories.refund(paid, "admin", (lipstick.id, 1, 1))
    stranger = replace(stranger, lines=(replace(stranger.lines[0], product_id="prd_0000000000000000"),))

    with pytest.raises(errors.RefundExceedsPurchase) as exceeds:
        await store.record_refund(too_many, [])
    with pytest.raises(errors.Conflict) as stale:
        await store.record_refund(raced, [])
    with pytest.raises(errors.RefundExceedsPurchase) as not_bought:
        await store.record_refund(stranger, [])

    same_error(exceeds.value, errors.refund_exceeds_purchase(lipstick.id, bought=2, refunded=1, requested=2))
    same_error(stale.value, errors.refund_raced())
    same_error(not_bought.value, errors.not_bought("prd_0000000000000000"))
