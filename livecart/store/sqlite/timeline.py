"""A show's replay timeline in SQLite: every timed event with its store time and recording time."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from livecart.domain.replay import TimelineEvent
from livecart.store.sqlite.db import Database, Migration

MIGRATIONS: list[Migration] = [
    Migration(
        22,
        "replay_timeline",
        """
        CREATE TABLE replay_timeline (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            show_id TEXT NOT NULL,
            type TEXT NOT NULL,
            at TEXT NOT NULL,
            at_ms INTEGER,
            data TEXT NOT NULL
        );
        CREATE INDEX replay_timeline_show ON replay_timeline (show_id, seq)
        """,
    ),
]


def _event(row: sqlite3.Row) -> TimelineEvent:
    return TimelineEvent(
        show_id=row["show_id"],
        type=row["type"],
        at=datetime.fromisoformat(row["at"]),
        at_ms=row["at_ms"],
        data=json.loads(row["data"]),
    )


class SqliteTimeline:
    _db: Database

    async def add_timeline_events(self, events: Sequence[TimelineEvent]) -> None:
        rows = [(e.show_id, e.type, e.at.isoformat(), e.at_ms, json.dumps(dict(e.data))) for e in events]

        def insert(conn: sqlite3.Connection) -> None:
            conn.executemany("INSERT INTO replay_timeline (show_id, type, at, at_ms, data) VALUES (?,?,?,?,?)", rows)

        if rows:
            await self._db.transaction(insert)

    async def timeline(self, show_id: str) -> list[TimelineEvent]:
        def select(conn: sqlite3.Connection) -> list[TimelineEvent]:
            cursor = conn.execute("SELECT * FROM replay_timeline WHERE show_id = ? ORDER BY seq", (show_id,))
            return [_event(row) for row in cursor]

        return await self._db.read(select)
