"""Every refusal of WHIP/WHEP has the right status and the PROTOCOL.md error body."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack

from livecart.media.clients import SignalingError, WhepViewer, WhipPublisher, prefer_codec
from livecart.media.synthetic import PatternTrack
from tests.media.conftest import MAX_VIEWERS, ShowUnderTest
from tests.support import Api

SDP = {"Content-Type": "application/sdp"}


async def offer(*kinds: str, direction: str = "sendonly", codec: str | None = None) -> str:
    """A real aiortc offer (with candidates), for requests whose answer the test does not use."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    for kind in kinds:
        transceiver = pc.addTransceiver(kind, direction=direction)
        if codec and kind == "video":
            prefer_codec(transceiver, codec)
    await pc.setLocalDescription(await pc.createOffer())
    sdp: str = pc.localDescription.sdp
    await pc.close()
    return sdp


async def post(
    http: aiohttp.ClientSession, url: str, body: str, token: str | None = None, headers: dict[str, str] = SDP
) -> tuple[int, dict[str, str], dict[str, object]]:
    all_headers = dict(headers)
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    async with http.post(url, data=body, headers=all_headers) as response:
        return response.status, dict(response.headers), await response.json()


@pytest.fixture
async def live(http: aiohttp.ClientSession, show: ShowUnderTest) -> AsyncIterator[WhipPublisher]:
    publisher = await WhipPublisher.start(
        http, show.whip_url, show.host_token, PatternTrack(), AudioStreamTrack(), video_codec="video/H264"
    )
    yield publisher
    await publisher.stop()


async def test_whip_needs_the_hosts_token(http: aiohttp.ClientSession, show: ShowUnderTest, api: Api) -> None:
    body = await offer("video")
    status, headers, error = await post(http, show.whip_url, body)
    assert (status, error["error"]["code"]) == (401, "unauthorized")  # type: ignore[index]
    assert headers["WWW-Authenticate"] == "Bearer"
    status, _, _ = await post(http, show.whip_url, body, token="not-a-token")
    assert status == 401
    other_host = await api.create_account("host", "Someone Else")
    status, _, error = await post(http, show.whip_url, body, token=other_host["token"])
    assert (status, error["error"]["code"]) == (403, "forbidden")  # type: ignore[index]
    viewer = await api.create_account("viewer", "Sam")
    status, _, _ = await post(http, show.whip_url, body, token=viewer["token"])
    assert status == 403


async def test_whip_refuses_unknown_shows_wrong_content_and_bad_offers(
    http: aiohttp.ClientSession, show: ShowUnderTest
) -> None:
    token = show.host_token
    status, _, error = await post(http, show.whip_url + "nope", await offer("video"), token=token)
    assert (status, error["error"]["code"]) == (404, "not_found")  # type: ignore[index]
    text = {"Content-Type": "text/plain"}
    status, _, error = await post(http, show.whip_url, await offer("video"), token, text)
    assert (status, error["error"]["code"]) == (415, "unsupported_media_type")  # type: ignore[index]
    for garbage in ("hello", "v=0\r\ns=-\r\nt=0 0\r\n", "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"):
        status, _, error = await post(http, show.whip_url, garbage, token)
        assert (status, error["error"]["code"]) == (400, "bad_request"), garbage  # type: ignore[index]
    status, _, error = await post(http, show.whip_url, await offer("audio"), token)
    assert (status, error["error"]["code"]) == (422, "unsupported_offer")  # type: ignore[index]
    vp9_only = (await offer("video", codec="video/VP8")).replace("VP8/90000", "VP9/90000")
    status, _, error = await post(http, show.whip_url, vp9_only, token)
    assert (status, error["error"]["code"]) == (422, "unsupported_offer")  # type: ignore[index]
    status, _, _ = await post(http, show.whip_url, await offer("video", direction="recvonly"), token)
    assert status == 400
    async with http.get(show.whep_url.replace("/whep/", "/api/shows/")) as response:
        assert (await response.json())["status"] == "scheduled", "refused offers leave the show as it was"


async def test_whep_refuses_unknown_and_not_live_shows(http: aiohttp.ClientSession, show: ShowUnderTest) -> None:
    body = await offer("video", "audio", direction="recvonly")
    status, _, error = await post(http, show.whep_url + "nope", body)
    assert (status, error["error"]["code"]) == (404, "not_found")  # type: ignore[index]
    status, _, error = await post(http, show.whep_url, body)
    assert (status, error["error"]["code"]) == (409, "conflict")  # type: ignore[index]
    status, _, _ = await post(http, show.whep_url, body, token="wrong-viewer-token")
    assert status == 401


async def test_whep_refuses_bad_offers_to_a_live_show(
    http: aiohttp.ClientSession, show: ShowUnderTest, live: WhipPublisher
) -> None:
    status, _, _ = await post(http, show.whep_url, "v=0\r\n")
    assert status == 400
    body = await offer("video", direction="recvonly")
    status, _, _ = await post(http, show.whep_url, body, headers={"Content-Type": "application/json"})
    assert status == 415
    vp8_only = await offer("video", direction="recvonly", codec="video/VP8")
    status, _, error = await post(http, show.whep_url, vp8_only)
    assert status == 422
    assert "H264" in error["error"]["message"]  # type: ignore[index]


async def test_the_second_publisher_of_a_live_show_gets_409(
    http: aiohttp.ClientSession, show: ShowUnderTest, live: WhipPublisher
) -> None:
    status, _, error = await post(http, show.whip_url, await offer("video"), token=show.host_token)
    assert (status, error["error"]["code"]) == (409, "conflict")  # type: ignore[index]


async def test_viewers_beyond_capacity_get_503_with_retry_after(
    http: aiohttp.ClientSession, show: ShowUnderTest, live: WhipPublisher, api: Api
) -> None:
    viewer_account = await api.create_account("viewer", "Sam")
    viewers = [
        await WhepViewer.start(http, show.whep_url, token=viewer_account["token"], decode=False)
        for _ in range(MAX_VIEWERS)
    ]
    deadline = asyncio.get_running_loop().time() + 10  # a viewer counts once its ICE completed
    while any(viewer.pc.connectionState != "connected" for viewer in viewers):
        assert asyncio.get_running_loop().time() < deadline, "the viewers did not connect"
        await asyncio.sleep(0.05)
    with pytest.raises(SignalingError) as refused:
        await WhepViewer.start(http, show.whep_url, decode=False)
    assert refused.value.status == 503
    assert int(refused.value.headers["Retry-After"]) > 0
    await viewers[0].stop()
    late = await WhepViewer.start(http, show.whep_url, decode=False)
    for viewer in [*viewers[1:], late]:
        await viewer.stop()


async def test_deleting_unknown_sessions_is_404(http: aiohttp.ClientSession, show: ShowUnderTest) -> None:
    async with http.delete(show.whep_url + "/nope") as response:
        assert response.status == 404
    host = {"Authorization": f"Bearer {show.host_token}"}
    async with http.delete(show.whip_url + "/nope", headers=host) as response:
        assert response.status == 404
