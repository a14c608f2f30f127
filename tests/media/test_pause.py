"""A publisher that goes away pauses its show (issue 18) and a failed first publish no longer ends it
(issue 19, finding 8); deleting the host ends the show and closes its publisher and viewers (finding 6).
Real aiortc peers on 127.0.0.1."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from aiortc import RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack

from livecart.keys import SERVICES
from livecart.media.broadcast import PUBLISHER_CONNECT_SECONDS
from livecart.media.clients import WhepViewer
from livecart.media.synthetic import PatternTrack
from tests.media.conftest import GRACE_SECONDS, ShowUnderTest
from tests.media.test_whip_whep import eventually, publish, statuses
from tests.support import ADMIN_TOKEN, Api


async def offer_that_never_connects(http: aiohttp.ClientSession, show: ShowUnderTest) -> int:
    """A WHIP offer whose peer goes away before ICE starts (an encoder whose DTLS handshake failed)."""
    pc = RTCPeerConnection()
    pc.addTransceiver(PatternTrack(), direction="sendonly")
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    async with http.post(
        show.whip_url,
        data=pc.localDescription.sdp,
        headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {show.host_token}"},
    ) as response:
        status = response.status
    await pc.close()
    return status


async def test_a_failed_first_publish_pauses_the_show_and_publishing_again_makes_it_live(
    http: aiohttp.ClientSession, show: ShowUnderTest, api: Api
) -> None:
    assert await offer_that_never_connects(http, show) == 201

    await eventually(lambda: "paused" in statuses(show), within=PUBLISHER_CONNECT_SECONDS + GRACE_SECONDS + 5)
    assert (await api.call("GET", f"/api/shows/{show.id}", 200))["status"] == "paused"

    publisher = await publish(http, show)
    viewer = await WhepViewer.start(http, show.whep_url)
    await eventually(lambda: viewer.stats.video_frames > 0)
    assert statuses(show) == ["live", "paused", "live"]
    await viewer.stop()
    await publisher.stop()


async def test_deleting_the_host_mid_show_ends_it_and_closes_publisher_and_viewers(
    http: aiohttp.ClientSession, show: ShowUnderTest, api: Api, client: TestClient[Any, Any]
) -> None:
    publisher = await publish(http, show)
    viewer = await WhepViewer.start(http, show.whep_url)
    await eventually(lambda: viewer.stats.video_frames > 0)
    host_id = (await api.call("GET", f"/api/shows/{show.id}", 200))["host_id"]

    await api.call("DELETE", f"/api/accounts/{host_id}", 204, token=ADMIN_TOKEN)

    await asyncio.wait_for(viewer.ended.wait(), timeout=5)
    assert (await api.call("GET", f"/api/shows/{show.id}", 200))["status"] == "ended"
    await eventually(lambda: client.app[SERVICES].media.broadcast(show.id) is None)  # publisher peer closed
    refused = await http.post(show.whep_url, data="v=0\r\n", headers={"Content-Type": "application/sdp"})
    assert refused.status == 409
    await viewer.stop(delete=False)
    await publisher.stop(delete=False)


async def test_admin_ends_a_live_show_it_does_not_host(
    http: aiohttp.ClientSession, show: ShowUnderTest, api: Api, client: TestClient[Any, Any]
) -> None:
    publisher = await publish(http, show)
    viewer = await WhepViewer.start(http, show.whep_url)
    await eventually(lambda: viewer.stats.video_frames > 0)

    ended = await api.call("POST", f"/api/shows/{show.id}/end", 200, token=ADMIN_TOKEN)

    assert ended["status"] == "ended"
    await asyncio.wait_for(viewer.ended.wait(), timeout=5)
    assert client.app[SERVICES].media.broadcast(show.id) is None
    again = await http.post(
        show.whip_url,
        data="v=0\r\n",
        headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {show.host_token}"},
    )
    assert again.status == 409
    await viewer.stop(delete=False)
    await publisher.stop(delete=False)
