"""WHIP publishers and WHEP viewers as real aiortc peers on 127.0.0.1, through the real HTTP stack."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from aiortc.mediastreams import AudioStreamTrack

from livecart.domain.events import ShowStatusChanged
from livecart.keys import SERVICES
from livecart.media.clients import WhepViewer, WhipPublisher
from livecart.media.synthetic import EncodedLoopTrack, PatternTrack, encode_clip
from tests.media.conftest import ShowUnderTest, both_rtp_paths
from tests.support import Api

PUBLISHER_FPS = 30


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def statuses(show: ShowUnderTest) -> list[str]:
    return [e.status for e in show.events if isinstance(e, ShowStatusChanged) and e.show_id == show.id]


async def publish(
    http: aiohttp.ClientSession, show: ShowUnderTest, codec: str = "video/VP8", **options: Any
) -> WhipPublisher:
    return await WhipPublisher.start(
        http,
        show.whip_url,
        show.host_token,
        PatternTrack(320, 240),
        AudioStreamTrack(),
        video_codec=codec,
        **options,
    )


@pytest.mark.parametrize("codec", ["video/VP8", "video/H264"])
@both_rtp_paths
async def test_viewers_receive_decodable_video_at_the_publisher_frame_rate(
    http: aiohttp.ClientSession, show: ShowUnderTest, api: Api, codec: str
) -> None:
    publisher = await publish(http, show, codec)
    assert (await api.call("GET", f"/api/shows/{show.id}", 200))["status"] == "live"
    assert statuses(show) == ["live"]
    viewers = [await WhepViewer.start(http, show.whep_url) for _ in range(3)]
    await eventually(lambda: all(v.stats.video_frames > 0 for v in viewers))
    await asyncio.sleep(1.5)
    now = time.monotonic()
    for viewer in viewers:
        assert codec.split("/")[1] in viewer.answer
        assert (viewer.stats.width, viewer.stats.height) == (320, 240)
        assert viewer.stats.fps(now - 1.5, now) >= PUBLISHER_FPS - 5
        assert viewer.stats.audio_frames > 0
    for viewer in viewers:
        await viewer.stop()
    await publisher.stop()


@both_rtp_paths
async def test_a_late_joiner_starts_from_the_gop_cache_when_the_publisher_ignores_pli(
    http: aiohttp.ClientSession, show: ShowUnderTest, client: TestClient[Any, Any]
) -> None:
    # Like OBS: pre-encoded video with a keyframe every 10 s, whatever PLIs it gets.
    clip = encode_clip("vp8", 320, 240, 300, gop=300)
    publisher = await WhipPublisher.start(
        http,
        show.whip_url,
        show.host_token,
        EncodedLoopTrack(clip),
        AudioStreamTrack(),
        ignore_keyframe_requests=True,
    )
    await asyncio.sleep(5)
    late = await WhepViewer.start(http, show.whep_url)
    await eventually(lambda: late.stats.video_frames > 0, within=3)
    broadcast = client.app[SERVICES].media.broadcast(show.id)
    assert broadcast is not None
    relay = broadcast.relay
    assert relay.keyframes_in == 1, "the publisher sent one keyframe, at the start"
    assert late.stats.time_to_first_frame is not None
    assert late.stats.time_to_first_frame < 1.0
    assert publisher.keyframe_requests >= 1, "the server asked the publisher for a keyframe"
    await asyncio.sleep(0.5)
    now = time.monotonic()
    assert late.stats.fps(now - 0.5, now) >= PUBLISHER_FPS / 2
    await late.stop()
    await publisher.stop()


async def test_a_viewer_joining_a_pli_honouring_publisher_gets_a_fresh_keyframe(
    http: aiohttp.ClientSession, show: ShowUnderTest, client: TestClient[Any, Any]
) -> None:
    publisher = await publish(http, show)
    await asyncio.sleep(1)
    viewer = await WhepViewer.start(http, show.whep_url)
    await eventually(lambda: viewer.stats.video_frames > 0)
    broadcast = client.app[SERVICES].media.broadcast(show.id)
    assert broadcast is not None
    relay = broadcast.relay
    await eventually(lambda: relay.keyframes_in >= 2)
    await viewer.stop()
    await publisher.stop()


async def test_a_whip_delete_pauses_the_show_and_ending_it_closes_every_viewer(
    http: aiohttp.ClientSession, show: ShowUnderTest, api: Api
) -> None:
    publisher = await publish(http, show)
    viewers = [await WhepViewer.start(http, show.whep_url) for _ in range(2)]
    await eventually(lambda: all(v.stats.video_frames > 0 for v in viewers))
    assert await publisher.stop() == 200
    await eventually(lambda: statuses(show) == ["live", "paused"])
    assert (await api.call("GET", f"/api/shows/{show.id}", 200))["status"] == "paused"
    await asyncio.sleep(0.5)
    assert not any(v.ended.is_set() for v in viewers), "a pause keeps the viewers' peers"

    ended = await api.call("POST", f"/api/shows/{show.id}/end", 200, token=show.host_token)

    assert ended["status"] == "ended"
    await asyncio.wait_for(asyncio.gather(*(v.ended.wait() for v in viewers)), timeout=5)
    assert statuses(show) == ["live", "paused", "ended"]
    response = await http.post(show.whep_url, data="v=0\r\n", headers={"Content-Type": "application/sdp"})
    assert response.status == 409
    for viewer in viewers:
        await viewer.stop(delete=False)


async def test_a_lost_publisher_pauses_the_show_and_the_next_publish_makes_it_live_again(
    http: aiohttp.ClientSession, show: ShowUnderTest, api: Api
) -> None:
    publisher = await publish(http, show)
    viewer = await WhepViewer.start(http, show.whep_url)
    await eventually(lambda: viewer.stats.video_frames > 0)
    await publisher.stop(delete=False)  # gone without a DELETE
    await eventually(lambda: statuses(show) == ["live", "paused"], within=8)
    assert (await api.call("GET", f"/api/shows/{show.id}", 200))["status"] == "paused"
    assert not viewer.ended.is_set()

    again = await publish(http, show)
    frames_before = viewer.stats.video_frames
    await eventually(lambda: viewer.stats.video_frames > frames_before + 30)
    assert statuses(show) == ["live", "paused", "live"]
    assert (await api.call("GET", f"/api/shows/{show.id}", 200))["status"] == "live"
    await viewer.stop()
    await again.stop()


@both_rtp_paths
async def test_the_same_host_can_replace_a_dead_publisher_and_viewers_carry_on(
    http: aiohttp.ClientSession, show: ShowUnderTest, settings: Any
) -> None:
    first = await publish(http, show)
    viewer = await WhepViewer.start(http, show.whep_url)
    await eventually(lambda: viewer.stats.video_frames > 0)
    second_try = await http.post(
        show.whip_url,
        data=first.pc.localDescription.sdp,
        headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {show.host_token}"},
    )
    assert second_try.status == 409, "the first publisher is alive"
    await first.stop(delete=False)
    await asyncio.sleep(0.2)
    second = await publish(http, show)
    frames_before = viewer.stats.video_frames
    await eventually(lambda: viewer.stats.video_frames > frames_before + 30)
    assert not viewer.ended.is_set()
    assert statuses(show) == ["live"]
    await viewer.stop()
    await second.stop()
