"""No sqlite3 exception leaves the SQLite store: the Database translates constraint failures into
domain errors by constraint, and a database that cannot be written into StoreUnavailable (a 503)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from livecart.clock import SystemClock
from livecart.domain import errors
from livecart.domain.models import Role
from livecart.store import STORE_UNAVAILABLE, StoreUnavailable
from livecart.store.sqlite import SqliteStore
from livecart.store.sqlite.catalog import SKU_TAKEN
from livecart.store.sqlite.db import Constraint, Database, Migration
from tests.store import factories

SCHEMA = [
    Migration(
        1,
        "things",
        """
        CREATE TABLE owners (id TEXT PRIMARY KEY);
        CREATE TABLE things (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL REFERENCES owners(id),
            code TEXT NOT NULL,
            size INTEGER NOT NULL CHECK (size >= 0),
            UNIQUE (owner, code)
        );
        CREATE TRIGGER things_kept BEFORE DELETE ON things BEGIN SELECT RAISE(ABORT, 'things are kept'); END
        """,
    )
]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(str(tmp_path / "db.sqlite"))
    await database.open(SCHEMA)
    await database.transaction(lambda conn: conn.execute("INSERT INTO owners VALUES ('o1')"))
    await database.transaction(lambda conn: conn.execute("INSERT INTO things VALUES ('t1', 'o1', 'A', 1)"))
    yield database
    await database.close()


Write = Callable[[sqlite3.Connection], None]


def insert(thing_id: str, owner: str, code: str | None, size: int | None) -> Write:
    def run(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO things VALUES (?, ?, ?, ?)", (thing_id, owner, code, size))

    return run


async def test_each_kind_of_constraint_becomes_its_domain_error(db: Database) -> None:
    cases: list[tuple[Write, type[errors.LivecartError], dict[str, str]]] = [
        (insert("t2", "o1", "A", 1), errors.Conflict, {"constraint": "things.owner, things.code"}),
        (insert("t1", "o1", "B", 1), errors.Conflict, {"constraint": "things.id"}),
        (insert("t2", "nobody", "B", 1), errors.NotFound, {}),
        (insert("t2", "o1", None, 1), errors.BadRequest, {"constraint": "things.code"}),
        (insert("t2", "o1", "B", -1), errors.BadRequest, {"constraint": "size >= 0"}),
    ]
    for call, kind, details in cases:
        with pytest.raises(errors.LivecartError) as caught:
            await db.transaction(call)
        assert type(caught.value) is kind
        assert caught.value.details == details
        assert isinstance(caught.value.__cause__, sqlite3.IntegrityError)

    with pytest.raises(errors.Conflict, match="things are kept"):
        await db.transaction(lambda conn: conn.execute("DELETE FROM things"))


async def test_a_caller_names_the_error_of_the_constraint_it_expects_and_only_that_one(db: Database) -> None:
    code_taken = Constraint.unique("things", "owner", "code")
    expected = {code_taken: lambda: errors.Conflict("this owner already has a thing with that code", code="A")}

    with pytest.raises(errors.Conflict) as named:
        await db.transaction(insert("t2", "o1", "A", 1), on_constraint=expected)
    with pytest.raises(errors.Conflict) as other:
        await db.transaction(insert("t1", "o1", "Z", 1), on_constraint=expected)

    assert named.value.details == {"code": "A"}
    assert other.value.details == {"constraint": "things.id"}  # the id's uniqueness is not the code's


async def test_the_catalog_calls_only_the_sku_constraint_a_duplicate_sku(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "store.db"), clock=SystemClock())
    brand = await factories.brand(store)
    product = await factories.product(store, brand.id)

    def same_id_other_sku(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO products SELECT id, brand_id, 'OTHER', title, price_cents, currency, stock, commission_bps,"
            " image_url, description, created_at, updated_at FROM products WHERE id = ?",
            (product.id,),
        )

    with pytest.raises(errors.Conflict) as caught:
        await store._db.transaction(same_id_other_sku, on_constraint={SKU_TAKEN: lambda: errors.duplicate_sku("X")})
    await store.close()

    assert caught.value.details == {"constraint": "products.id"}


async def test_a_full_disk_is_store_unavailable_and_the_store_keeps_serving_reads(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "store.db"), clock=SystemClock())
    account, token = await store.create_account(Role.VIEWER, "Sam")
    # The file may not grow past its current size: the next page SQLite needs is "disk full".
    pages = await store._db.read(lambda conn: int(conn.execute("PRAGMA page_count").fetchone()[0]))
    await store._db.read(lambda conn: conn.execute(f"PRAGMA max_page_count = {pages}"))
    big_name = "x" * 1_000_000

    with pytest.raises(StoreUnavailable, match="full") as caught:
        await store.create_account(Role.VIEWER, big_name)

    assert isinstance(caught.value, STORE_UNAVAILABLE)
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert await store.account_by_token(token) == account
    await store.close()


async def test_a_statement_sqlite_cannot_run_is_a_bug_not_an_outage(db: Database) -> None:
    with pytest.raises(RuntimeError, match="no such table") as caught:
        await db.read(lambda conn: conn.execute("SELECT * FROM nowhere"))

    assert not isinstance(caught.value, STORE_UNAVAILABLE)
