"""A show's co-hosts and their shares of its commission (one row per show and co-host)."""

from __future__ import annotations

import sqlite3

from livecart.clock import Clock
from livecart.domain import errors
from livecart.domain.money import BPS_DENOMINATOR
from livecart.domain.shares import Cohost, CohostStatus
from livecart.store.sqlite import rows
from livecart.store.sqlite.db import Database, Migration

MIGRATIONS: list[Migration] = [
    Migration(
        16,
        "connect_cohosts",
        """
        CREATE TABLE cohosts (
            show_id TEXT NOT NULL REFERENCES shows(id),
            host_id TEXT NOT NULL REFERENCES accounts(id),
            share_bps INTEGER NOT NULL CHECK (share_bps BETWEEN 1 AND 10000),
            status TEXT NOT NULL CHECK (status IN ('invited', 'active')),
            seq INTEGER NOT NULL,
            invited_at TEXT NOT NULL,
            accepted_at TEXT,
            PRIMARY KEY (show_id, host_id)
        )
        """,
    ),
]


def _cohost(row: sqlite3.Row) -> Cohost:
    invited = rows.from_text(row["invited_at"])
    assert invited is not None
    return Cohost(
        show_id=row["show_id"],
        host_id=row["host_id"],
        share_bps=row["share_bps"],
        status=CohostStatus(row["status"]),
        invited_at=invited,
        accepted_at=rows.from_text(row["accepted_at"]),
    )


def _fetch(conn: sqlite3.Connection, show_id: str, host_id: str) -> Cohost | None:
    row = conn.execute("SELECT * FROM cohosts WHERE show_id = ? AND host_id = ?", (show_id, host_id)).fetchone()
    return None if row is None else _cohost(row)


class SqliteCohosts:
    _db: Database
    _clock: Clock

    async def invite_cohost(self, show_id: str, host_id: str, share_bps: int) -> Cohost:
        if not 1 <= share_bps <= BPS_DENOMINATOR:
            raise ValueError("share_bps must be from 1 to 10000")
        cohost = Cohost(show_id, host_id, share_bps, CohostStatus.INVITED, self._clock.now())

        def invite(conn: sqlite3.Connection) -> Cohost:
            if _fetch(conn, show_id, host_id) is not None:
                raise errors.already_cohost(host_id)
            taken, count = conn.execute(
                "SELECT COALESCE(SUM(share_bps), 0), COUNT(*) FROM cohosts WHERE show_id = ?", (show_id,)
            ).fetchone()
            if taken + share_bps > BPS_DENOMINATOR:
                raise errors.shares_exceed_total(taken)
            conn.execute(
                "INSERT INTO cohosts (show_id, host_id, share_bps, status, seq, invited_at)"
                " VALUES (?, ?, ?, 'invited', ?, ?)",
                (show_id, host_id, share_bps, count, rows.to_text(cohost.invited_at)),
            )
            return cohost

        return await self._db.transaction(invite)

    async def accept_cohost(self, show_id: str, host_id: str) -> Cohost:
        now = rows.to_text(self._clock.now())

        def accept(conn: sqlite3.Connection) -> Cohost:
            conn.execute(
                "UPDATE cohosts SET status = 'active', accepted_at = ?"
                " WHERE show_id = ? AND host_id = ? AND status = 'invited'",
                (now, show_id, host_id),
            )
            found = _fetch(conn, show_id, host_id)
            if found is None:
                raise errors.not_invited_cohost(host_id)
            return found

        return await self._db.transaction(accept)

    async def cohosts(self, show_id: str) -> list[Cohost]:
        def select(conn: sqlite3.Connection) -> list[Cohost]:
            query = "SELECT * FROM cohosts WHERE show_id = ? ORDER BY seq"
            return [_cohost(row) for row in conn.execute(query, (show_id,))]

        return await self._db.read(select)
