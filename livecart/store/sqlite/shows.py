"""Shows, their status and their lineup of featured products."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from livecart.clock import Clock
from livecart.domain import errors, store_checks, webhooks
from livecart.domain.ids import new_id
from livecart.domain.models import Product, Show, ShowStatus, show_list_order, show_status_stamp
from livecart.store.sqlite import rows
from livecart.store.sqlite.catalog import fetch_product
from livecart.store.sqlite.db import Database, Migration
from livecart.store.sqlite.rows import live_account_exists
from livecart.store.sqlite.webhooks import write_event

MIGRATIONS: list[Migration] = [
    Migration(
        3,
        "0003_shows",
        """
        CREATE TABLE shows (
            id TEXT PRIMARY KEY,
            host_id TEXT NOT NULL REFERENCES accounts(id),
            title TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('scheduled', 'live', 'ended')),
            scheduled_at TEXT,
            started_at TEXT,
            ended_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX shows_host ON shows (host_id);
        CREATE TABLE lineup (
            show_id TEXT NOT NULL REFERENCES shows(id),
            product_id TEXT NOT NULL REFERENCES products(id),
            added_at TEXT NOT NULL,
            PRIMARY KEY (show_id, product_id)
        )
        """,
    ),
    Migration(4, "0004_lineup_by_product", "CREATE INDEX lineup_product ON lineup (product_id)"),
    # A paused show keeps status 'live' in its row (the CHECK above cannot change without rebuilding
    # the table) and has `paused_at` set; rows.show reads it back as `paused`.
    Migration(23, "0023_shows_paused_at", "ALTER TABLE shows ADD COLUMN paused_at TEXT"),
]


def fetch_show(conn: sqlite3.Connection, show_id: str) -> Show | None:
    row = conn.execute("SELECT * FROM shows WHERE id = ?", (show_id,)).fetchone()
    return None if row is None else rows.show(row)


class SqliteShows:
    _db: Database
    _clock: Clock

    async def create_show(self, host_id: str, title: str, scheduled_at: datetime | None) -> Show:
        store_checks.instant("scheduled_at", scheduled_at)
        show = Show(
            id=new_id("shw"),
            host_id=host_id,
            title=title,
            status=ShowStatus.SCHEDULED,
            scheduled_at=scheduled_at,
            started_at=None,
            ended_at=None,
            created_at=self._clock.now(),
        )

        def insert(conn: sqlite3.Connection) -> None:
            if not live_account_exists(conn, host_id):
                raise errors.no_such_account(host_id)
            conn.execute(
                "INSERT INTO shows (id, host_id, title, status, scheduled_at, created_at) VALUES (?,?,?,?,?,?)",
                (show.id, host_id, title, show.status.value, rows.to_text(scheduled_at), rows.to_text(show.created_at)),
            )

        await self._db.transaction(insert)
        return show

    async def get_show(self, show_id: str) -> Show | None:
        return await self._db.read(fetch_show, show_id)

    async def list_shows(self) -> list[Show]:
        def select(conn: sqlite3.Connection) -> list[Show]:
            listed = conn.execute(  # share links' storefronts are not shows anyone watches
                "SELECT * FROM shows WHERE id NOT IN"
                " (SELECT storefront_show_id FROM share_links WHERE storefront_show_id IS NOT NULL)"
            )
            return sorted((rows.show(row) for row in listed), key=show_list_order)

        return await self._db.read(select)

    async def set_show_status(self, show_id: str, status: ShowStatus) -> Show:
        def update(conn: sqlite3.Connection) -> Show:
            show = fetch_show(conn, show_id)
            if show is None:
                raise errors.no_such_show(show_id)
            if not store_checks.show_status_change(show.status, status):
                return show
            stamp = show_status_stamp(show.status, status)
            stored = ShowStatus.LIVE if status is ShowStatus.PAUSED else status
            now = rows.to_text(self._clock.now())
            conn.execute(
                "UPDATE shows SET status = ?, paused_at = ? WHERE id = ?",
                (stored.value, now if status is ShowStatus.PAUSED else None, show_id),
            )
            if stamp in ("started_at", "ended_at"):
                conn.execute(f"UPDATE shows SET {stamp} = ? WHERE id = ?", (now, show_id))
            updated = fetch_show(conn, show_id)
            assert updated is not None
            write_event(conn, webhooks.show_changed(show.status, updated, self._clock.now()))  # the webhook outbox
            return updated

        return await self._db.transaction(update)

    async def add_to_lineup(self, show_id: str, product_id: str) -> bool:
        def insert(conn: sqlite3.Connection) -> bool:
            if fetch_show(conn, show_id) is None:
                raise errors.no_such_show(show_id)
            if fetch_product(conn, product_id) is None:
                raise errors.no_such_product(product_id)
            cursor = conn.execute(
                "INSERT OR IGNORE INTO lineup (show_id, product_id, added_at) VALUES (?, ?, ?)",
                (show_id, product_id, rows.to_text(self._clock.now())),
            )
            return cursor.rowcount == 1

        return await self._db.transaction(insert)

    async def lineup(self, show_id: str) -> list[Product]:
        def select(conn: sqlite3.Connection) -> list[Product]:
            cursor = conn.execute(
                "SELECT p.* FROM lineup l JOIN products p ON p.id = l.product_id"
                " WHERE l.show_id = ? ORDER BY l.added_at, p.id",
                (show_id,),
            )
            return [rows.product(row) for row in cursor]

        return await self._db.read(select)

    async def shows_featuring(self, product_id: str) -> list[Show]:
        def select(conn: sqlite3.Connection) -> list[Show]:
            cursor = conn.execute(
                "SELECT s.* FROM lineup l JOIN shows s ON s.id = l.show_id WHERE l.product_id = ? ORDER BY s.id",
                (product_id,),
            )
            return [rows.show(row) for row in cursor]

        return await self._db.read(select)
