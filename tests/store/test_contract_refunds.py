"""Contract: refunds — bounded by what was bought, restocking, reversing ledger rows (both stores)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from livecart.domain.commerce import Order
from livecart.domain.errors import Conflict, NotFound, RefundExceedsPurchase
from livecart.domain.models import Account, Product, Show, utcnow
from livecart.store import Store
from tests.store import factories

LIMIT = 10


@dataclass
class PaidOrder:
    order: Order
    show: Show
    brand: Account
    lipstick: Product
    serum: Product


@pytest.fixture
async def paid(store: Store) -> PaidOrder:
    brand = await factories.brand(store)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    lipstick = await factories.product(store, brand.id, sku="LIP", stock=10, price_cents=1900, commission_bps=1000)
    serum = await factories.product(store, brand.id, sku="SER", stock=10, price_cents=2499, commission_bps=1250)
    buyer = await factories.viewer(store)
    order = factories.order(show, buyer, (lipstick, 3), (serum, 1))
    await store.place_order(order, LIMIT)
    settled = await store.mark_order_paid(order.id, "pay_1", utcnow(), factories.sale_entries(order), None)
    return PaidOrder(settled, show, brand, lipstick, serum)


async def stock(store: Store, product: Product) -> int:
    current = await store.get_product(product.id)
    assert current is not None
    return current.stock


async def test_a_partial_refund_restocks_and_appends_reversing_rows(store: Store, paid: PaidOrder) -> None:
    refund = factories.refund(paid.order, paid.brand.id, (paid.lipstick.id, 2, 0))
    entries = factories.refund_entries(paid.order, refund)

    order, levels = await store.record_refund(refund, entries)

    assert levels == {paid.lipstick.id: 9}
    assert await stock(store, paid.lipstick) == 9
    line = order.line(paid.lipstick.id)
    assert line is not None
    assert (line.qty, line.refunded_qty) == (3, 2)
    assert order.refunded_cents == 2 * 1900
    assert await store.get_order(paid.order.id) == order
    ledger = await store.ledger_entries(order_id=paid.order.id)
    assert ledger[-len(entries) :] == entries
    assert sum(entry.amount_cents for entry in ledger) == 0
    assert await store.units_bought(paid.order.buyer_id, [paid.lipstick.id]) == {paid.lipstick.id: 3}


async def test_refunding_everything_in_steps_is_allowed_and_one_more_unit_is_not(store: Store, paid: PaidOrder) -> None:
    await store.record_refund(factories.refund(paid.order, paid.brand.id, (paid.lipstick.id, 1, 0)), [])
    await store.record_refund(
        factories.refund(paid.order, paid.brand.id, (paid.lipstick.id, 2, 1), (paid.serum.id, 1, 0)), []
    )
    before = await store.get_order(paid.order.id)

    with pytest.raises(RefundExceedsPurchase) as raised:
        await store.record_refund(factories.refund(paid.order, paid.brand.id, (paid.lipstick.id, 1, 3)), [])

    assert raised.value.details == {
        "product_id": paid.lipstick.id,
        "bought": 3,
        "refunded": 3,
        "requested": 1,
    }
    assert await store.get_order(paid.order.id) == before
    assert (await stock(store, paid.lipstick), await stock(store, paid.serum)) == (10, 10)


async def test_a_refund_over_one_line_changes_no_line(store: Store, paid: PaidOrder) -> None:
    refund = factories.refund(paid.order, paid.brand.id, (paid.lipstick.id, 1, 0), (paid.serum.id, 2, 0))

    with pytest.raises(RefundExceedsPurchase):
        await store.record_refund(refund, factories.refund_entries(paid.order, refund))

    assert await store.get_order(paid.order.id) == paid.order
    assert (await stock(store, paid.lipstick), await stock(store, paid.serum)) == (7, 9)
    assert len(await store.ledger_entries(order_id=paid.order.id)) == 6


async def test_refunding_a_product_not_in_the_order_exceeds_the_purchase(store: Store, paid: PaidOrder) -> None:
    stranger = await factories.product(store, paid.brand.id, sku="NOT-BOUGHT")

    with pytest.raises(RefundExceedsPurchase) as raised:
        await store.record_refund(factories.refund(paid.order, paid.brand.id, (stranger.id, 1, 0)), [])
    assert raised.value.details == {"product_id": stranger.id}
    assert await stock(store, stranger) == 10


async def test_a_refund_planned_from_a_stale_read_asks_for_a_retry(store: Store, paid: PaidOrder) -> None:
    await store.record_refund(factories.refund(paid.order, paid.brand.id, (paid.lipstick.id, 1, 0)), [])

    with pytest.raises(Conflict) as raised:
        await store.record_refund(factories.refund(paid.order, paid.brand.id, (paid.lipstick.id, 1, 0)), [])

    assert not isinstance(raised.value, RefundExceedsPurchase)
    assert raised.value.details.get("retry") is True
    line = (await store.get_order(paid.order.id) or paid.order).line(paid.lipstick.id)
    assert line is not None
    assert line.refunded_qty == 1


async def test_a_stale_plan_is_reported_as_stale_before_it_is_checked_against_the_purchase(
    store: Store, paid: PaidOrder
) -> None:
    await store.record_refund(factories.refund(paid.order, paid.brand.id, (paid.lipstick.id, 2, 0)), [])

    with pytest.raises(Conflict) as raised:  # 0 refunded when planned, 2 now; 2 more would exceed 3
        await store.record_refund(factories.refund(paid.order, paid.brand.id, (paid.lipstick.id, 2, 0)), [])

    assert not isinstance(raised.value, RefundExceedsPurchase)
    assert raised.value.details == {"retry": True}


async def test_concurrent_refunds_never_give_back_more_than_was_bought(store: Store, paid: PaidOrder) -> None:
    async def refund_one_unit() -> bool:
        while True:
            order = await store.get_order(paid.order.id)
            assert order is not None
            line = order.line(paid.lipstick.id)
            assert line is not None
            refund = factories.refund(order, paid.brand.id, (paid.lipstick.id, 1, line.refunded_qty))
            try:
                await store.record_refund(refund, factories.refund_entries(order, refund))
            except RefundExceedsPurchase:
                return False
            except Conflict as conflict:
                if conflict.details.get("retry") is not True:
                    raise
                continue
            return True

    results = await asyncio.gather(*(refund_one_unit() for _ in range(8)))

    assert sum(results) == 3
    assert await stock(store, paid.lipstick) == 10
    assert sum(entry.amount_cents for entry in await store.ledger_entries(order_id=paid.order.id)) == 0


async def test_only_a_paid_order_can_be_refunded(store: Store, paid: PaidOrder) -> None:
    pending = factories.order(paid.show, await factories.viewer(store, "Kim"), (paid.lipstick, 1))
    await store.place_order(pending, LIMIT)

    with pytest.raises(Conflict):
        await store.record_refund(factories.refund(pending, paid.brand.id, (paid.lipstick.id, 1, 0)), [])
    await store.fail_order(pending.id, None)
    with pytest.raises(Conflict):
        await store.record_refund(factories.refund(pending, paid.brand.id, (paid.lipstick.id, 1, 0)), [])
    assert await stock(store, paid.lipstick) == 7


async def test_refunding_an_unknown_order_raises_not_found(store: Store, paid: PaidOrder) -> None:
    ghost = factories.order(paid.show, await factories.viewer(store, "Kim"), (paid.lipstick, 1))

    with pytest.raises(NotFound):
        await store.record_refund(factories.refund(ghost, paid.brand.id, (paid.lipstick.id, 1, 0)), [])
