"""Orders (stock taken with conditional updates), refunds and the append-only ledger."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from livecart.domain import campaigns as campaign_rules
from livecart.domain import errors, store_checks, webhooks
from livecart.domain.commerce import (
    LedgerAccount,
    LedgerEntry,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    Refund,
    StoredResponse,
)
from livecart.domain.models import Product
from livecart.store.base import OrderCursor, StockLevels
from livecart.store.pending import PendingOrders
from livecart.store.sqlite import rows
from livecart.store.sqlite.campaigns import campaign_in
from livecart.store.sqlite.catalog import fetch_product
from livecart.store.sqlite.commerce import release_key, save_response, units_bought_in
from livecart.store.sqlite.db import Database, Migration
from livecart.store.sqlite.webhooks import write_event

MIGRATIONS: list[Migration] = [
    Migration(
        6,
        "commerce_0002_orders_ledger",
        """
        CREATE TABLE orders (
            id TEXT PRIMARY KEY,
            show_id TEXT NOT NULL REFERENCES shows(id),
            host_id TEXT NOT NULL,
            buyer_id TEXT NOT NULL,
            buyer_name TEXT NOT NULL,
            currency TEXT NOT NULL,
            shipping TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
            idempotency_key TEXT,
            payment_ref TEXT,
            created_at TEXT NOT NULL,
            paid_at TEXT
        );
        CREATE INDEX orders_show ON orders (show_id, created_at);
        CREATE INDEX orders_pending ON orders (status, created_at);
        CREATE TABLE order_lines (
            order_id TEXT NOT NULL REFERENCES orders(id),
            position INTEGER NOT NULL,
            product_id TEXT NOT NULL REFERENCES products(id),
            brand_id TEXT NOT NULL,
            title TEXT NOT NULL,
            unit_price_cents INTEGER NOT NULL,
            qty INTEGER NOT NULL CHECK (qty > 0),
            commission_bps INTEGER NOT NULL,
            platform_fee_bps INTEGER NOT NULL,
            line_total_cents INTEGER NOT NULL,
            commission_cents INTEGER NOT NULL,
            platform_fee_cents INTEGER NOT NULL,
            refunded_qty INTEGER NOT NULL DEFAULT 0 CHECK (refunded_qty BETWEEN 0 AND qty),
            PRIMARY KEY (order_id, product_id)
        );
        CREATE TABLE buyer_units (
            buyer_id TEXT NOT NULL,
            product_id TEXT NOT NULL,
            units INTEGER NOT NULL CHECK (units >= 0),
            PRIMARY KEY (buyer_id, product_id)
        );
        CREATE TABLE refunds (
            id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL REFERENCES orders(id),
            show_id TEXT NOT NULL,
            by_account TEXT NOT NULL,
            lines TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE ledger (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            order_id TEXT NOT NULL REFERENCES orders(id),
            refund_id TEXT,
            show_id TEXT NOT NULL,
            product_id TEXT NOT NULL,
            account TEXT NOT NULL,
            party_id TEXT,
            amount_cents INTEGER NOT NULL,
            currency TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX ledger_order ON ledger (order_id);
        CREATE INDEX ledger_party ON ledger (party_id);
        CREATE INDEX ledger_show ON ledger (show_id);
        CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
            BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
        CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
            BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END
        """,
    ),
    Migration(
        7,
        "commerce_0003_order_client_ip",
        """
        ALTER TABLE orders ADD COLUMN client_ip TEXT
        """,
    ),
    Migration(
        9,
        "commerce_0005_orders_with_client_ip",
        "CREATE INDEX orders_with_client_ip ON orders (created_at) WHERE client_ip IS NOT NULL",
    ),
    Migration(21, "replay_order_source", "ALTER TABLE orders ADD COLUMN source TEXT NOT NULL DEFAULT 'live'"),
]

_INSERT_LINE = (
    "INSERT INTO order_lines (order_id, position, product_id, brand_id, title, unit_price_cents, qty,"
    " commission_bps, platform_fee_bps, line_total_cents, commission_cents, platform_fee_cents, refunded_qty,"
    " campaign_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_INSERT_ENTRY = (
    "INSERT INTO ledger (id, order_id, refund_id, show_id, product_id, account, party_id, amount_cents,"
    " currency, created_at, payout_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


def _line(row: sqlite3.Row) -> OrderLine:
    return OrderLine(
        product_id=row["product_id"],
        brand_id=row["brand_id"],
        title=row["title"],
        unit_price_cents=row["unit_price_cents"],
        qty=row["qty"],
        commission_bps=row["commission_bps"],
        platform_fee_bps=row["platform_fee_bps"],
        line_total_cents=row["line_total_cents"],
        commission_cents=row["commission_cents"],
        platform_fee_cents=row["platform_fee_cents"],
        refunded_qty=row["refunded_qty"],
        campaign_id=row["campaign_id"],
    )


def _order(row: sqlite3.Row, lines: Sequence[OrderLine]) -> Order:
    created = rows.from_text(row["created_at"])
    assert created is not None
    return Order(
        id=row["id"],
        show_id=row["show_id"],
        host_id=row["host_id"],
        buyer_id=row["buyer_id"],
        buyer_name=row["buyer_name"],
        currency=row["currency"],
        lines=tuple(lines),
        shipping=json.loads(row["shipping"]),
        status=OrderStatus(row["status"]),
        idempotency_key=row["idempotency_key"],
        created_at=created,
        paid_at=rows.from_text(row["paid_at"]),
        payment_ref=row["payment_ref"],
        client_ip=row["client_ip"],
        source=OrderSource(row["source"]),
    )


def fetch_order(conn: sqlite3.Connection, order_id: str) -> Order | None:
    row = conn.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        return None
    lines = conn.execute("SELECT * FROM order_lines WHERE order_id = ? ORDER BY position", (order_id,))
    return _order(row, [_line(line) for line in lines])


def _orders_where(conn: sqlite3.Connection, where: str, args: tuple[object, ...]) -> list[Order]:
    """Orders matching a WHERE clause over `orders`, oldest first, with their lines (two queries)."""
    lines: dict[str, list[OrderLine]] = {}
    cursor = conn.execute(
        f"SELECT * FROM order_lines WHERE order_id IN (SELECT id FROM orders WHERE {where})"
        " ORDER BY order_id, position",
        args,
    )
    for row in cursor:
        lines.setdefault(row["order_id"], []).append(_line(row))
    cursor = conn.execute(f"SELECT * FROM orders WHERE {where} ORDER BY created_at, id", args)
    return [_order(row, lines.get(row["id"], [])) for row in cursor]


def _orders_page(
    conn: sqlite3.Connection, show_id: str, limit: int, before: OrderCursor | None, brand_id: str | None
) -> list[Order]:
    """A page of a show's orders, newest first (created_at, id descending), with their lines."""
    where: list[str] = ["show_id = ?"]
    args: list[object] = [show_id]
    if before is not None:
        created = rows.to_text(before[0])
        where.append("(created_at < ? OR (created_at = ? AND id < ?))")
        args += [created, created, before[1]]
    if brand_id is not None:
        where.append("EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = orders.id AND l.brand_id = ?)")
        args.append(brand_id)
    found = conn.execute(
        f"SELECT * FROM orders WHERE {' AND '.join(where)} ORDER BY created_at DESC, id DESC LIMIT ?",
        (*args, limit),
    ).fetchall()
    lines: dict[str, list[OrderLine]] = {}
    if found:
        marks = ",".join("?" * len(found))
        cursor = conn.execute(
            f"SELECT * FROM order_lines WHERE order_id IN ({marks}) ORDER BY order_id, position",
            tuple(row["id"] for row in found),
        )
        for row in cursor:
            lines.setdefault(row["order_id"], []).append(_line(row))
    return [_order(row, lines.get(row["id"], [])) for row in found]


def _stock(conn: sqlite3.Connection, product_ids: Sequence[str]) -> StockLevels:
    levels: StockLevels = {}
    for product_id in product_ids:
        row = conn.execute("SELECT stock FROM products WHERE id = ?", (product_id,)).fetchone()
        levels[product_id] = row["stock"]
    return levels


def _pending(conn: sqlite3.Connection, order_id: str) -> Order:
    return store_checks.pending(fetch_order(conn, order_id), order_id)


def _append(conn: sqlite3.Connection, entries: Sequence[LedgerEntry]) -> None:
    conn.executemany(
        _INSERT_ENTRY,
        [
            (
                entry.id,
                entry.order_id,
                entry.refund_id,
                entry.show_id,
                entry.product_id,
                entry.account.value,
                entry.party_id,
                entry.amount_cents,
                entry.currency,
                rows.to_text(entry.created_at),
                entry.payout_id,
            )
            for entry in entries
        ],
    )


append_entries = _append  # for the selling formats' orders (livecart/store/sqlite/giveaways.py)


def insert_order(conn: sqlite3.Connection, order: Order) -> None:
    """Write an order and its lines as given (no stock taken, nothing checked)."""
    conn.execute(
        "INSERT INTO orders (id, show_id, host_id, buyer_id, buyer_name, currency, shipping, status,"
        " idempotency_key, created_at, client_ip, source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            order.id,
            order.show_id,
            order.host_id,
            order.buyer_id,
            order.buyer_name,
            order.currency,
            json.dumps(dict(order.shipping)),
            order.status.value,
            order.idempotency_key,
            rows.to_text(order.created_at),
            order.client_ip,
            order.source.value,
        ),
    )
    conn.executemany(
        _INSERT_LINE,
        [
            (
                order.id,
                position,
                line.product_id,
                line.brand_id,
                line.title,
                line.unit_price_cents,
                line.qty,
                line.commission_bps,
                line.platform_fee_bps,
                line.line_total_cents,
                line.commission_cents,
                line.platform_fee_cents,
                line.refunded_qty,
                line.campaign_id,
            )
            for position, line in enumerate(order.lines)
        ],
    )
    if order.paid_at is not None or order.payment_ref is not None:
        conn.execute(
            "UPDATE orders SET paid_at = ?, payment_ref = ? WHERE id = ?",
            (rows.to_text(order.paid_at), order.payment_ref, order.id),
        )


def as_placed(order: Order) -> Order:
    """What place_order records: the order PENDING, nothing paid or refunded yet."""
    lines = tuple(replace(line, refunded_qty=0) for line in order.lines)
    return replace(order, status=OrderStatus.PENDING, paid_at=None, payment_ref=None, lines=lines)


def place_order_in(
    conn: sqlite3.Connection, order: Order, max_qty_per_buyer: int, from_cart: bool = False, placed: Order | None = None
) -> StockLevels:
    """`placed`: `as_placed(order)` when the caller has it already."""
    if conn.execute("SELECT 1 FROM orders WHERE id = ?", (order.id,)).fetchone() is not None:
        raise errors.order_exists(order.id)
    if conn.execute("SELECT 1 FROM shows WHERE id = ?", (order.show_id,)).fetchone() is None:
        raise errors.no_such_show(order.show_id)
    if from_cart:
        in_cart = dict(
            conn.execute(
                "SELECT product_id, qty FROM cart_items WHERE show_id = ? AND viewer_id = ?",
                (order.show_id, order.buyer_id),
            ).fetchall()
        )
        other_pending = conn.execute(
            "SELECT 1 FROM orders WHERE show_id = ? AND buyer_id = ? AND status = 'pending' LIMIT 1",
            (order.show_id, order.buyer_id),
        ).fetchone()
        store_checks.cart_holds(order, in_cart, other_pending is not None)
    product_ids = [line.product_id for line in order.lines]
    wanted = campaign_rules.units_wanted(order.lines)
    sold_under = {campaign_id: campaign_in(conn, campaign_id) for campaign_id in wanted}
    products = {product_id: fetch_product(conn, product_id) for product_id in product_ids}
    for line in order.lines:  # a campaign line is priced at the campaign's rate, not the product's
        product = products[line.product_id]
        if line.campaign_id is not None and product is not None:
            products[line.product_id] = replace(product, commission_bps=sold_under[line.campaign_id].commission_bps)
    store_checks.order_placement(order, products, units_bought_in(conn, order.buyer_id, product_ids), max_qty_per_buyer)
    for campaign_id, units in wanted.items():
        campaign = sold_under[campaign_id]
        campaign_rules.take_units(campaign.units_cap, campaign.units_sold, [units])
        conn.execute("UPDATE campaigns SET units_sold = units_sold + ? WHERE id = ?", (units, campaign_id))
    for line in order.lines:
        conn.execute(
            "UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?",
            (line.qty, line.product_id, line.qty),
        )
        conn.execute(
            "INSERT INTO buyer_units (buyer_id, product_id, units) VALUES (?, ?, ?)"
            " ON CONFLICT (buyer_id, product_id) DO UPDATE SET units = units + excluded.units",
            (order.buyer_id, line.product_id, line.qty),
        )
    insert_order(conn, placed or as_placed(order))
    if order.idempotency_key is not None:
        conn.execute(
            "UPDATE idempotency_keys SET order_id = ? WHERE viewer_id = ? AND key = ?",
            (order.id, order.buyer_id, order.idempotency_key),
        )
    return {line.product_id: _stock_of(products[line.product_id]) - line.qty for line in order.lines}


_PAY_PENDING = "UPDATE orders SET status = 'paid', payment_ref = ?, paid_at = ? WHERE id = ? AND status = 'pending'"


def mark_paid_in(
    conn: sqlite3.Connection,
    order_id: str,
    payment_ref: str,
    paid_at: datetime,
    entries: Sequence[LedgerEntry],
    response: StoredResponse | None,
    clear_cart: bool = True,
    placed: Order | None = None,
) -> Order:
    """`placed`: the order as this process placed it (SqliteOrders._pending), so that it is not read
    back; its status is still checked here, by the UPDATE."""
    paying = (payment_ref, rows.to_text(paid_at), order_id)
    if placed is not None and conn.execute(_PAY_PENDING, paying).rowcount == 1:
        order = placed
    else:
        order = _pending(conn, order_id)  # raises unless it exists and is pending
        conn.execute(_PAY_PENDING, paying)
    _append(conn, entries)
    if clear_cart:
        conn.executemany(
            "DELETE FROM cart_items WHERE show_id = ? AND viewer_id = ? AND product_id = ?",
            [(order.show_id, order.buyer_id, line.product_id) for line in order.lines],
        )
    if order.idempotency_key is not None and response is not None:
        save_response(conn, order.buyer_id, order.idempotency_key, response)
    paid = replace(order, status=OrderStatus.PAID, payment_ref=payment_ref, paid_at=paid_at)
    write_event(conn, webhooks.order_paid(paid, paid_at))  # the webhook outbox, in this transaction
    return paid


def fail_in(conn: sqlite3.Connection, order_id: str, response: StoredResponse | None) -> StockLevels:
    order = _pending(conn, order_id)
    conn.execute("UPDATE orders SET status = 'failed' WHERE id = ?", (order_id,))
    for campaign_id, units in campaign_rules.units_wanted(order.lines).items():
        conn.execute("UPDATE campaigns SET units_sold = MAX(0, units_sold - ?) WHERE id = ?", (units, campaign_id))
    for line in order.lines:
        conn.execute("UPDATE products SET stock = stock + ? WHERE id = ?", (line.qty, line.product_id))
        conn.execute(
            "UPDATE buyer_units SET units = units - ? WHERE buyer_id = ? AND product_id = ?",
            (line.qty, order.buyer_id, line.product_id),
        )
    if order.idempotency_key is not None:
        if response is None:
            release_key(conn, order.buyer_id, order.idempotency_key)
        else:
            save_response(conn, order.buyer_id, order.idempotency_key, response)
    return _stock(conn, [line.product_id for line in order.lines])


def refund_in(conn: sqlite3.Connection, refund: Refund, entries: Sequence[LedgerEntry]) -> tuple[Order, StockLevels]:
    store_checks.refundable(fetch_order(conn, refund.order_id), refund)
    for part in refund.lines:
        conn.execute(
            "UPDATE order_lines SET refunded_qty = refunded_qty + ? WHERE order_id = ? AND product_id = ?",
            (part.qty, refund.order_id, part.product_id),
        )
        conn.execute("UPDATE products SET stock = stock + ? WHERE id = ?", (part.qty, part.product_id))
    conn.execute(
        "INSERT INTO refunds (id, order_id, show_id, by_account, lines, created_at) VALUES (?,?,?,?,?,?)",
        (
            refund.id,
            refund.order_id,
            refund.show_id,
            refund.by,
            json.dumps([[part.product_id, part.qty] for part in refund.lines]),
            rows.to_text(refund.created_at),
        ),
    )
    _append(conn, entries)
    updated = fetch_order(conn, refund.order_id)
    assert updated is not None
    write_event(conn, webhooks.order_refunded(updated, refund))  # the webhook outbox, in this transaction
    return updated, _stock(conn, [part.product_id for part in refund.lines])


def _stock_of(product: Product | None) -> int:
    assert product is not None  # order_placement refused orders naming unknown products
    return product.stock


def _entry(row: sqlite3.Row) -> LedgerEntry:
    created = rows.from_text(row["created_at"])
    assert created is not None
    return LedgerEntry(
        id=row["id"],
        order_id=row["order_id"],
        refund_id=row["refund_id"],
        show_id=row["show_id"],
        product_id=row["product_id"],
        account=LedgerAccount(row["account"]),
        party_id=row["party_id"],
        amount_cents=row["amount_cents"],
        currency=row["currency"],
        created_at=created,
        payout_id=row["payout_id"],
    )


class SqliteOrders:
    """Orders placed here and not yet settled are kept in `_pending` (livecart/store/pending.py)."""

    _db: Database
    _pending: PendingOrders

    async def place_order(self, order: Order, max_qty_per_buyer: int, *, from_cart: bool = False) -> StockLevels:
        store_checks.order_shape(order)
        placed = as_placed(order)
        stock = await self._db.transaction(place_order_in, order, max_qty_per_buyer, from_cart, placed)
        self._pending.add(placed)
        return stock

    async def mark_order_paid(
        self,
        order_id: str,
        payment_ref: str,
        paid_at: datetime,
        entries: Sequence[LedgerEntry],
        response: StoredResponse | None,
        *,
        clear_cart: bool = True,
    ) -> Order:
        placed = self._pending.get(order_id)
        try:
            return await self._db.transaction(
                mark_paid_in, order_id, payment_ref, paid_at, list(entries), response, clear_cart, placed
            )
        finally:
            self._pending.discard(order_id)

    async def fail_order(self, order_id: str, response: StoredResponse | None) -> StockLevels:
        try:
            return await self._db.transaction(fail_in, order_id, response)
        finally:
            self._pending.discard(order_id)

    async def get_order(self, order_id: str) -> Order | None:
        return await self._db.read(fetch_order, order_id)

    async def set_order_shipping(self, order_id: str, shipping: Mapping[str, str]) -> Order:
        def update(conn: sqlite3.Connection) -> Order:
            order = fetch_order(conn, order_id)
            if order is None:
                raise errors.no_such_order(order_id)
            if order.shipping:
                raise errors.shipping_set(order_id)
            conn.execute("UPDATE orders SET shipping = ? WHERE id = ?", (json.dumps(dict(shipping)), order_id))
            return replace(order, shipping=dict(shipping))

        return await self._db.transaction(update)

    async def pending_orders(self, older_than: datetime) -> list[Order]:
        return await self._db.read(
            _orders_where,
            # an auction's offer is settled by the auction (its pay window), not by checkout recovery
            "status = 'pending' AND created_at < ? AND id NOT IN (SELECT order_id FROM auction_offers)",
            (rows.to_text(older_than),),
        )

    async def show_orders(self, show_id: str) -> list[Order]:
        return await self._db.read(_orders_where, "show_id = ?", (show_id,))

    async def forget_client_addresses(self, older_than: datetime) -> int:
        def forget(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "UPDATE orders SET client_ip = NULL WHERE client_ip IS NOT NULL AND created_at < ?",
                (rows.to_text(older_than),),
            ).rowcount

        return await self._db.transaction(forget)

    async def show_orders_page(
        self, show_id: str, limit: int, *, before: OrderCursor | None = None, brand_id: str | None = None
    ) -> list[Order]:
        store_checks.page_limit(limit)
        return await self._db.read(_orders_page, show_id, limit, before, brand_id)

    async def record_refund(self, refund: Refund, entries: Sequence[LedgerEntry]) -> tuple[Order, StockLevels]:
        store_checks.refund_shape(refund)
        return await self._db.transaction(refund_in, refund, list(entries))

    async def ledger_entries(
        self, *, order_id: str | None = None, party_id: str | None = None, show_id: str | None = None
    ) -> list[LedgerEntry]:
        filters = {"order_id": order_id, "party_id": party_id, "show_id": show_id}
        where = " AND ".join(f"{name} = ?" for name, value in filters.items() if value is not None) or "1"
        args = tuple(value for value in filters.values() if value is not None)

        def select(conn: sqlite3.Connection) -> list[LedgerEntry]:
            return [_entry(row) for row in conn.execute(f"SELECT * FROM ledger WHERE {where} ORDER BY seq", args)]

        return await self._db.read(select)
