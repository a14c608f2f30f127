"""SQLite specifics of the commerce store: the ledger is append-only in the schema itself.

Recovery after a crash is in the contract suite (tests/store/test_contract_recovery.py), on both stores."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from livecart.domain.cart import CartRules, price_order
from livecart.domain.commerce import CartItem, Order
from livecart.domain.ledger import sale_entries
from livecart.domain.models import ProductDraft, Role, utcnow
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
