"""Flash deals on SQLite: a reservation takes one unit from the deal and from stock in one transaction
(conditional updates, so neither goes below zero); expired holds go back to both."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from livecart.clock import Clock
from livecart.domain import deals, errors
from livecart.domain.commerce import Order
from livecart.domain.deals import Deal, DealHold, DealStatus, HoldStatus
from livecart.domain.ids import new_id
from livecart.store.sqlite import rows
from livecart.store.sqlite.db import Database, Migration
from livecart.store.sqlite.orders import as_placed, insert_order

MIGRATIONS: list[Migration] = [
    Migration(
        14,
        "deals",
        """
        CREATE TABLE deals (
            id TEXT PRIMARY KEY,
            show_id TEXT NOT NULL REFERENCES shows(id),
            host_id TEXT NOT NULL,
            product_id TEXT NOT NULL REFERENCES products(id),
            brand_id TEXT NOT NULL,
            currency TEXT NOT NULL,
            price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            remaining INTEGER NOT NULL CHECK (remaining BETWEEN 0 AND quantity),
            status TEXT NOT NULL CHECK (status IN ('open', 'ended')),
            created_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            ended_at TEXT
        );
        CREATE INDEX deals_show ON deals (show_id, created_at);
        CREATE TABLE deal_holds (
            id TEXT PRIMARY KEY,
            deal_id TEXT NOT NULL REFERENCES deals(id),
            show_id TEXT NOT NULL,
            product_id TEXT NOT NULL,
            viewer_id TEXT NOT NULL,
            price_cents INTEGER NOT NULL,
            reserved_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('held', 'ordered', 'expired')),
            order_id TEXT
        );
        CREATE INDEX deal_holds_deal ON deal_holds (deal_id, reserved_at);
        CREATE INDEX deal_holds_held ON deal_holds (deal_id, expires_at) WHERE status = 'held';
        CREATE INDEX deal_holds_viewer ON deal_holds (deal_id, viewer_id)
        """,
    ),
]


def _time(text: str) -> datetime:
    moment = rows.from_text(text)
    assert moment is not None
    return moment


def _deal(row: sqlite3.Row) -> Deal:
    return Deal(
        id=row["id"],
        show_id=row["show_id"],
        host_id=row["host_id"],
        product_id=row["product_id"],
        brand_id=row["brand_id"],
        currency=row["currency"],
        price_cents=row["price_cents"],
        quantity=row["quantity"],
        remaining=row["remaining"],
        status=DealStatus(row["status"]),
        created_at=_time(row["created_at"]),
        ends_at=_time(row["ends_at"]),
        ended_at=rows.from_text(row["ended_at"]),
    )


def _hold(row: sqlite3.Row) -> DealHold:
    return DealHold(
        id=row["id"],
        deal_id=row["deal_id"],
        show_id=row["show_id"],
        product_id=row["product_id"],
        viewer_id=row["viewer_id"],
        price_cents=row["price_cents"],
        reserved_at=_time(row["reserved_at"]),
        expires_at=_time(row["expires_at"]),
        status=HoldStatus(row["status"]),
        order_id=row["order_id"],
    )


def _fetch(conn: sqlite3.Connection, deal_id: str) -> Deal:
    row = conn.execute("SELECT * FROM deals WHERE id = ?", (deal_id,)).fetchone()
    if row is None:
        raise deals.no_such_deal(deal_id)
    return _deal(row)


def _stock(conn: sqlite3.Connection, product_id: str) -> int:
    row = conn.execute("SELECT stock FROM products WHERE id = ?", (product_id,)).fetchone()
    if row is None:
        raise errors.no_such_product(product_id)
    stock: int = row["stock"]
    return stock


def _expire(conn: sqlite3.Connection, deal: Deal, now: datetime) -> Deal:
    """Holds past their expiry go back to the deal and to stock."""
    expired = conn.execute(
        "UPDATE deal_holds SET status = 'expired' WHERE deal_id = ? AND status = 'held' AND expires_at <= ?",
        (deal.id, rows.to_text(now)),
    ).rowcount
    if expired:
        conn.execute("UPDATE deals SET remaining = remaining + ? WHERE id = ?", (expired, deal.id))
        conn.execute("UPDATE products SET stock = stock + ? WHERE id = ?", (expired, deal.product_id))
        return _fetch(conn, deal.id)
    return deal


class SqliteDeals:
    _db: Database
    _clock: Clock

    async def create_deal(self, deal: Deal) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            _stock(conn, deal.product_id)  # NotFound for an unknown product
            conn.execute(
                "INSERT INTO deals (id, show_id, host_id, product_id, brand_id, currency, price_cents, quantity,"
                " remaining, status, created_at, ends_at, ended_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    deal.id, deal.show_id, deal.host_id, deal.product_id, deal.brand_id, deal.currency,
                    deal.price_cents, deal.quantity, deal.remaining, deal.status.value,
                    rows.to_text(deal.created_at), rows.to_text(deal.ends_at), rows.to_text(deal.ended_at),
                ),
            )  # fmt: skip

        await self._db.transaction(insert)

    async def get_deal(self, deal_id: str) -> Deal | None:
        def select(conn: sqlite3.Connection) -> Deal | None:
            row = conn.execute("SELECT * FROM deals WHERE id = ?", (deal_id,)).fetchone()
            return None if row is None else _deal(row)

        return await self._db.read(select)

    async def show_deals(self, show_id: str) -> list[Deal]:
        def select(conn: sqlite3.Connection) -> list[Deal]:
            cursor = conn.execute("SELECT * FROM deals WHERE show_id = ? ORDER BY created_at, rowid", (show_id,))
            return [_deal(row) for row in cursor]

        return await self._db.read(select)

    async def end_deal(self, deal_id: str) -> Deal:
        def end(conn: sqlite3.Connection) -> Deal:
            ended = deals.end(_fetch(conn, deal_id), self._clock.now())
            conn.execute(
                "UPDATE deals SET status = ?, ended_at = ? WHERE id = ?",
                (ended.status.value, rows.to_text(ended.ended_at), deal_id),
            )
            return ended

        return await self._db.transaction(end)

    async def reserve_deal_unit(
        self, deal_id: str, viewer_id: str, hold_s: int, max_per_viewer: int
    ) -> tuple[DealHold, Deal, int]:
        def reserve(conn: sqlite3.Connection) -> tuple[DealHold, Deal, int]:
            now = self._clock.now()
            deal = _expire(conn, _fetch(conn, deal_id), now)
            holding = conn.execute(
                "SELECT COUNT(*) FROM deal_holds WHERE deal_id = ? AND viewer_id = ? AND status != 'expired'",
                (deal_id, viewer_id),
            ).fetchone()[0]
            deals.check_reserve(deal, now, _stock(conn, deal.product_id), holding, max_per_viewer)
            hold = deals.new_hold(deal, new_id("hld"), viewer_id, now, hold_s)
            conn.execute("UPDATE deals SET remaining = remaining - 1 WHERE id = ?", (deal_id,))
            conn.execute("UPDATE products SET stock = stock - 1 WHERE id = ?", (deal.product_id,))
            conn.execute(
                "INSERT INTO deal_holds (id, deal_id, show_id, product_id, viewer_id, price_cents, reserved_at,"
                " expires_at, status) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    hold.id, deal.id, deal.show_id, deal.product_id, viewer_id, hold.price_cents,
                    rows.to_text(hold.reserved_at), rows.to_text(hold.expires_at), hold.status.value,
                ),
            )  # fmt: skip
            return hold, _fetch(conn, deal_id), _stock(conn, deal.product_id)

        return await self._db.transaction(reserve)

    async def deal_holds(self, deal_id: str) -> list[DealHold]:
        def select(conn: sqlite3.Connection) -> list[DealHold]:
            cursor = conn.execute("SELECT * FROM deal_holds WHERE deal_id = ? ORDER BY reserved_at, rowid", (deal_id,))
            return [_hold(row) for row in cursor]

        return await self._db.read(select)

    async def deals_with_expired_holds(self) -> list[str]:
        def select(conn: sqlite3.Connection) -> list[str]:
            cursor = conn.execute(
                "SELECT DISTINCT deal_id FROM deal_holds WHERE status = 'held' AND expires_at <= ?",
                (rows.to_text(self._clock.now()),),
            )
            return [str(row[0]) for row in cursor]

        return await self._db.read(select)

    async def expire_deal_holds(self, deal_id: str) -> tuple[Deal, int]:
        def expire(conn: sqlite3.Connection) -> tuple[Deal, int]:
            deal = _expire(conn, _fetch(conn, deal_id), self._clock.now())
            return deal, _stock(conn, deal.product_id)

        return await self._db.transaction(expire)

    async def place_deal_order(self, order: Order, holds: Sequence[DealHold]) -> None:
        hold_ids = [hold.id for hold in holds]

        def place(conn: sqlite3.Connection) -> None:
            now = self._clock.now()
            if len(set(hold_ids)) != len(hold_ids):
                raise ValueError("each hold once")
            current: list[DealHold] = []
            for hold_id in hold_ids:
                row = conn.execute("SELECT * FROM deal_holds WHERE id = ?", (hold_id,)).fetchone()
                if row is None:
                    raise deals.no_such_hold(hold_id)
                current.append(_hold(row))
            deals.check_holds(order, current, now)
            conn.executemany(
                "UPDATE deal_holds SET status = 'ordered', order_id = ? WHERE id = ?",
                [(order.id, hold_id) for hold_id in hold_ids],
            )
            insert_order(conn, as_placed(order))
            for line in order.lines:
                conn.execute(
                    "INSERT INTO buyer_units (buyer_id, product_id, units) VALUES (?, ?, ?)"
                    " ON CONFLICT (buyer_id, product_id) DO UPDATE SET units = units + excluded.units",
                    (order.buyer_id, line.product_id, line.qty),
                )
            if order.idempotency_key is not None:
                conn.execute(
                    "UPDATE idempotency_keys SET order_id = ? WHERE viewer_id = ? AND key = ?",
                    (order.id, order.buyer_id, order.idempotency_key),
                )

        await self._db.transaction(place)
