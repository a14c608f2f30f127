"""Deployment secrets (`Store.secret`): 32 random bytes per name, made once and kept in the file."""

from __future__ import annotations

import secrets
import sqlite3

from livecart.store.sqlite.db import Database, Migration

MIGRATIONS: list[Migration] = [
    Migration(12, "0004_secrets", "CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)"),
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


class SqliteSecrets:
    _db: Database

    async def secret(self, name: str) -> bytes:
        found = await self._db.read(_read_secret, name)
        return found if found is not None else await self._db.transaction(_make_secret, name)
