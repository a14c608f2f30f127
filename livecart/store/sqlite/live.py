"""The live room's state in SQLite: bounded chat and question history, votes, mutes, audience."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from livecart.clock import Clock
from livecart.domain import errors
from livecart.domain.live import Audience, ChatMessage, ChatSettings, Question, QuestionStatus, question_rank
from livecart.store.sqlite.db import Database, Migration

MIGRATIONS: list[Migration] = [
    Migration(
        10,
        "0101_live",
        """
        CREATE TABLE live_chat (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            show_id TEXT NOT NULL,
            viewer_id TEXT NOT NULL,
            name TEXT NOT NULL,
            text TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX live_chat_show ON live_chat (show_id, seq);
        CREATE TABLE live_questions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            show_id TEXT NOT NULL,
            viewer_id TEXT NOT NULL,
            name TEXT NOT NULL,
            text TEXT NOT NULL,
            votes INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL CHECK (status IN ('open', 'answered', 'featured')),
            at TEXT NOT NULL
        );
        CREATE INDEX live_questions_show ON live_questions (show_id, seq);
        CREATE TABLE live_votes (
            question_id TEXT NOT NULL,
            viewer_id TEXT NOT NULL,
            PRIMARY KEY (question_id, viewer_id)
        );
        CREATE TABLE live_mutes (
            show_id TEXT NOT NULL,
            viewer_id TEXT NOT NULL,
            until TEXT NOT NULL,
            PRIMARY KEY (show_id, viewer_id)
        );
        CREATE TABLE live_audience (
            show_id TEXT PRIMARY KEY,
            current_viewers INTEGER NOT NULL DEFAULT 0,
            peak_viewers INTEGER NOT NULL DEFAULT 0,
            chat_messages INTEGER NOT NULL DEFAULT 0,
            questions INTEGER NOT NULL DEFAULT 0
        )
        """,
    ),
    Migration(
        11,
        "0102_live_settings",
        """
        CREATE TABLE live_settings (
            show_id TEXT PRIMARY KEY,
            slow_mode_s REAL NOT NULL DEFAULT 0,
            blocked_words TEXT NOT NULL DEFAULT '[]'
        )
        """,
    ),
]


def _message(row: sqlite3.Row) -> ChatMessage:
    return ChatMessage(
        id=row["id"],
        show_id=row["show_id"],
        viewer_id=row["viewer_id"],
        name=row["name"],
        text=row["text"],
        at=datetime.fromisoformat(row["at"]),
    )


def _question(row: sqlite3.Row) -> Question:
    return Question(
        id=row["id"],
        show_id=row["show_id"],
        viewer_id=row["viewer_id"],
        name=row["name"],
        text=row["text"],
        votes=row["votes"],
        status=QuestionStatus(row["status"]),
        at=datetime.fromisoformat(row["at"]),
    )


def _fetch_question(conn: sqlite3.Connection, show_id: str, question_id: str) -> Question | None:
    row = conn.execute("SELECT * FROM live_questions WHERE id = ? AND show_id = ?", (question_id, show_id)).fetchone()
    return None if row is None else _question(row)


def _audience(conn: sqlite3.Connection, show_id: str) -> Audience:
    row = conn.execute("SELECT * FROM live_audience WHERE show_id = ?", (show_id,)).fetchone()
    if row is None:
        return Audience()
    return Audience(
        current_viewers=row["current_viewers"],
        peak_viewers=row["peak_viewers"],
        chat_messages=row["chat_messages"],
        questions=row["questions"],
    )


def _bump(conn: sqlite3.Connection, show_id: str, column: str, delta: int) -> None:
    conn.execute("INSERT OR IGNORE INTO live_audience (show_id) VALUES (?)", (show_id,))
    conn.execute(f"UPDATE live_audience SET {column} = MAX(0, {column} + ?) WHERE show_id = ?", (delta, show_id))


class SqliteLive:
    _db: Database
    _clock: Clock

    async def add_chat(self, show_id: str, messages: Sequence[ChatMessage], keep: int) -> None:
        rows = [(m.id, show_id, m.viewer_id, m.name, m.text, m.at.isoformat()) for m in messages]

        def insert(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO live_chat (id, show_id, viewer_id, name, text, at) VALUES (?,?,?,?,?,?)", rows
            )
            conn.execute(
                "DELETE FROM live_chat WHERE show_id = ? AND seq <= "
                "(SELECT seq FROM live_chat WHERE show_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                (show_id, show_id, keep),
            )
            _bump(conn, show_id, "chat_messages", len(rows))

        await self._db.transaction(insert)

    async def recent_chat(self, show_id: str, limit: int) -> list[ChatMessage]:
        def select(conn: sqlite3.Connection) -> list[ChatMessage]:
            cursor = conn.execute(
                "SELECT * FROM live_chat WHERE show_id = ? ORDER BY seq DESC LIMIT ?", (show_id, limit)
            )
            return [_message(row) for row in reversed(cursor.fetchall())]

        return await self._db.read(select)

    async def delete_chat(self, show_id: str, message_id: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute("DELETE FROM live_chat WHERE id = ? AND show_id = ?", (message_id, show_id))
            return cursor.rowcount == 1

        return await self._db.transaction(delete)

    async def add_question(self, question: Question, keep: int) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO live_questions (id, show_id, viewer_id, name, text, votes, status, at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (
                    question.id,
                    question.show_id,
                    question.viewer_id,
                    question.name,
                    question.text,
                    question.votes,
                    question.status.value,
                    question.at.isoformat(),
                ),
            )
            old = conn.execute(
                "SELECT id FROM live_questions WHERE show_id = ? ORDER BY seq DESC LIMIT -1 OFFSET ?",
                (question.show_id, keep),
            ).fetchall()
            for row in old:
                conn.execute("DELETE FROM live_votes WHERE question_id = ?", (row["id"],))
                conn.execute("DELETE FROM live_questions WHERE id = ?", (row["id"],))
            _bump(conn, question.show_id, "questions", 1)

        await self._db.transaction(insert)

    async def get_question(self, show_id: str, question_id: str) -> Question | None:
        return await self._db.read(_fetch_question, show_id, question_id)

    async def upvote(self, show_id: str, question_id: str, viewer_id: str) -> tuple[Question, bool]:
        def vote(conn: sqlite3.Connection) -> tuple[Question, bool]:
            if _fetch_question(conn, show_id, question_id) is None:
                raise errors.no_such_question(question_id)
            cursor = conn.execute(
                "INSERT OR IGNORE INTO live_votes (question_id, viewer_id) VALUES (?, ?)",
                (question_id, viewer_id),
            )
            counted = cursor.rowcount == 1
            if counted:
                conn.execute("UPDATE live_questions SET votes = votes + 1 WHERE id = ?", (question_id,))
            question = _fetch_question(conn, show_id, question_id)
            assert question is not None
            return question, counted

        return await self._db.transaction(vote)

    async def set_question_status(self, show_id: str, question_id: str, status: QuestionStatus) -> Question:
        def update(conn: sqlite3.Connection) -> Question:
            conn.execute(
                "UPDATE live_questions SET status = ? WHERE id = ? AND show_id = ?",
                (status.value, question_id, show_id),
            )
            question = _fetch_question(conn, show_id, question_id)
            if question is None:
                raise errors.no_such_question(question_id)
            return question

        return await self._db.transaction(update)

    async def top_questions(self, show_id: str, limit: int) -> list[Question]:
        def select(conn: sqlite3.Connection) -> list[Question]:
            cursor = conn.execute("SELECT * FROM live_questions WHERE show_id = ?", (show_id,))
            return sorted((_question(row) for row in cursor), key=question_rank)[:limit]

        return await self._db.read(select)

    async def mute(self, show_id: str, viewer_id: str, until: datetime) -> None:
        def upsert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO live_mutes (show_id, viewer_id, until) VALUES (?, ?, ?)"
                " ON CONFLICT (show_id, viewer_id) DO UPDATE SET until = excluded.until",
                (show_id, viewer_id, until.isoformat()),
            )

        await self._db.transaction(upsert)

    async def muted_until(self, show_id: str, viewer_id: str) -> datetime | None:
        def select(conn: sqlite3.Connection) -> datetime | None:
            row = conn.execute(
                "SELECT until FROM live_mutes WHERE show_id = ? AND viewer_id = ?", (show_id, viewer_id)
            ).fetchone()
            return None if row is None else datetime.fromisoformat(row["until"])

        until = await self._db.read(select)
        return until if until is not None and until > self._clock.now() else None

    async def set_chat_settings(self, show_id: str, settings: ChatSettings) -> None:
        def upsert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO live_settings (show_id, slow_mode_s, blocked_words) VALUES (?, ?, ?)"
                " ON CONFLICT (show_id) DO UPDATE SET slow_mode_s = excluded.slow_mode_s,"
                " blocked_words = excluded.blocked_words",
                (show_id, settings.slow_mode_s, json.dumps(list(settings.blocked_words))),
            )

        await self._db.transaction(upsert)

    async def chat_settings(self, show_id: str) -> ChatSettings:
        def select(conn: sqlite3.Connection) -> ChatSettings:
            row = conn.execute("SELECT * FROM live_settings WHERE show_id = ?", (show_id,)).fetchone()
            if row is None:
                return ChatSettings()
            return ChatSettings(slow_mode_s=row["slow_mode_s"], blocked_words=tuple(json.loads(row["blocked_words"])))

        return await self._db.read(select)

    async def count_viewers(self, show_id: str, delta: int) -> Audience:
        def count(conn: sqlite3.Connection) -> Audience:
            _bump(conn, show_id, "current_viewers", delta)
            conn.execute(
                "UPDATE live_audience SET peak_viewers = MAX(peak_viewers, current_viewers) WHERE show_id = ?",
                (show_id,),
            )
            return _audience(conn, show_id)

        return await self._db.transaction(count)

    async def audience(self, show_id: str) -> Audience:
        return await self._db.read(_audience, show_id)
