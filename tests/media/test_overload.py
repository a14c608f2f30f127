"""A relay that falls behind its publisher (a backlog in its socket: the server got no CPU for a while)
sheds the viewers' work until it has caught up, and the publisher and viewers stay connected."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from aiortc.mediastreams import AudioStreamTrack

from livecart.media.clients import WhepViewer, WhipPublisher
from livecart.media.synthetic import EncodedLoopTrack, encode_clip
from tests.api.test_system import metric
from tests.media.conftest import ShowUnderTest
from tests.media.test_metrics import scrape
from tests.media.test_whip_whep import eventually

CLIP = encode_clip("vp8", 320, 240, 60, gop=30)  # a keyframe every second


class StallingTrack(EncodedLoopTrack):
    """The publisher's video with a gap and then a burst: after `stall(seconds)` nothing for that
    long, then the frames it owes at once, with their timestamps as if they had been on time — what
    the relay sees when its socket held a backlog."""

    def __init__(self) -> None:
        super().__init__(CLIP)
        self._stall = 0.0

    def stall(self, seconds: float) -> None:
        self._stall = seconds

    async def recv(self) -> Any:
        if self._stall:
            seconds, self._stall = self._stall, 0.0
            await asyncio.sleep(seconds)
        return await super().recv()


async def test_frames_that_reach_the_relay_a_second_late_are_shed_and_the_viewer_resumes(
    http: aiohttp.ClientSession, show: ShowUnderTest, client: TestClient[Any, Any]
) -> None:
    track = StallingTrack()
    publisher = await WhipPublisher.start(http, show.whip_url, show.host_token, track, AudioStreamTrack(),
                                          video_codec="video/vp8", ignore_keyframe_requests=True)
    viewer = await WhepViewer.start(http, show.whep_url)
    await eventually(lambda: viewer.stats.video_frames >= 30, within=15)
    assert metric(await scrape(client), "livecart_media_frames_shed_total") == 0, "in time: nothing shed"

    track.stall(1.5)
    stalled_at = track.sent
    await eventually(lambda: track.sent > stalled_at + 45, within=15)  # the burst has gone out
    await eventually(lambda: track.sent > stalled_at + 120, within=15)  # and frames in time after it
    frames_after = viewer.stats.video_frames
    await eventually(lambda: viewer.stats.video_frames >= frames_after + 30, within=15)

    shed = metric(await scrape(client), "livecart_media_frames_shed_total")
    assert shed >= 20, "the burst's late frames (about 45) were not written to the viewer"
    assert publisher.pc.connectionState == "connected"
    assert viewer.pc.connectionState == "connected"
    assert viewer.stats.video_frames - viewer.stats.keyframes > 0
    await viewer.stop()
    await publisher.stop()
