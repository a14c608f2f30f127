"""A show left `live` by a node that stopped is paused by the next node to start, unless its host
publishes again within the grace period; a pause longer than LIVECART_PAUSE_END_S ends it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from aiortc.mediastreams import AudioStreamTrack

from livecart import keys
from livecart.app import create_app
from livecart.clock import Clock, ManualClock
from livecart.config import Settings
from livecart.media.clients import WhipPublisher
from livecart.media.synthetic import PatternTrack
from tests.support import ADMIN_TOKEN

GRACE_SECONDS = 1.0
PAUSE_END_S = 30.0


async def node(database: Path, clock: Clock | None = None) -> TestServer:
    settings = Settings(
        store=f"sqlite:///{database}",
        admin_token=ADMIN_TOKEN,
        publisher_grace_seconds=GRACE_SECONDS,
        pause_end_s=PAUSE_END_S,
    )
    server = TestServer(create_app(settings, clock=clock))
    await server.start_server()
    return server


async def grace_period_passes(server: TestServer, clock: ManualClock) -> None:
    """Move the node's clock past the grace period and wait for its look for orphans to finish."""
    check = server.app[keys.SERVICES].lifecycle.orphan_check
    assert check is not None
    assert not check.done(), "the node looked before its grace period passed"
    await clock.advance(GRACE_SECONDS + 0.5)
    await asyncio.wait_for(check, timeout=10)


async def call(
    http: aiohttp.ClientSession,
    server: TestServer,
    method: str,
    path: str,
    token: str,
    body: dict[str, Any] | None = None,
) -> Any:
    async with http.request(
        method, server.make_url(path), json=body, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status < 300, await response.text()
        return await response.json()


async def live_show_on_a_stopped_node(http: aiohttp.ClientSession, database: Path) -> tuple[str, str]:
    first = await node(database)
    host = await call(http, first, "POST", "/api/hosts", ADMIN_TOKEN, {"name": "Mia"})
    show = await call(http, first, "POST", "/api/shows", host["token"], {"title": "Glow"})
    publisher = await WhipPublisher.start(
        http, str(first.make_url(f"/whip/{show['id']}")), host["token"], PatternTrack(), AudioStreamTrack()
    )
    assert (await call(http, first, "GET", f"/api/shows/{show['id']}", host["token"]))["status"] == "live"
    await first.close()  # a graceful stop: the publisher's peer closes, the show is not ended
    await publisher.stop(delete=False)
    return show["id"], host["token"]


async def test_the_next_node_pauses_a_show_nobody_publishes_and_ends_it_after_the_pause_limit(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    show_id, token = await live_show_on_a_stopped_node(http, tmp_path / "db")
    clock = ManualClock()
    second = await node(tmp_path / "db", clock)
    assert (await call(http, second, "GET", f"/api/shows/{show_id}", token))["status"] == "live"
    await grace_period_passes(second, clock)
    assert (await call(http, second, "GET", f"/api/shows/{show_id}", token))["status"] == "paused"

    await clock.advance(PAUSE_END_S - 10)  # sweeps run, the pause is not over
    assert (await call(http, second, "GET", f"/api/shows/{show_id}", token))["status"] == "paused"
    await clock.advance(15)
    for _ in range(100):
        if (await call(http, second, "GET", f"/api/shows/{show_id}", token))["status"] == "ended":
            break
        await asyncio.sleep(0.05)
    assert (await call(http, second, "GET", f"/api/shows/{show_id}", token))["status"] == "ended"
    await second.close()


async def test_a_host_who_publishes_again_within_the_grace_period_keeps_the_show_live(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    show_id, token = await live_show_on_a_stopped_node(http, tmp_path / "db")
    clock = ManualClock()
    second = await node(tmp_path / "db", clock)
    publisher = await WhipPublisher.start(
        http, str(second.make_url(f"/whip/{show_id}")), token, PatternTrack(), AudioStreamTrack()
    )
    await grace_period_passes(second, clock)
    assert (await call(http, second, "GET", f"/api/shows/{show_id}", token))["status"] == "live"
    await publisher.stop()
    await second.close()
