"""The contract suite's fixtures: every test in tests/store/test_contract_*.py runs once per store,
against a real SQLite file and against the real redis-server started by the `redis_url` fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from livecart.clock import Clock, SystemClock
from livecart.store import Store, open_store

# Opens a store on the same data; with a clock (e.g. a ManualClock the test moves) instead of the system's.
OpenStore = Callable[..., Awaitable[Store]]


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store's URL: a new SQLite file, or the session's redis-server just flushed."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'contract.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
async def open_stores(store_url: str) -> AsyncIterator[OpenStore]:
    """Factory: open another store on the same data (another node, or the same one after a restart)."""
    opened: list[Store] = []

    async def open_one(clock: Clock | None = None) -> Store:
        store = await open_store(store_url, clock=clock or SystemClock())
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_stores: OpenStore) -> Store:
    return await open_stores()
