"""Media fixtures: an app with a short publisher grace period, a live show's URLs, an HTTP session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from livecart.config import Settings
from livecart.domain.events import Event
from livecart.keys import SERVICES
from tests.support import ADMIN_TOKEN, Api

GRACE_SECONDS = 0.5
MAX_VIEWERS = 6


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        store=f"sqlite:///{tmp_path / 'livecart.db'}",
        admin_token=ADMIN_TOKEN,
        publisher_grace_seconds=GRACE_SECONDS,
        max_viewers=MAX_VIEWERS,
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@dataclass
class ShowUnderTest:
    id: str
    host_token: str
    whip_url: str
    whep_url: str
    events: list[Event]


@pytest.fixture
async def show(api: Api, client: TestClient[Any, Any]) -> ShowUnderTest:
    """A scheduled show of a fresh host, with the bus events published about it recorded."""
    host = await api.create_account("host", "Mia Live")
    created = await api.create_show(host["token"])
    events: list[Event] = []
    client.app[SERVICES].bus.subscribe(events.append)
    base = str(client.make_url("")).rstrip("/")
    return ShowUnderTest(
        id=created["id"],
        host_token=host["token"],
        whip_url=f"{base}/whip/{created['id']}",
        whep_url=f"{base}/whep/{created['id']}",
        events=events,
    )
