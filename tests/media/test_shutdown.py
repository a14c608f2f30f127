"""Stopping the server closes every peer: viewers see their connection end, not a silent stall."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer
from aiortc.mediastreams import AudioStreamTrack

from livecart.app import create_app
from livecart.config import Settings
from livecart.media.clients import WhepViewer, WhipPublisher
from livecart.media.synthetic import PatternTrack
from tests.media.test_whip_whep import eventually
from tests.support import ADMIN_TOKEN


async def test_shutting_down_closes_the_publisher_and_every_viewer(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    server = TestServer(create_app(Settings(store=f"sqlite:///{tmp_path / 'db'}", admin_token=ADMIN_TOKEN)))
    await server.start_server()
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with http.post(server.make_url("/api/hosts"), json={"name": "Mia"}, headers=admin) as response:
        host = await response.json()
    host_auth = {"Authorization": f"Bearer {host['token']}"}
    async with http.post(server.make_url("/api/shows"), json={"title": "Glow"}, headers=host_auth) as response:
        show = await response.json()
    publisher = await WhipPublisher.start(
        http, str(server.make_url(f"/whip/{show['id']}")), host["token"], PatternTrack(), AudioStreamTrack()
    )
    viewers = [await WhepViewer.start(http, str(server.make_url(f"/whep/{show['id']}"))) for _ in range(2)]
    await eventually(lambda: all(v.stats.video_frames > 0 for v in viewers))

    await server.close()

    await asyncio.wait_for(asyncio.gather(*(v.ended.wait() for v in viewers)), timeout=5)
    await eventually(lambda: publisher.pc.connectionState == "closed")
    for viewer in viewers:
        await viewer.stop(delete=False)
    await publisher.stop(delete=False)
