"""The SQLite file: WAL, durable commits, migrations applied once and re-opened safely."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from livecart.clock import SystemClock
from livecart.domain.models import Role
from livecart.store.sqlite import MIGRATIONS, SqliteStore


async def test_reopening_keeps_data_and_does_not_rerun_migrations(tmp_path: Path) -> None:
    path = str(tmp_path / "livecart.db")
    store = await SqliteStore.open(path, clock=SystemClock())
    account, token = await store.create_account(Role.HOST, "Mia")
    await store.close()

    reopened = await SqliteStore.open(path, clock=SystemClock())
    assert await reopened.account_by_token(token) == account
    await reopened.close()

    with sqlite3.connect(path) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
        assert names == sorted(migration.name for migration in MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_tokens_are_stored_only_as_digests(tmp_path: Path) -> None:
    path = str(tmp_path / "livecart.db")
    store = await SqliteStore.open(path, clock=SystemClock())
    _, token = await store.create_account(Role.VIEWER, "Sam")
    await store.close()
    assert_not_in_file(token, path)
    with sqlite3.connect(path) as conn:
        (stored,) = conn.execute("SELECT token_hash FROM accounts").fetchone()
    assert stored != token
    assert len(stored) == 64


def assert_not_in_file(secret: str, path: str) -> None:
    with open(path, "rb") as database:
        assert secret.encode() not in database.read()
