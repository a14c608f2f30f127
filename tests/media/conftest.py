"""Media fixtures: an app with a short publisher grace period, a live show's URLs, an HTTP session.

`both_rtp_paths` runs a test once with the relay's C fast path (LIVECART_MEDIA_FASTPATH=auto) and once
with its pure-Python fallback (off)."""

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
from livecart.media.native_writer import IMPORT_ERROR, native_available
from tests.support import ADMIN_TOKEN, Api, skip_unless_ci

GRACE_SECONDS = 0.5
MAX_VIEWERS = 6


both_rtp_paths = pytest.mark.parametrize("settings", ["auto", "off"], ids=["native", "python"], indirect=True)


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    fastpath = getattr(request, "param", "auto")
    if hasattr(request, "param") and fastpath == "auto" and not native_available():
        skip_unless_ci(f"the relay's C fast path is not built here: {IMPORT_ERROR}")
    return Settings(
        store=f"sqlite:///{tmp_path / 'livecart.db'}",
        admin_token=ADMIN_TOKEN,
        publisher_grace_seconds=GRACE_SECONDS,
        max_viewers=MAX_VIEWERS,
        whep_offer_rate=(10_000, 1.0),  # the corpora send hundreds of offers from 127.0.0.1
        media_fastpath=fastpath,
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


async def end_show(client: TestClient[Any, Any], show: ShowUnderTest) -> None:
    """The host ends the show (a WHIP DELETE only pauses it): its broadcast, and recording, finish."""
    async with client.post(
        f"/api/shows/{show.id}/end", headers={"Authorization": f"Bearer {show.host_token}"}
    ) as response:
        assert response.status == 200, await response.text()
