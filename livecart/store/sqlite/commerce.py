"""Pins (with their log), persistent carts and idempotency keys."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from livecart.clock import Clock
from livecart.domain import errors, store_checks
from livecart.domain.commerce import CartActivity, CartItem, Pin, PinSpan, StoredResponse
from livecart.store.sqlite import rows
from livecart.store.sqlite.catalog import fetch_product
from livecart.store.sqlite.db import Database, Migration
from livecart.store.sqlite.shows import fetch_show

MIGRATIONS: list[Migration] = [
    Migration(
        5,
        "commerce_0001_pins_carts_idempotency",
        """
        CREATE TABLE pins (
            id INTEGER PRIMARY KEY,
            show_id TEXT NOT NULL REFERENCES shows(id),
            product_id TEXT NOT NULL REFERENCES products(id),
            pinned_at TEXT NOT NULL,
            unpinned_at TEXT
        );
        CREATE UNIQUE INDEX pins_open ON pins (show_id, product_id) WHERE unpinned_at IS NULL;
        CREATE INDEX pins_show ON pins (show_id, product_id);
        CREATE TABLE cart_items (
            show_id TEXT NOT NULL,
            viewer_id TEXT NOT NULL,
            product_id TEXT NOT NULL REFERENCES products(id),
            qty INTEGER NOT NULL CHECK (qty > 0),
            added_at TEXT NOT NULL,
            PRIMARY KEY (show_id, viewer_id, product_id)
        );
        CREATE TABLE cart_adds (
            id INTEGER PRIMARY KEY,
            show_id TEXT NOT NULL,
            product_id TEXT NOT NULL,
            viewer_id TEXT NOT NULL,
            qty INTEGER NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX cart_adds_show ON cart_adds (show_id, product_id);
        CREATE TABLE idempotency_keys (
            viewer_id TEXT NOT NULL,
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            response_status INTEGER,
            response_body TEXT,
            order_id TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (viewer_id, key)
        )
        """,
    ),
    Migration(
        8, "commerce_0004_idempotency_by_time", "CREATE INDEX idempotency_created ON idempotency_keys (created_at)"
    ),
]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _active_pins(conn: sqlite3.Connection, show_id: str) -> list[Pin]:
    cursor = conn.execute(
        "SELECT p.product_id, p.pinned_at FROM pins p WHERE p.show_id = ? AND p.unpinned_at IS NULL"
        " ORDER BY p.pinned_at, p.id",
        (show_id,),
    )
    pins = []
    for row in cursor.fetchall():
        product = fetch_product(conn, row["product_id"])
        if product is not None:
            pins.append(Pin(show_id=show_id, product=product, pinned_at=_time(row["pinned_at"])))
    return pins


def _cart(conn: sqlite3.Connection, show_id: str, viewer_id: str) -> list[CartItem]:
    cursor = conn.execute(
        "SELECT product_id, qty, added_at FROM cart_items WHERE show_id = ? AND viewer_id = ? ORDER BY added_at, rowid",
        (show_id, viewer_id),
    )
    return [CartItem(row["product_id"], row["qty"], _time(row["added_at"])) for row in cursor]


def units_bought_in(conn: sqlite3.Connection, buyer_id: str, product_ids: Sequence[str]) -> dict[str, int]:
    units = dict.fromkeys(product_ids, 0)
    for product_id in product_ids:
        row = conn.execute(
            "SELECT units FROM buyer_units WHERE buyer_id = ? AND product_id = ?", (buyer_id, product_id)
        ).fetchone()
        if row is not None:
            units[product_id] = row["units"]
    return units


class SqliteCommerce:
    _db: Database
    _clock: Clock

    # -- pins ---------------------------------------------------------------------------------------
    async def pin_product(self, show_id: str, product_id: str) -> tuple[Pin, bool]:
        def pin(conn: sqlite3.Connection) -> tuple[Pin, bool]:
            if fetch_show(conn, show_id) is None:
                raise errors.no_such_show(show_id)
            product = fetch_product(conn, product_id)
            if product is None:
                raise errors.no_such_product(product_id)
            row = conn.execute(
                "SELECT pinned_at FROM pins WHERE show_id = ? AND product_id = ? AND unpinned_at IS NULL",
                (show_id, product_id),
            ).fetchone()
            if row is not None:
                return Pin(show_id, product, _time(row["pinned_at"])), False
            now = self._clock.now()
            conn.execute(
                "INSERT INTO pins (show_id, product_id, pinned_at) VALUES (?, ?, ?)",
                (show_id, product_id, rows.to_text(now)),
            )
            return Pin(show_id, product, now), True

        return await self._db.transaction(pin)

    async def unpin_product(self, show_id: str, product_id: str) -> bool:
        def unpin(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE pins SET unpinned_at = ? WHERE show_id = ? AND product_id = ? AND unpinned_at IS NULL",
                (rows.to_text(self._clock.now()), show_id, product_id),
            )
            return cursor.rowcount > 0

        return await self._db.transaction(unpin)

    async def active_pins(self, show_id: str) -> list[Pin]:
        return await self._db.read(_active_pins, show_id)

    async def pin_log(self, show_id: str) -> list[PinSpan]:
        def select(conn: sqlite3.Connection) -> list[PinSpan]:
            cursor = conn.execute(
                "SELECT product_id, pinned_at, unpinned_at FROM pins WHERE show_id = ? ORDER BY pinned_at, id",
                (show_id,),
            )
            return [
                PinSpan(show_id, row["product_id"], _time(row["pinned_at"]), rows.from_text(row["unpinned_at"]))
                for row in cursor
            ]

        return await self._db.read(select)

    async def pinned_during(self, show_id: str) -> set[str]:
        def select(conn: sqlite3.Connection) -> set[str]:
            cursor = conn.execute("SELECT DISTINCT product_id FROM pins WHERE show_id = ?", (show_id,))
            return {row[0] for row in cursor}

        return await self._db.read(select)

    # -- carts --------------------------------------------------------------------------------------
    async def cart(self, show_id: str, viewer_id: str) -> list[CartItem]:
        return await self._db.read(_cart, show_id, viewer_id)

    async def add_to_cart(
        self, show_id: str, viewer_id: str, product_id: str, qty: int, max_qty: int
    ) -> list[CartItem]:
        store_checks.cart_qty(qty)

        def add(conn: sqlite3.Connection) -> list[CartItem]:
            if fetch_product(conn, product_id) is None:
                raise errors.no_such_product(product_id)
            row = conn.execute(
                "SELECT qty FROM cart_items WHERE show_id = ? AND viewer_id = ? AND product_id = ?",
                (show_id, viewer_id, product_id),
            ).fetchone()
            store_checks.cart_add(product_id, qty, 0 if row is None else row["qty"], max_qty)
            now = rows.to_text(self._clock.now())
            conn.execute(
                "INSERT INTO cart_items (show_id, viewer_id, product_id, qty, added_at)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (show_id, viewer_id, product_id) DO UPDATE SET qty = qty + excluded.qty",
                (show_id, viewer_id, product_id, qty, now),
            )
            conn.execute(
                "INSERT INTO cart_adds (show_id, product_id, viewer_id, qty, at) VALUES (?, ?, ?, ?, ?)",
                (show_id, product_id, viewer_id, qty, now),
            )
            return _cart(conn, show_id, viewer_id)

        return await self._db.transaction(add)

    async def remove_from_cart(self, show_id: str, viewer_id: str, product_id: str) -> bool:
        def remove(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "DELETE FROM cart_items WHERE show_id = ? AND viewer_id = ? AND product_id = ?",
                (show_id, viewer_id, product_id),
            )
            return cursor.rowcount > 0

        return await self._db.transaction(remove)

    async def set_cart_qty(
        self, show_id: str, viewer_id: str, product_id: str, qty: int, max_qty: int
    ) -> list[CartItem]:
        store_checks.cart_set_qty(qty)

        def set_qty(conn: sqlite3.Connection) -> list[CartItem]:
            row = conn.execute(
                "SELECT qty FROM cart_items WHERE show_id = ? AND viewer_id = ? AND product_id = ?",
                (show_id, viewer_id, product_id),
            ).fetchone()
            current = 0 if row is None else int(row["qty"])
            if qty == 0:
                conn.execute(
                    "DELETE FROM cart_items WHERE show_id = ? AND viewer_id = ? AND product_id = ?",
                    (show_id, viewer_id, product_id),
                )
            elif qty < current:
                conn.execute(
                    "UPDATE cart_items SET qty = ? WHERE show_id = ? AND viewer_id = ? AND product_id = ?",
                    (qty, show_id, viewer_id, product_id),
                )
            elif qty > current:
                if fetch_product(conn, product_id) is None:
                    raise errors.no_such_product(product_id)
                store_checks.cart_add(product_id, qty - current, current, max_qty)
                now = rows.to_text(self._clock.now())
                conn.execute(
                    "INSERT INTO cart_items (show_id, viewer_id, product_id, qty, added_at)"
                    " VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (show_id, viewer_id, product_id) DO UPDATE SET qty = excluded.qty",
                    (show_id, viewer_id, product_id, qty, now),
                )
                conn.execute(
                    "INSERT INTO cart_adds (show_id, product_id, viewer_id, qty, at) VALUES (?, ?, ?, ?, ?)",
                    (show_id, product_id, viewer_id, qty - current, now),
                )
            return _cart(conn, show_id, viewer_id)

        return await self._db.transaction(set_qty)

    async def cart_activity(self, show_id: str) -> dict[str, CartActivity]:
        def select(conn: sqlite3.Connection) -> dict[str, CartActivity]:
            cursor = conn.execute(
                "SELECT product_id, COUNT(*) AS adds, COUNT(DISTINCT viewer_id) AS viewers FROM cart_adds"
                " WHERE show_id = ? GROUP BY product_id",
                (show_id,),
            )
            return {row["product_id"]: CartActivity(row["adds"], row["viewers"]) for row in cursor}

        return await self._db.read(select)

    async def units_bought(self, buyer_id: str, product_ids: Sequence[str]) -> dict[str, int]:
        return await self._db.read(units_bought_in, buyer_id, list(product_ids))

    # -- idempotency --------------------------------------------------------------------------------
    async def claim_idempotency_key(self, viewer_id: str, key: str, request_hash: str) -> StoredResponse | None:
        return await self._db.transaction(claim_in, viewer_id, key, request_hash, self._clock.now())

    async def save_idempotent_response(self, viewer_id: str, key: str, response: StoredResponse) -> None:
        def save(conn: sqlite3.Connection) -> None:
            if not save_response(conn, viewer_id, key, response):
                raise errors.no_such_idempotency_key(key)

        await self._db.transaction(save)

    async def release_idempotency_key(self, viewer_id: str, key: str) -> None:
        def release(conn: sqlite3.Connection) -> None:
            release_key(conn, viewer_id, key)

        await self._db.transaction(release)

    async def purge_idempotency_records(self, older_than: datetime) -> int:
        def purge(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "DELETE FROM idempotency_keys WHERE response_status IS NOT NULL AND created_at < ?",
                (rows.to_text(older_than),),
            )
            return cursor.rowcount

        return await self._db.transaction(purge)

    async def release_stale_idempotency_keys(self, older_than: datetime) -> int:
        def release(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "DELETE FROM idempotency_keys WHERE response_status IS NULL AND order_id IS NULL AND created_at < ?",
                (rows.to_text(older_than),),
            )
            return cursor.rowcount

        return await self._db.transaction(release)


def claim_in(
    conn: sqlite3.Connection, viewer_id: str, key: str, request_hash: str, now: datetime
) -> StoredResponse | None:
    """`claim_idempotency_key` inside a transaction: None once claimed, the stored response of a finished key."""
    row = conn.execute(
        "SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE viewer_id = ? AND key = ?",
        (viewer_id, key),
    ).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO idempotency_keys (viewer_id, key, request_hash, created_at) VALUES (?, ?, ?, ?)",
            (viewer_id, key, request_hash, rows.to_text(now)),
        )
        return None
    if row["request_hash"] != request_hash:
        raise errors.idempotency_mismatch(key)
    if row["response_status"] is None:
        raise errors.idempotency_in_progress(key)
    return StoredResponse(row["response_status"], row["response_body"])


def save_response(conn: sqlite3.Connection, viewer_id: str, key: str, response: StoredResponse) -> bool:
    cursor = conn.execute(
        "UPDATE idempotency_keys SET response_status = ?, response_body = ? WHERE viewer_id = ? AND key = ?",
        (response.status, response.body, viewer_id, key),
    )
    return cursor.rowcount > 0


def release_key(conn: sqlite3.Connection, viewer_id: str, key: str) -> None:
    conn.execute(
        "DELETE FROM idempotency_keys WHERE viewer_id = ? AND key = ? AND response_status IS NULL",
        (viewer_id, key),
    )
