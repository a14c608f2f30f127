from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, TCPConnector


@pytest.fixture
async def session() -> AsyncIterator[ClientSession]:
    async with ClientSession(connector=TCPConnector(limit=60)) as session:
        yield session
