"""Saved shipping addresses and cards (the provider's token, never the number), and shows' poster frames."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime

from livecart.clock import Clock
from livecart.domain.profiles import Poster, SavedCard
from livecart.store.sqlite import rows
from livecart.store.sqlite.db import Database, Migration

MIGRATIONS: list[Migration] = [
    Migration(
        27,
        "profiles",
        """
        CREATE TABLE account_profiles (
            account_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('address', 'card')),
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (account_id, kind)
        );
        CREATE TABLE show_posters (
            show_id TEXT PRIMARY KEY,
            content_type TEXT NOT NULL,
            data BLOB NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    ),
]


class SqliteProfiles:
    _db: Database
    _clock: Clock

    async def _get(self, account_id: str, kind: str) -> dict[str, str] | None:
        def find(conn: sqlite3.Connection) -> dict[str, str] | None:
            row = conn.execute(
                "SELECT value FROM account_profiles WHERE account_id = ? AND kind = ?", (account_id, kind)
            ).fetchone()
            return None if row is None else dict(json.loads(row[0]))

        return await self._db.read(find)

    async def _put(self, account_id: str, kind: str, value: Mapping[str, str]) -> None:
        def put(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO account_profiles (account_id, kind, value, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (account_id, kind)"
                " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (account_id, kind, json.dumps(dict(value), sort_keys=True), rows.to_text(self._clock.now())),
            )

        await self._db.transaction(put)

    async def shipping_address(self, account_id: str) -> dict[str, str] | None:
        return await self._get(account_id, "address")

    async def save_shipping_address(self, account_id: str, address: Mapping[str, str]) -> None:
        await self._put(account_id, "address", address)

    async def payment_method(self, account_id: str) -> SavedCard | None:
        found = await self._get(account_id, "card")
        if found is None:
            return None
        created = rows.from_text(found["created_at"])
        assert created is not None
        return SavedCard(token=found["token"], brand=found["brand"], last4=found["last4"], created_at=created)

    async def save_payment_method(self, account_id: str, card: SavedCard) -> None:
        created = rows.to_text(card.created_at)
        assert created is not None
        await self._put(
            account_id, "card", {"token": card.token, "brand": card.brand, "last4": card.last4, "created_at": created}
        )

    async def forget_payment_method(self, account_id: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM account_profiles WHERE account_id = ? AND kind = 'card'", (account_id,))

        await self._db.transaction(delete)

    async def show_poster(self, show_id: str) -> Poster | None:
        def find(conn: sqlite3.Connection) -> Poster | None:
            row = conn.execute(
                "SELECT content_type, data, updated_at FROM show_posters WHERE show_id = ?", (show_id,)
            ).fetchone()
            if row is None:
                return None
            updated = rows.from_text(row[2])
            assert updated is not None
            return Poster(content_type=row[0], data=bytes(row[1]), updated_at=updated)

        return await self._db.read(find)

    async def save_show_poster(self, show_id: str, poster: Poster) -> None:
        def put(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO show_posters (show_id, content_type, data, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (show_id) DO UPDATE SET content_type = excluded.content_type, data = excluded.data,"
                " updated_at = excluded.updated_at",
                (show_id, poster.content_type, poster.data, rows.to_text(poster.updated_at)),
            )

        await self._db.transaction(put)

    async def show_poster_times(self, show_ids: Sequence[str]) -> dict[str, datetime]:
        wanted = list(dict.fromkeys(show_ids))

        def find(conn: sqlite3.Connection) -> dict[str, datetime]:
            found: dict[str, datetime] = {}
            for start in range(0, len(wanted), 500):  # under SQLite's limit of bound parameters
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for row in conn.execute(
                    f"SELECT show_id, updated_at FROM show_posters WHERE show_id IN ({marks})", chunk
                ):
                    moment = rows.from_text(row[1])
                    if moment is not None:
                        found[row[0]] = moment
            return found

        return await self._db.read(find)
