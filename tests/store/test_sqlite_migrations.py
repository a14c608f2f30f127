"""SQLite migrations: one list numbered 1…n, run by number, each once; databases written before the
numbering (tests/store/data/before_numbered_migrations.sql) open without running anything again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from livecart.clock import SystemClock
from livecart.domain.models import ProductDraft, Role
from livecart.store.sqlite import MIGRATIONS, SqliteStore
from livecart.store.sqlite.db import Database, Migration, check_migrations

BEFORE_NUMBERING = Path(__file__).parent / "data" / "before_numbered_migrations.sql"
# What that database holds (see the comments at the top of the file).
OLD_HOST_TOKEN = "hiLlYGhxfdj0f90TXVkFlywPwNFpPt2B"
OLD_HOST, OLD_BRAND = "hst_4aaeca3501ba7204", "brd_ccf386e0c3578f84"
NAMES_BEFORE_NUMBERING = [
    "0001_accounts",
    "0002_products",
    "0003_shows",
    "0004_lineup_by_product",
    "commerce_0001_pins_carts_idempotency",
    "commerce_0002_orders_ledger",
    "commerce_0003_order_client_ip",
    "commerce_0004_idempotency_by_time",
    "commerce_0005_orders_with_client_ip",
    "0101_live",
    "0102_live_settings",
    "0004_secrets",
]


def applied(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute("SELECT name, applied_at FROM schema_migrations ORDER BY rowid"))


def old_database(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(BEFORE_NUMBERING.read_text())
    return path


def test_the_migrations_are_numbered_one_to_n_in_order_with_unique_names() -> None:
    assert [migration.number for migration in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert len({migration.name for migration in MIGRATIONS}) == len(MIGRATIONS)


def test_the_first_twelve_keep_the_names_databases_already_recorded() -> None:
    assert [migration.name for migration in MIGRATIONS[:12]] == NAMES_BEFORE_NUMBERING


@pytest.mark.parametrize(
    ("numbers", "problem"),
    [([1, 3], "no gap or repeat"), ([1, 2, 2], r"\[2\] used twice"), ([2, 3], "no gap or repeat")],
)
def test_a_gap_or_a_repeated_number_is_refused(numbers: list[int], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_migrations([Migration(n, f"m{i}", "SELECT 1") for i, n in enumerate(numbers)])


def test_a_repeated_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        check_migrations([Migration(1, "same", "SELECT 1"), Migration(2, "same", "SELECT 1")])


async def test_migrations_run_by_number_whatever_the_order_of_the_list(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "db.sqlite"))
    listed_backwards = [
        Migration(3, "index_notes", "CREATE INDEX notes_by_text ON notes (text)"),
        Migration(2, "notes_text", "ALTER TABLE notes ADD COLUMN text TEXT"),
        Migration(1, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY)"),
    ]

    await db.open(listed_backwards)
    await db.close()

    assert [name for name, _ in applied(tmp_path / "db.sqlite")] == ["notes", "notes_text", "index_notes"]


async def test_a_database_written_before_the_numbering_opens_without_running_anything_again(tmp_path: Path) -> None:
    path = old_database(tmp_path)
    before = applied(path)
    assert sorted(name for name, _ in before) == sorted(NAMES_BEFORE_NUMBERING)

    store = await SqliteStore.open(str(path), clock=SystemClock())
    try:
        host = await store.account_by_token(OLD_HOST_TOKEN)
        (show,) = await store.list_shows()
        (pin,) = await store.active_pins(show.id)
        product = await store.create_product(OLD_BRAND, ProductDraft("SKU-2", "Serum", 2499, "EUR", 3, 1250))
        assert await store.add_to_lineup(show.id, product.id)
    finally:
        await store.close()

    assert host is not None
    assert host.id == OLD_HOST
    assert show.host_id == OLD_HOST
    assert pin.product.sku == "SKU-1"
    after = applied(path)
    assert after[: len(before)] == before  # same names, same times: nothing ran again
    assert [name for name, _ in after[len(before) :]] == [m.name for m in MIGRATIONS[len(before) :]]  # only newer


async def test_a_new_migration_runs_once_on_a_database_written_before_the_numbering(tmp_path: Path) -> None:
    path = old_database(tmp_path)
    before = applied(path)
    later = Migration(len(MIGRATIONS) + 1, "later_feature", "CREATE TABLE later_feature (id TEXT PRIMARY KEY)")

    for _ in range(2):
        db = Database(str(path))
        await db.open([*MIGRATIONS, later])
        await db.close()

    after = applied(path)
    assert after[: len(before)] == before
    assert [name for name, _ in after[len(before) :]] == [m.name for m in MIGRATIONS[len(before) :]] + ["later_feature"]


async def test_a_fresh_database_records_every_migration_once_in_number_order(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    for _ in range(2):
        store = await SqliteStore.open(str(path), clock=SystemClock())
        await store.create_account(Role.VIEWER, "Sam")
        await store.close()

    assert [name for name, _ in applied(path)] == [migration.name for migration in MIGRATIONS]
