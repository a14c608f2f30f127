"""Group commit in the SQLite thread: many calls per COMMIT, each still atomic on its own."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from livecart.store.sqlite.db import Database, Migration

MIGRATIONS = [Migration(1, "t", "CREATE TABLE t (n INTEGER PRIMARY KEY, note TEXT NOT NULL)")]


def insert_two(conn: sqlite3.Connection, n: int) -> int:
    conn.execute("INSERT INTO t (n, note) VALUES (?, 'first')", (n * 10,))
    if n % 3 == 0:
        raise ValueError(f"call {n} fails after its first insert")
    conn.execute("INSERT INTO t (n, note) VALUES (?, 'second')", (n * 10 + 1,))
    return n


async def test_concurrent_transactions_share_commits_and_fail_alone(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    db = Database(path)
    await db.open(MIGRATIONS)
    calls = 300

    results = await asyncio.gather(*(db.transaction(insert_two, n) for n in range(calls)), return_exceptions=True)

    failed = [n for n, result in enumerate(results) if isinstance(result, ValueError)]
    assert failed == [n for n in range(calls) if n % 3 == 0]
    assert [result for result in results if not isinstance(result, BaseException)] == [n for n in range(calls) if n % 3]
    assert db.batches < calls, "waiting calls were committed together"
    # Every answered call is already committed: another connection sees exactly the successful ones.
    with sqlite3.connect(path) as other:
        rows = {n for (n,) in other.execute("SELECT n FROM t")}
    assert rows == {n * 10 + k for n in range(calls) if n % 3 for k in (0, 1)}
    await db.close()


async def test_a_read_in_a_batch_sees_earlier_writes_and_a_closed_database_refuses(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "db.sqlite"))
    await db.open(MIGRATIONS)

    def count(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT COUNT(*) FROM t").fetchone()[0])

    write = db.transaction(insert_two, 1)
    read = db.read(count)
    assert list(await asyncio.gather(write, read)) == [1, 2]
    await db.close()
    with pytest.raises(RuntimeError, match="closed"):
        await db.read(count)


def temporary_files() -> list[str]:
    """SQLite's temporary files open in this process (created then unlinked: `… (deleted)`)."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed since listed
            continue
        if "etilqs_" in target:
            found.append(target)
    return found


async def test_a_savepoint_s_journal_stays_in_memory_however_large(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "db.sqlite"))
    await db.open(MIGRATIONS)

    def fill(conn: sqlite3.Connection) -> None:
        conn.executemany("INSERT INTO t (n, note) VALUES (?, ?)", [(n, "x" * 2000) for n in range(200)])

    def rewrite_all(conn: sqlite3.Connection) -> list[str]:
        # every page of t changes inside the call's SAVEPOINT: its sub-journal holds ~400 KiB of old pages
        conn.execute("UPDATE t SET note = ?", ("y" * 2000,))
        return temporary_files()

    await db.transaction(fill)
    assert await db.transaction(rewrite_all) == []
    await db.close()
