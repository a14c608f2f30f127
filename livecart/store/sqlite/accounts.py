"""Accounts of every role, with their tokens kept as SHA-256 digests."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from livecart.clock import Clock
from livecart.domain import errors
from livecart.domain.ids import hash_token, new_id, new_token
from livecart.domain.models import Account, Role
from livecart.store.sqlite import rows
from livecart.store.sqlite.db import Database, Migration

MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "0001_accounts",
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('host', 'brand', 'viewer')),
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            deleted_at TEXT
        )
        """,
    ),
]

ID_PREFIX = {Role.HOST: "hst", Role.BRAND: "brd", Role.VIEWER: "vwr"}


def account_by_token_in(conn: sqlite3.Connection, token: str) -> Account | None:
    row = conn.execute(
        "SELECT * FROM accounts WHERE token_hash = ? AND deleted_at IS NULL", (hash_token(token),)
    ).fetchone()
    return None if row is None else rows.account(row)


class SqliteAccounts:
    _db: Database
    _clock: Clock

    async def create_account(self, role: Role, name: str) -> tuple[Account, str]:
        token = new_token()
        created = Account(id=new_id(ID_PREFIX[role]), role=role, name=name, created_at=self._clock.now())

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO accounts (id, role, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (created.id, role.value, name, hash_token(token), rows.to_text(created.created_at)),
            )

        await self._db.transaction(insert)
        return created, token

    async def account_by_token(self, token: str) -> Account | None:
        return await self._db.read(account_by_token_in, token)

    async def get_account(self, account_id: str) -> Account | None:
        def find(conn: sqlite3.Connection) -> Account | None:
            row = conn.execute("SELECT * FROM accounts WHERE id = ? AND deleted_at IS NULL", (account_id,)).fetchone()
            return None if row is None else rows.account(row)

        return await self._db.read(find)

    async def delete_account(self, account_id: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "UPDATE accounts SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                (rows.to_text(self._clock.now()), account_id),
            )
            if cursor.rowcount == 0:
                raise errors.no_such_account(account_id)

        await self._db.transaction(delete)

    async def expire_idle_viewers(self, created_before: datetime) -> int:
        def expire(conn: sqlite3.Connection) -> int:
            idle = [
                row[0]
                for row in conn.execute(
                    "SELECT a.id FROM accounts a WHERE a.role = 'viewer' AND a.deleted_at IS NULL"
                    " AND a.created_at < ? AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.buyer_id = a.id)",
                    (rows.to_text(created_before),),
                )
            ]
            now = rows.to_text(self._clock.now())
            for viewer_id in idle:
                conn.execute("UPDATE accounts SET deleted_at = ? WHERE id = ?", (now, viewer_id))
                conn.execute("DELETE FROM cart_items WHERE viewer_id = ?", (viewer_id,))
            return len(idle)

        return await self._db.transaction(expire)
