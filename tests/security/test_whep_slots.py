"""Nobody can fill every WHEP slot (issue 19, finding 1): offers that never start ICE do not count
against LIVECART_MAX_VIEWERS and are dropped after LIVECART_WHEP_CONNECT_S; offers are rate-limited
per client address. Real aiortc peers and the real HTTP stack on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from aiortc import RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack

from livecart.config import Settings
from livecart.keys import SERVICES
from livecart.media.clients import WhepViewer, WhipPublisher
from livecart.media.synthetic import PatternTrack
from tests.support import ADMIN_TOKEN, Api

MAX_VIEWERS = 3
CONNECT_S = 1.5
OFFERS = 8  # per minute and address


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        store=f"sqlite:///{tmp_path / 'livecart.db'}",
        admin_token=ADMIN_TOKEN,
        max_viewers=MAX_VIEWERS,
        whep_connect_s=CONNECT_S,
        whep_offer_rate=(OFFERS, 60.0),
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def offer_without_ice(http: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    """What the attack sent: a well-formed recvonly offer whose peer never starts ICE."""
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    await pc.close()
    async with http.post(url, data=pc.localDescription.sdp, headers={"Content-Type": "application/sdp"}) as response:
        body = await response.json() if response.content_type == "application/json" else {}
        return response.status, {"headers": dict(response.headers), **body}


async def test_offers_that_never_connect_take_no_slot_and_are_dropped(
    api: Api, client: TestClient[Any, Any], http: aiohttp.ClientSession
) -> None:
    host = await api.create_account("host", "Mia")
    show = await api.create_show(host["token"])
    base = str(client.make_url("")).rstrip("/")
    publisher = await WhipPublisher.start(
        http, f"{base}/whip/{show['id']}", host["token"], PatternTrack(320, 240), AudioStreamTrack()
    )
    whep = f"{base}/whep/{show['id']}"
    hub = client.app[SERVICES].media

    held = [await offer_without_ice(http, whep) for _ in range(MAX_VIEWERS + 2)]
    assert [status for status, _ in held] == [201] * (MAX_VIEWERS + 2)
    assert hub.viewer_count == MAX_VIEWERS + 2

    viewer = await WhepViewer.start(http, whep)  # a real viewer still gets in, at once
    deadline = time.monotonic() + 10
    while viewer.stats.video_frames == 0:
        assert time.monotonic() < deadline, "the real viewer got no video"
        await asyncio.sleep(0.05)
    assert hub.connected_viewer_count == 1

    deadline = time.monotonic() + CONNECT_S + 5
    while hub.viewer_count > 1:
        assert time.monotonic() < deadline, "sessions without ICE were not dropped"
        await asyncio.sleep(0.1)
    assert not viewer.ended.is_set()
    await viewer.stop()
    await publisher.stop()


async def test_whep_offers_are_rate_limited_per_client_address(
    api: Api, client: TestClient[Any, Any], http: aiohttp.ClientSession
) -> None:
    host = await api.create_account("host", "Mia")
    show = await api.create_show(host["token"])
    base = str(client.make_url("")).rstrip("/")
    publisher = await WhipPublisher.start(
        http, f"{base}/whip/{show['id']}", host["token"], PatternTrack(320, 240), AudioStreamTrack()
    )

    answers = [await offer_without_ice(http, f"{base}/whep/{show['id']}") for _ in range(OFFERS + 3)]

    assert [status for status, _ in answers] == [201] * OFFERS + [429] * 3
    refused = answers[-1][1]
    assert refused["error"]["code"] == "rate_limited"
    assert int(refused["headers"]["Retry-After"]) >= 1
    await publisher.stop()
