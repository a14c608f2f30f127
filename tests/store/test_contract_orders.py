"""Contract: placing, paying and failing orders — stock all-or-nothing, never negative (both stores)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from livecart.domain.commerce import LedgerAccount, OrderStatus, StoredResponse
from livecart.domain.errors import (
    CartEmpty,
    Conflict,
    IdempotencyInProgress,
    LimitExceeded,
    NotFound,
    OutOfStock,
    PriceChanged,
)
from livecart.domain.models import Account, Product, Show, utcnow
from livecart.store import Store
from tests.store import factories
from tests.store.conftest import OpenStore

LIMIT = 10


@dataclass
class Sale:
    show: Show
    buyer: Account
    lipstick: Product
    serum: Product


@pytest.fixture
async def sale(store: Store) -> Sale:
    brand = await factories.brand(store)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    lipstick = await factories.product(store, brand.id, sku="LIP", stock=5, price_cents=1900, commission_bps=1000)
    serum = await factories.product(store, brand.id, sku="SER", stock=3, price_cents=2499, commission_bps=1250)
    return Sale(show, await factories.viewer(store), lipstick, serum)


async def stock(store: Store, product: Product) -> int:
    current = await store.get_product(product.id)
    assert current is not None
    return current.stock


async def test_placing_an_order_takes_the_stock_of_every_line_and_stores_it_pending(store: Store, sale: Sale) -> None:
    order = factories.order(sale.show, sale.buyer, (sale.lipstick, 2), (sale.serum, 3))

    levels = await store.place_order(order, LIMIT)

    assert levels == {sale.lipstick.id: 3, sale.serum.id: 0}
    assert (await stock(store, sale.lipstick), await stock(store, sale.serum)) == (3, 0)
    assert await store.get_order(order.id) == order
    assert await store.show_orders(sale.show.id) == [order]
    assert await store.units_bought(sale.buyer.id, [sale.lipstick.id, sale.serum.id]) == {
        sale.lipstick.id: 2, sale.serum.id: 3}  # fmt: skip


async def test_an_order_reads_back_field_for_field(store: Store, sale: Sale) -> None:
    order = replace(
        factories.order(sale.show, sale.buyer, (sale.serum, 1), (sale.lipstick, 1), key="k-1"),
        shipping={"name": "Zoë O’Brien", "line1": "1 rue de l’Église", "postcode": "75001"},
    )

    await store.place_order(order, LIMIT)

    stored = await store.get_order(order.id)
    assert stored == order
    assert stored is not None
    assert [line.product_id for line in stored.lines] == [sale.serum.id, sale.lipstick.id]
    assert stored.total_cents == 2499 + 1900
    assert stored.commission_cents == 312 + 190


async def test_an_unknown_order_is_none(store: Store) -> None:
    assert await store.get_order("ord_0000000000000000") is None


async def test_a_short_line_fails_the_whole_order_and_names_every_short_line(store: Store, sale: Sale) -> None:
    order = factories.order(sale.show, sale.buyer, (sale.lipstick, 5), (sale.serum, 4))

    with pytest.raises(OutOfStock) as raised:
        await store.place_order(order, LIMIT)

    assert raised.value.details["product_ids"] == [sale.serum.id]
    assert raised.value.details["available"] == {sale.serum.id: 3}
    assert (await stock(store, sale.lipstick), await stock(store, sale.serum)) == (5, 3)
    assert await store.get_order(order.id) is None
    assert await store.show_orders(sale.show.id) == []
    assert await store.units_bought(sale.buyer.id, [sale.lipstick.id]) == {sale.lipstick.id: 0}

    both_short = factories.order(sale.show, sale.buyer, (sale.lipstick, 6), (sale.serum, 4))
    with pytest.raises(OutOfStock) as raised:
        await store.place_order(both_short, LIMIT)
    assert sorted(raised.value.details["product_ids"]) == sorted([sale.lipstick.id, sale.serum.id])


async def test_an_unknown_product_fails_the_order_before_anything_else(store: Store, sale: Sale) -> None:
    ghost = replace(sale.lipstick, id="prd_0000000000000000")
    order = factories.order(sale.show, sale.buyer, (sale.lipstick, 99), (ghost, 1))

    with pytest.raises(NotFound) as raised:
        await store.place_order(order, LIMIT)

    assert raised.value.details["product_id"] == ghost.id
    assert await stock(store, sale.lipstick) == 5


async def test_a_changed_price_or_rate_fails_the_order_before_the_limit_and_stock(store: Store, sale: Sale) -> None:
    order = factories.order(sale.show, sale.buyer, (sale.lipstick, 99), (sale.serum, 1))
    await store.update_product(sale.serum.id, {"commission_bps": 1500})

    with pytest.raises(PriceChanged) as raised:
        await store.place_order(order, LIMIT)
    assert raised.value.details["product_ids"] == [sale.serum.id]

    await store.update_product(sale.serum.id, {"commission_bps": sale.serum.commission_bps, "price_cents": 1})
    with pytest.raises(PriceChanged):
        await store.place_order(order, LIMIT)
    assert (await stock(store, sale.lipstick), await stock(store, sale.serum)) == (5, 3)


async def test_the_per_buyer_limit_counts_units_already_bought_and_is_checked_before_stock(
    store: Store, sale: Sale
) -> None:
    await store.place_order(factories.order(sale.show, sale.buyer, (sale.lipstick, 2)), 3)
    await store.update_product(sale.serum.id, {"stock": 1})

    over = factories.order(sale.show, sale.buyer, (sale.lipstick, 2), (sale.serum, 2))  # serum: short, in limit
    with pytest.raises(LimitExceeded) as raised:
        await store.place_order(over, 3)

    assert raised.value.details["product_ids"] == [sale.lipstick.id]
    assert raised.value.details["limit"] == 3
    assert await stock(store, sale.lipstick) == 3
    await store.place_order(factories.order(sale.show, sale.buyer, (sale.lipstick, 1)), 3)  # exactly the limit
    other_buyer = await factories.viewer(store, "Kim")
    await store.place_order(factories.order(sale.show, other_buyer, (sale.lipstick, 2)), 3)
    assert await stock(store, sale.lipstick) == 0


async def test_concurrent_orders_sell_exactly_the_stock_and_never_below_zero(store: Store, sale: Sale) -> None:
    buyers = [await factories.viewer(store, f"Buyer {i}") for i in range(40)]
    orders = [factories.order(sale.show, buyer, (sale.lipstick, 1)) for buyer in buyers]

    results = await asyncio.gather(*(store.place_order(order, LIMIT) for order in orders), return_exceptions=True)

    placed = [result for result in results if isinstance(result, dict)]
    assert len(placed) == 5
    assert all(isinstance(result, OutOfStock) for result in results if not isinstance(result, dict))
    assert sorted(level[sale.lipstick.id] for level in placed) == [0, 1, 2, 3, 4]
    assert await stock(store, sale.lipstick) == 0
    assert len(await store.show_orders(sale.show.id)) == 5


async def test_concurrent_mixed_orders_take_both_products_or_neither(store: Store, sale: Sale) -> None:
    await store.update_product(sale.lipstick.id, {"stock": 20})
    lipstick = replace(sale.lipstick, stock=20)
    buyers = [await factories.viewer(store, f"Buyer {i}") for i in range(30)]
    mixed = [factories.order(sale.show, buyer, (lipstick, 1), (sale.serum, 1)) for buyer in buyers[:15]]
    single = [factories.order(sale.show, buyer, (lipstick, 1)) for buyer in buyers[15:]]

    results = await asyncio.gather(
        *(store.place_order(order, LIMIT) for order in [*mixed, *single]), return_exceptions=True
    )

    mixed_placed = sum(isinstance(result, dict) for result in results[:15])
    single_placed = sum(isinstance(result, dict) for result in results[15:])
    assert mixed_placed == 3  # serum runs out first
    assert single_placed == 15
    assert (await stock(store, sale.lipstick), await stock(store, sale.serum)) == (20 - 3 - 15, 0)
    placed = await store.show_orders(sale.show.id)
    assert sum(line.qty for order in placed for line in order.lines if line.product_id == sale.serum.id) == 3


async def test_paying_an_order_appends_its_ledger_rows_and_empties_those_cart_lines(store: Store, sale: Sale) -> None:
    other = await factories.product(store, sale.lipstick.brand_id, sku="OTHER")
    for product in (sale.lipstick, other):
        await store.add_to_cart(sale.show.id, sale.buyer.id, product.id, 1, LIMIT)
    order = factories.order(sale.show, sale.buyer, (sale.lipstick, 1))
    await store.place_order(order, LIMIT)
    entries = factories.sale_entries(order)
    paid_at = utcnow()

    paid = await store.mark_order_paid(order.id, "pay_123", paid_at, entries, None)

    assert paid == replace(order, status=OrderStatus.PAID, paid_at=paid_at, payment_ref="pay_123")
    assert await store.get_order(order.id) == paid
    assert await store.ledger_entries(order_id=order.id) == entries
    assert sum(entry.amount_cents for entry in entries) == 0
    assert [item.product_id for item in await store.cart(sale.show.id, sale.buyer.id)] == [other.id]
    assert await store.units_bought(sale.buyer.id, [sale.lipstick.id]) == {sale.lipstick.id: 1}


async def test_paying_saves_the_response_for_the_orders_idempotency_key(store: Store, sale: Sale) -> None:
    response = StoredResponse(201, '{"id": "paid"}')
    await store.claim_idempotency_key(sale.buyer.id, "k-1", "hash-a")
    order = factories.order(sale.show, sale.buyer, (sale.lipstick, 1), key="k-1")
    await store.place_order(order, LIMIT)

    await store.mark_order_paid(order.id, "pay_1", utcnow(), factories.sale_entries(order), response)

    assert await store.claim_idempotency_key(sale.buyer.id, "k-1", "hash-a") == response


async def test_an_order_is_paid_or_failed_once(store: Store, sale: Sale) -> None:
    paid = factories.order(sale.show, sale.buyer, (sale.lipstick, 1))
    failed = factories.order(sale.show, sale.buyer, (sale.serum, 1))
    await store.place_order(paid, LIMIT)
    await store.place_order(failed, LIMIT)
    entries = factories.sale_entries(paid)
    await store.mark_order_paid(paid.id, "pay_1", utcnow(), entries, None)
    await store.fail_order(failed.id, None)

    for order_id in (paid.id, failed.id):
        with pytest.raises(Conflict):
            await store.mark_order_paid(order_id, "pay_2", utcnow(), factories.sale_entries(paid), None)
        with pytest.raises(Conflict):
            await store.fail_order(order_id, None)

    assert await store.ledger_entries(order_id=paid.id) == entries
    assert await store.ledger_entries(order_id=failed.id) == []
    assert (await stock(store, sale.lipstick), await stock(store, sale.serum)) == (4, 3)


async def test_concurrent_pay_and_fail_settle_an_order_exactly_once(store: Store, sale: Sale) -> None:
    order = factories.order(sale.show, sale.buyer, (sale.lipstick, 2))
    await store.place_order(order, LIMIT)

    results = await asyncio.gather(
        store.mark_order_paid(order.id, "pay_1", utcnow(), factories.sale_entries(order), None),
        store.fail_order(order.id, None),
        return_exceptions=True,
    )

    assert sum(isinstance(result, Conflict) for result in results) == 1
    settled = await store.get_order(order.id)
    assert settled is not None
    if settled.status is OrderStatus.PAID:
        assert (await stock(store, sale.lipstick), len(await store.ledger_entries(order_id=order.id))) == (
            3,
            3,
        )
    else:
        assert (await stock(store, sale.lipstick), await store.ledger_entries(order_id=order.id)) == (5, [])


async def test_an_order_failed_by_another_node_is_not_paid_by_the_node_that_placed_it(
    store: Store, sale: Sale, open_stores: OpenStore
) -> None:
    """The placing node keeps the order in memory to pay it without reading it back; the status is
    still checked in the store."""
    order = factories.order(sale.show, sale.buyer, (sale.lipstick, 2))
    await store.place_order(order, LIMIT)
    other = await open_stores()
    await other.fail_order(order.id, None)

    with pytest.raises(Conflict):
        await store.mark_order_paid(order.id, "pay_1", utcnow(), factories.sale_entries(order), None)

    settled = await store.get_order(order.id)
    assert settled is not None
    assert settled.status is OrderStatus.FAILED
    assert (await stock(store, sale.lipstick), await store.ledger_entries(order_id=order.id)) == (5, [])


async def test_settling_an_unknown_order_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.mark_order_paid("ord_0000000000000000", "pay_1", utcnow(), [], None)
    with pytest.raises(NotFound):
        await store.fail_order("ord_0000000000000000", None)


async def test_failing_gives_the_stock_and_the_units_back_and_releases_the_key(store: Store, sale: Sale) -> None:
    await store.claim_idempotency_key(sale.buyer.id, "k-1", "hash-a")
    order = factories.order(sale.show, sale.buyer, (sale.lipstick, 2), (sale.serum, 1), key="k-1")
    await store.place_order(order, LIMIT)

    levels = await store.fail_order(order.id, None)

    assert levels == {sale.lipstick.id: 5, sale.serum.id: 3}
    assert (await stock(store, sale.lipstick), await stock(store, sale.serum)) == (5, 3)
    failed = await store.get_order(order.id)
    assert failed == replace(order, status=OrderStatus.FAILED)
    assert await store.units_bought(sale.buyer.id, [sale.lipstick.id]) == {sale.lipstick.id: 0}
    assert await store.claim_idempotency_key(sale.buyer.id, "k-1", "hash-b") is None


async def test_failing_with_a_response_saves_it_for_replays(store: Store, sale: Sale) -> None:
    declined = StoredResponse(402, '{"error": {"code": "payment_declined"}}')
    await store.claim_idempotency_key(sale.buyer.id, "k-1", "hash-a")
    order = factories.order(sale.show, sale.buyer, (sale.lipstick, 1), key="k-1")
    await store.place_order(order, LIMIT)

    await store.fail_order(order.id, declined)

    assert await store.claim_idempotency_key(sale.buyer.id, "k-1", "hash-a") == declined
    assert await stock(store, sale.lipstick) == 5


async def test_pending_orders_lists_only_pending_orders_older_than_the_cutoff(store: Store, sale: Sale) -> None:
    paid, old, failed = (factories.order(sale.show, sale.buyer, (sale.lipstick, 1)) for _ in range(3))
    for order in (paid, old, failed):
        await store.place_order(order, LIMIT)
    await store.mark_order_paid(paid.id, "pay_1", utcnow(), factories.sale_entries(paid), None)
    await store.fail_order(failed.id, None)
    cutoff = utcnow() + timedelta(milliseconds=1)
    await asyncio.sleep(0.01)
    recent = factories.order(sale.show, sale.buyer, (sale.lipstick, 1))
    await store.place_order(recent, LIMIT)

    assert await store.pending_orders(cutoff) == [old]
    assert [order.id for order in await store.show_orders(sale.show.id)] == [
        paid.id,
        old.id,
        failed.id,
        recent.id,
    ]


async def test_placing_attaches_the_order_to_its_claim(store: Store, sale: Sale) -> None:
    await store.claim_idempotency_key(sale.buyer.id, "k-1", "hash-a")
    await store.place_order(factories.order(sale.show, sale.buyer, (sale.lipstick, 1), key="k-1"), LIMIT)

    assert await store.release_stale_idempotency_keys(utcnow() + timedelta(seconds=1)) == 0
    with pytest.raises(IdempotencyInProgress):
        await store.claim_idempotency_key(sale.buyer.id, "k-1", "hash-a")


async def test_the_ledger_filters_by_order_party_and_show_in_append_order(store: Store, sale: Sale) -> None:
    other_show = await factories.show(store, sale.show.host_id, "Other")
    first = factories.order(sale.show, sale.buyer, (sale.lipstick, 1), (sale.serum, 1))
    second = factories.order(other_show, sale.buyer, (sale.lipstick, 2))
    appended = []
    for order in (first, second):
        await store.place_order(order, LIMIT)
        entries = factories.sale_entries(order)
        await store.mark_order_paid(order.id, "pay", utcnow(), entries, None)
        appended += entries

    assert await store.ledger_entries() == appended
    assert await store.ledger_entries(show_id=other_show.id) == [e for e in appended if e.order_id == second.id]
    host_rows = await store.ledger_entries(party_id=sale.show.host_id)
    assert host_rows == [e for e in appended if e.account is LedgerAccount.HOST_COMMISSION]
    assert sum(e.amount_cents for e in host_rows) == -(190 + 312 + 380)
    brand_rows = [e for e in appended if e.account is LedgerAccount.BRAND_RECEIVABLE and e.order_id == first.id]
    assert await store.ledger_entries(party_id=sale.lipstick.brand_id, show_id=sale.show.id) == brand_rows
    assert await store.ledger_entries(order_id=first.id, show_id=other_show.id) == []
    assert await store.ledger_entries(party_id="hst_0000000000000000") == []


async def test_orders_and_the_ledger_survive_reopening_the_store(
    store: Store, sale: Sale, open_stores: OpenStore
) -> None:
    paid = factories.order(sale.show, sale.buyer, (sale.lipstick, 1))
    pending = factories.order(sale.show, sale.buyer, (sale.serum, 1))
    await store.place_order(paid, LIMIT)
    await store.place_order(pending, LIMIT)
    settled = await store.mark_order_paid(paid.id, "pay_1", utcnow(), factories.sale_entries(paid), None)
    ledger = await store.ledger_entries()
    await store.close()

    reopened = await open_stores()

    assert await reopened.show_orders(sale.show.id) == [settled, pending]
    assert await reopened.pending_orders(utcnow()) == [pending]
    assert await reopened.ledger_entries() == ledger
    assert (await stock(reopened, sale.lipstick), await stock(reopened, sale.serum)) == (4, 2)


async def test_an_order_placed_on_one_node_is_settled_once_across_nodes(
    store: Store, sale: Sale, open_stores: OpenStore
) -> None:
    other_node = await open_stores()
    order = factories.order(sale.show, sale.buyer, (sale.lipstick, 2))
    await store.place_order(order, LIMIT)

    assert await other_node.fail_order(order.id, None) == {sale.lipstick.id: 5}
    with pytest.raises(Conflict):
        await store.mark_order_paid(order.id, "pay_1", utcnow(), factories.sale_entries(order), None)

    assert await store.get_order(order.id) == replace(order, status=OrderStatus.FAILED)
    assert await other_node.ledger_entries(order_id=order.id) == []
    assert await stock(store, sale.lipstick) == 5


async def test_an_order_placed_on_one_node_can_be_paid_on_another(
    store: Store, sale: Sale, open_stores: OpenStore
) -> None:
    other_node = await open_stores()
    order = factories.order(sale.show, sale.buyer, (sale.lipstick, 1), key="k-1")
    await store.claim_idempotency_key(sale.buyer.id, "k-1", "hash-a")
    await store.place_order(order, LIMIT)
    paid_at = utcnow()

    paid = await other_node.mark_order_paid(
        order.id, "pay_1", paid_at, factories.sale_entries(order), StoredResponse(201, "{}")
    )

    assert paid == replace(order, status=OrderStatus.PAID, paid_at=paid_at, payment_ref="pay_1")
    assert await store.get_order(order.id) == paid
    with pytest.raises(Conflict):
        await store.fail_order(order.id, None)
    assert await store.claim_idempotency_key(sale.buyer.id, "k-1", "hash-a") == StoredResponse(201, "{}")


async def test_an_orders_client_address_is_kept_and_read_back(store: Store, sale: Sale) -> None:
    from_v4 = replace(factories.order(sale.show, sale.buyer, (sale.lipstick, 1)), client_ip="203.0.113.7")
    from_v6 = replace(factories.order(sale.show, sale.buyer, (sale.serum, 1)), client_ip="2001:db8::1")
    unknown = factories.order(sale.show, sale.buyer, (sale.lipstick, 1))
    for order in (from_v4, from_v6, unknown):
        await store.place_order(order, LIMIT)
    await store.mark_order_paid(from_v4.id, "ch_1", utcnow(), [], None)

    assert [order.client_ip for order in await store.show_orders(sale.show.id)] == ["203.0.113.7", "2001:db8::1", None]
    paid = await store.get_order(from_v4.id)
    assert paid is not None
    assert paid.client_ip == "203.0.113.7"
    assert {order.client_ip for order in await store.pending_orders(utcnow() + timedelta(seconds=1))} == {
        "2001:db8::1",
        None,
    }


async def test_client_addresses_older_than_the_retention_are_erased_once(store: Store, sale: Sale) -> None:
    old = replace(factories.order(sale.show, sale.buyer, (sale.lipstick, 1)), client_ip="203.0.113.7")
    await store.place_order(old, LIMIT)
    await store.mark_order_paid(old.id, "ch_1", utcnow(), factories.sale_entries(old), None)
    cutoff = utcnow() + timedelta(milliseconds=1)
    await asyncio.sleep(0.01)
    recent = replace(factories.order(sale.show, sale.buyer, (sale.serum, 1)), client_ip="2001:db8::1")
    await store.place_order(recent, LIMIT)

    assert await store.forget_client_addresses(cutoff) == 1

    erased = await store.get_order(old.id)
    assert erased is not None
    assert erased.client_ip is None
    assert erased.status is OrderStatus.PAID, "only the address goes"
    assert (await store.get_order(recent.id)) == recent
    assert await store.forget_client_addresses(cutoff) == 0
    assert await store.forget_client_addresses(utcnow() + timedelta(seconds=1)) == 1


async def test_an_order_from_the_cart_needs_the_cart_and_holds_it_while_pending(store: Store, sale: Sale) -> None:
    empty_cart = factories.order(sale.show, sale.buyer, (sale.lipstick, 1))
    with pytest.raises(CartEmpty):
        await store.place_order(empty_cart, LIMIT, from_cart=True)

    await store.add_to_cart(sale.show.id, sale.buyer.id, sale.lipstick.id, 1, LIMIT)
    first = factories.order(sale.show, sale.buyer, (sale.lipstick, 1))
    second = factories.order(sale.show, sale.buyer, (sale.lipstick, 1))
    await store.place_order(first, LIMIT, from_cart=True)
    with pytest.raises(CartEmpty):
        await store.place_order(second, LIMIT, from_cart=True)  # the first one holds the cart

    await store.fail_order(first.id, None)  # a failed checkout gives the cart back
    await store.place_order(second, LIMIT, from_cart=True)
    await store.mark_order_paid(second.id, "ch_1", utcnow(), [], None)
    third = factories.order(sale.show, sale.buyer, (sale.lipstick, 1))
    with pytest.raises(CartEmpty):
        await store.place_order(third, LIMIT, from_cart=True)  # paid: its lines left the cart
    assert await stock(store, sale.lipstick) == 4
