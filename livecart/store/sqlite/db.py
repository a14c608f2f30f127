"""One SQLite connection owned by one thread; callers await whole transactions.

Every call runs a function `fn(connection, *args)` on the database thread, so the event loop never
blocks on SQLite and a transaction is never interleaved with another. WAL mode lets the file be read
by other tools while livecart writes; `synchronous=FULL` makes every committed transaction durable
(money tables live here).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")

Migration = tuple[str, str]  # (unique name, SQL script)


class Database:
    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="livecart-sqlite")
        self._conn: sqlite3.Connection | None = None

    async def open(self, migrations: Sequence[Migration]) -> None:
        await self._submit(self._open, migrations)

    def _open(self, migrations: Sequence[Migration]) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        self._conn = conn
        self._migrate(conn, migrations)

    @staticmethod
    def _migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        applied = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
        for name, script in migrations:
            if name in applied:
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ'))",
                    (name,),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    async def read(self, fn: Callable[..., T], *args: object) -> T:
        """Run `fn(conn, *args)` outside an explicit transaction (single statements, reads)."""
        return await self._submit(self._call, fn, args)

    async def transaction(self, fn: Callable[..., T], *args: object) -> T:
        """Run `fn(conn, *args)` inside BEGIN IMMEDIATE … COMMIT; any exception rolls back and propagates."""
        return await self._submit(self._in_transaction, fn, args)

    def _call(self, fn: Callable[..., T], args: tuple[object, ...]) -> T:
        return fn(self._connection, *args)

    def _in_transaction(self, fn: Callable[..., T], args: tuple[object, ...]) -> T:
        conn = self._connection
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn, *args)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    @property
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("database is closed")
        return self._conn

    async def _submit(self, fn: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    async def close(self) -> None:
        if self._conn is not None:
            await self._submit(self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (our scripts use no semicolons inside literals)."""
    return [part.strip() for part in script.split(";") if part.strip()]
