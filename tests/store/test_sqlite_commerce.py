"""SQLite specifics of the commerce store: the ledger is append-only in the schema itself.

Recovery after a crash is in the contract suite (tests/store/test_contract_recovery.py), on both stores."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from livecart.clock import SystemClock
from livecart.domain.ledger import sale_entries
from livecart.domain.models import utcnow
from livecart.store.sqlite import SqliteStore
from tests.store.test_contract_recovery import pending_order


async def test_the_ledger_refuses_updates_and_deletes(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "db.sqlite"), clock=SystemClock())
    order = await pending_order(store, "k1")
    await store.mark_order_paid(order.id, "ch_1", utcnow(), sale_entries(order, utcnow()), None)
    await store.close()
    conn = sqlite3.connect(tmp_path / "db.sqlite")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE ledger SET amount_cents = 0")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM ledger")
    conn.close()
