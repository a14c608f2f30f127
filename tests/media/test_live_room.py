"""Publishing and ending over WHIP reaches the show's live room as `show` events (the live area
turns the media's ShowStatusChanged events into Socket.IO messages)."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from aiortc.mediastreams import AudioStreamTrack

from livecart.media.clients import WhipPublisher
from livecart.media.synthetic import PatternTrack
from tests.live.clients import LiveClient
from tests.media.conftest import ShowUnderTest


async def test_the_room_hears_the_show_go_live_pause_and_end(
    client: TestClient[Any, Any], http: aiohttp.ClientSession, show: ShowUnderTest
) -> None:
    room = await LiveClient(str(client.make_url("/"))).connect()
    try:
        await room.join(show.id)
        publisher = await WhipPublisher.start(http, show.whip_url, show.host_token, PatternTrack(), AudioStreamTrack())
        await room.wait_for(lambda: {"status": "live"} in room.events("show"))
        await publisher.stop()
        await room.wait_for(lambda: {"status": "paused"} in room.events("show"))
        async with http.post(
            str(client.make_url(f"/api/shows/{show.id}/end")), headers={"Authorization": f"Bearer {show.host_token}"}
        ) as response:
            assert response.status == 200
        await room.wait_for(lambda: {"status": "ended"} in room.events("show"))
        assert room.events("show") == [{"status": "live"}, {"status": "paused"}, {"status": "ended"}]
    finally:
        await room.close()
