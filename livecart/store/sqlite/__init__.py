"""The embedded store: one SQLite file (WAL, synchronous=FULL), migrated on open."""

from __future__ import annotations

import secrets
import sqlite3

from livecart.clock import Clock
from livecart.store.sqlite import accounts, campaigns, catalog, cohosts, commerce, live, orders, payouts, shows
from livecart.store.sqlite.accounts import SqliteAccounts
from livecart.store.sqlite.campaigns import SqliteCampaigns
from livecart.store.sqlite.catalog import SqliteCatalog
from livecart.store.sqlite.cohosts import SqliteCohosts
from livecart.store.sqlite.commerce import SqliteCommerce
from livecart.store.sqlite.db import Database, Migration
from livecart.store.sqlite.live import SqliteLive
from livecart.store.sqlite.orders import SqliteOrders
from livecart.store.sqlite.payouts import SqlitePayouts
from livecart.store.sqlite.shows import SqliteShows

MIGRATIONS: list[Migration] = [
    *accounts.MIGRATIONS,
    *catalog.MIGRATIONS,
    *shows.MIGRATIONS,
    *commerce.MIGRATIONS,
    *orders.MIGRATIONS,
    *live.MIGRATIONS,
    ("0004_secrets", "CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)"),
    *cohosts.MIGRATIONS,
    *payouts.MIGRATIONS,
    *campaigns.MIGRATIONS,
]

SECRET_BYTES = 32


def _read_secret(conn: sqlite3.Connection, name: str) -> bytes | None:
    row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
    return None if row is None else bytes(row[0])


def _make_secret(conn: sqlite3.Connection, name: str) -> bytes:
    conn.execute(
        "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        (name, secrets.token_bytes(SECRET_BYTES)),
    )
    value = _read_secret(conn, name)
    assert value is not None
    return value


class SqliteStore(
    SqliteAccounts,
    SqliteCatalog,
    SqliteShows,
    SqliteCommerce,
    SqliteOrders,
    SqliteCampaigns,
    SqliteCohosts,
    SqlitePayouts,
    SqliteLive,
):
    def __init__(self, db: Database, *, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    @classmethod
    async def open(cls, path: str, *, clock: Clock) -> SqliteStore:
        """Open (creating if needed) and migrate the database file at `path`; `clock` stamps every record."""
        db = Database(path)
        await db.open(MIGRATIONS)
        return cls(db, clock=clock)

    async def ping(self) -> None:
        await self._db.read(lambda conn: conn.execute("SELECT 1").fetchone())

    async def secret(self, name: str) -> bytes:
        found = await self._db.read(_read_secret, name)
        return found if found is not None else await self._db.transaction(_make_secret, name)

    async def close(self) -> None:
        await self._db.close()
