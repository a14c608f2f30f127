"""Giveaways on SQLite: entries unique per account (primary key); the draw, the winners' zero-price
orders and the unused prize units' return happen in one transaction, once."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime

from livecart.clock import Clock
from livecart.domain import errors, giveaways
from livecart.domain.commerce import OrderStatus
from livecart.domain.format_orders import GIVEAWAY_PAYMENT_REF, format_order
from livecart.domain.giveaways import Giveaway, GiveawayStatus
from livecart.domain.ids import new_id
from livecart.domain.ledger import sale_entries
from livecart.store.base import StockLevels
from livecart.store.sqlite import rows
from livecart.store.sqlite.db import Database, Migration
from livecart.store.sqlite.orders import append_entries, insert_order

MIGRATIONS: list[Migration] = [
    Migration(
        15,
        "giveaways",
        """
        CREATE TABLE giveaways (
            id TEXT PRIMARY KEY,
            show_id TEXT NOT NULL REFERENCES shows(id),
            host_id TEXT NOT NULL,
            product_id TEXT NOT NULL REFERENCES products(id),
            brand_id TEXT NOT NULL,
            winners INTEGER NOT NULL CHECK (winners > 0),
            keyword TEXT,
            seed TEXT NOT NULL,
            commitment TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'drawn', 'cancelled')),
            created_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            entrants INTEGER NOT NULL DEFAULT 0,
            winner_ids TEXT NOT NULL DEFAULT '',
            order_ids TEXT NOT NULL DEFAULT '',
            drawn_at TEXT
        );
        CREATE INDEX giveaways_open_by_end ON giveaways (ends_at) WHERE status = 'open';
        CREATE TABLE giveaway_entries (
            giveaway_id TEXT NOT NULL REFERENCES giveaways(id),
            account_id TEXT NOT NULL,
            entered_at TEXT NOT NULL,
            PRIMARY KEY (giveaway_id, account_id)
        )
        """,
    ),
]


def _time(text: str) -> datetime:
    moment = rows.from_text(text)
    assert moment is not None
    return moment


def _ids(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text else ()


def _giveaway(row: sqlite3.Row) -> Giveaway:
    return Giveaway(
        id=row["id"],
        show_id=row["show_id"],
        host_id=row["host_id"],
        product_id=row["product_id"],
        brand_id=row["brand_id"],
        winners=row["winners"],
        keyword=row["keyword"],
        seed=row["seed"],
        commitment=row["commitment"],
        status=GiveawayStatus(row["status"]),
        created_at=_time(row["created_at"]),
        ends_at=_time(row["ends_at"]),
        entrants=row["entrants"],
        winner_ids=_ids(row["winner_ids"]),
        order_ids=_ids(row["order_ids"]),
        drawn_at=rows.from_text(row["drawn_at"]),
    )


def _fetch(conn: sqlite3.Connection, giveaway_id: str) -> Giveaway:
    row = conn.execute("SELECT * FROM giveaways WHERE id = ?", (giveaway_id,)).fetchone()
    if row is None:
        raise giveaways.no_such_giveaway(giveaway_id)
    return _giveaway(row)


def _entrants(conn: sqlite3.Connection, giveaway_id: str) -> list[str]:
    cursor = conn.execute("SELECT account_id FROM giveaway_entries WHERE giveaway_id = ?", (giveaway_id,))
    return sorted(row[0] for row in cursor)


class SqliteGiveaways:
    _db: Database
    _clock: Clock

    async def create_giveaway(self, giveaway: Giveaway) -> StockLevels:
        def create(conn: sqlite3.Connection) -> StockLevels:
            row = conn.execute("SELECT stock FROM products WHERE id = ?", (giveaway.product_id,)).fetchone()
            if row is None:
                raise errors.no_such_product(giveaway.product_id)
            if row["stock"] < giveaway.winners:
                raise errors.out_of_stock({giveaway.product_id: row["stock"]})
            conn.execute("UPDATE products SET stock = stock - ? WHERE id = ?", (giveaway.winners, giveaway.product_id))
            conn.execute(
                "INSERT INTO giveaways (id, show_id, host_id, product_id, brand_id, winners, keyword, seed,"
                " commitment, status, created_at, ends_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    giveaway.id, giveaway.show_id, giveaway.host_id, giveaway.product_id, giveaway.brand_id,
                    giveaway.winners, giveaway.keyword, giveaway.seed, giveaway.commitment,
                    giveaway.status.value, rows.to_text(giveaway.created_at), rows.to_text(giveaway.ends_at),
                ),
            )  # fmt: skip
            return {giveaway.product_id: row["stock"] - giveaway.winners}

        return await self._db.transaction(create)

    async def get_giveaway(self, giveaway_id: str) -> Giveaway | None:
        def select(conn: sqlite3.Connection) -> Giveaway | None:
            row = conn.execute("SELECT * FROM giveaways WHERE id = ?", (giveaway_id,)).fetchone()
            return None if row is None else _giveaway(row)

        return await self._db.read(select)

    async def enter_giveaway(self, giveaway_id: str, account_id: str) -> tuple[Giveaway, bool]:
        def enter(conn: sqlite3.Connection) -> tuple[Giveaway, bool]:
            now = self._clock.now()
            giveaways.check_open(_fetch(conn, giveaway_id), now)
            added = conn.execute(
                "INSERT INTO giveaway_entries (giveaway_id, account_id, entered_at) VALUES (?, ?, ?)"
                " ON CONFLICT (giveaway_id, account_id) DO NOTHING",
                (giveaway_id, account_id, rows.to_text(now)),
            ).rowcount
            if added:
                conn.execute("UPDATE giveaways SET entrants = entrants + 1 WHERE id = ?", (giveaway_id,))
            return _fetch(conn, giveaway_id), bool(added)

        return await self._db.transaction(enter)

    async def giveaway_entrants(self, giveaway_id: str) -> list[str]:
        return await self._db.read(_entrants, giveaway_id)

    async def draw_giveaway(self, giveaway_id: str) -> Giveaway:
        def draw(conn: sqlite3.Connection) -> Giveaway:
            now = self._clock.now()
            current = _fetch(conn, giveaway_id)
            if not giveaways.is_due(current, now):
                return current
            winners = giveaways.draw(current.seed, _entrants(conn, giveaway_id), current.winners)
            product = rows.product(
                conn.execute("SELECT * FROM products WHERE id = ?", (current.product_id,)).fetchone()
            )
            order_ids: list[str] = []
            for winner_id in winners:
                name_row = conn.execute("SELECT name FROM accounts WHERE id = ?", (winner_id,)).fetchone()
                order = replace(
                    format_order(
                        order_id=new_id("ord"), show_id=current.show_id, host_id=current.host_id,
                        buyer_id=winner_id, buyer_name="" if name_row is None else name_row["name"],
                        product=product, unit_price_cents=0, qty=1, platform_fee_bps=0, now=now,
                    ),
                    status=OrderStatus.PAID, paid_at=now, payment_ref=GIVEAWAY_PAYMENT_REF,
                )  # fmt: skip
                insert_order(conn, order)
                append_entries(conn, sale_entries(order, now))
                conn.execute(
                    "INSERT INTO buyer_units (buyer_id, product_id, units) VALUES (?, ?, 1)"
                    " ON CONFLICT (buyer_id, product_id) DO UPDATE SET units = units + 1",
                    (winner_id, current.product_id),
                )
                order_ids.append(order.id)
            unused = current.winners - len(winners)
            if unused:
                conn.execute("UPDATE products SET stock = stock + ? WHERE id = ?", (unused, current.product_id))
            drawn = replace(
                current,
                status=GiveawayStatus.DRAWN,
                winner_ids=tuple(winners),
                order_ids=tuple(order_ids),
                drawn_at=now,
            )
            conn.execute(
                "UPDATE giveaways SET status = 'drawn', winner_ids = ?, order_ids = ?, drawn_at = ? WHERE id = ?",
                (json.dumps(winners), json.dumps(order_ids), rows.to_text(now), giveaway_id),
            )
            return drawn

        return await self._db.transaction(draw)

    async def open_giveaways(self, show_id: str) -> list[Giveaway]:
        def select(conn: sqlite3.Connection) -> list[Giveaway]:
            cursor = conn.execute(
                "SELECT * FROM giveaways WHERE status = 'open' AND show_id = ? ORDER BY created_at, rowid", (show_id,)
            )
            return [_giveaway(row) for row in cursor]

        return await self._db.read(select)

    async def due_giveaways(self) -> list[Giveaway]:
        def select(conn: sqlite3.Connection) -> list[Giveaway]:
            cursor = conn.execute(
                "SELECT * FROM giveaways WHERE status = 'open' AND ends_at <= ? ORDER BY ends_at",
                (rows.to_text(self._clock.now()),),
            )
            return [_giveaway(row) for row in cursor]

        return await self._db.read(select)
