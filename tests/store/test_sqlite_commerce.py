"""SQLite specifics of the commerce store: an append-only ledger and recovery after a crash."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from livecart.bus import EventBus
from livecart.checkout import Checkout
from livecart.domain.cart import CartRules, price_order
from livecart.domain.commerce import CartItem, Order, OrderStatus
from livecart.domain.events import Event, Sold
from livecart.domain.ledger import sale_entries
from livecart.domain.models import ProductDraft, Role, utcnow
from livecart.payments import TEST_CARD_OK, TestPaymentProvider
from livecart.store.sqlite import SqliteStore

RULES = CartRules(max_qty_per_buyer=5)


async def pending_order(store: SqliteStore, key: str) -> Order:
    """A checkout interrupted after place_order: stock taken, key claimed, nothing paid yet."""
    brand, _ = await store.create_account(Role.BRAND, "Brand")
    host, _ = await store.create_account(Role.HOST, "Host")
    buyer, _ = await store.create_account(Role.VIEWER, "Sam Lee")
    product = await store.create_product(brand.id, ProductDraft("SKU", "Thing", 1500, "EUR", 3, 1000))
    show = await store.create_show(host.id, "Show", None)
    await store.add_to_lineup(show.id, product.id)
    await store.pin_product(show.id, product.id)
    assert await store.claim_idempotency_key(buyer.id, key, "hash") is None
    order = price_order(
        order_id="ord_crash",
        show=show,
        buyer=buyer,
        cart=[CartItem(product.id, 2, utcnow())],
        products={product.id: product},
        pinned={product.id},
        bought={},
        rules=RULES,
        shipping={},
        idempotency_key=key,
        now=utcnow(),
    )
    assert await store.place_order(order, RULES.max_qty_per_buyer) == {product.id: 1}
    return order


async def test_the_ledger_refuses_updates_and_deletes(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "db.sqlite"))
    order = await pending_order(store, "k1")
    await store.mark_order_paid(order.id, "ch_1", utcnow(), sale_entries(order, utcnow()), None)
    await store.close()
    conn = sqlite3.connect(tmp_path / "db.sqlite")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE ledger SET amount_cents = 0")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM ledger")
    conn.close()


async def test_a_charged_order_interrupted_before_commit_is_paid_on_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    provider = TestPaymentProvider()  # the provider outlives our process, as a real one does
    store = await SqliteStore.open(path)
    order = await pending_order(store, "k1")
    await provider.charge(
        reference=order.id, amount_cents=order.total_cents, currency="EUR", card_number=TEST_CARD_OK
    )
    await store.close()  # crash: the charge happened, mark_order_paid never ran

    store = await SqliteStore.open(path)
    events: list[Event] = []
    bus = EventBus()
    bus.subscribe(events.append)
    assert await Checkout(store, provider, bus, RULES).recover(utcnow()) == (1, 0)

    paid = await store.get_order(order.id)
    assert paid is not None
    assert paid.status is OrderStatus.PAID
    entries = await store.ledger_entries(order_id=order.id)
    assert sum(entry.amount_cents for entry in entries) == 0
    assert len(entries) == 3
    replay = await store.claim_idempotency_key(order.buyer_id, "k1", "hash")
    assert replay is not None
    assert replay.status == 201
    assert json.loads(replay.body)["id"] == order.id
    assert [type(event) for event in events] == [Sold]
    await store.close()


async def test_an_uncharged_interrupted_order_gives_its_stock_back(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    store = await SqliteStore.open(path)
    order = await pending_order(store, "k1")
    buyer, _ = await store.create_account(Role.VIEWER, "Lea")
    assert await store.claim_idempotency_key(buyer.id, "orphan", "hash") is None  # crashed before place_order
    await store.close()

    store = await SqliteStore.open(path)
    assert await Checkout(store, TestPaymentProvider(), EventBus(), RULES).recover(utcnow()) == (0, 1)
    failed = await store.get_order(order.id)
    assert failed is not None
    assert failed.status is OrderStatus.FAILED
    product = await store.get_product(order.lines[0].product_id)
    assert product is not None
    assert product.stock == 3
    assert await store.ledger_entries(order_id=order.id) == []
    # Both keys are free again: the buyer's retry runs the checkout anew.
    assert await store.claim_idempotency_key(order.buyer_id, "k1", "hash") is None
    assert await store.claim_idempotency_key(buyer.id, "orphan", "hash") is None
    assert await store.units_bought(order.buyer_id, [product.id]) == {product.id: 0}
    await store.close()
