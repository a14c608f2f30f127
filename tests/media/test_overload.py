"""A relay that falls behind its publisher (a backlog in its socket: the server got no CPU for a while)
sheds the viewers' work until it has caught up, and the publisher and viewers stay connected."""

from __future__ import annotations

import asyncio
import threading
import time
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


class PublisherThread:
    """A WHIP publisher on its own event loop in its own thread: it keeps sending while the server's
    loop (the test's) is blocked, so the server's socket fills as on a machine that starves it."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.track: EncodedLoopTrack | None = None
        self.state = "new"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()

    async def _main(self) -> None:
        self._loop, self._done = asyncio.get_running_loop(), asyncio.Event()
        async with aiohttp.ClientSession() as http:
            self.track = EncodedLoopTrack(CLIP)
            publisher = await WhipPublisher.start(
                http,
                self.url,
                self.token,
                self.track,
                AudioStreamTrack(),
                video_codec="video/vp8",
                ignore_keyframe_requests=True,
            )
            while not self._done.is_set():
                self.state = publisher.pc.connectionState
                await asyncio.sleep(0.05)
            await publisher.stop()

    def stop(self) -> None:
        if self._loop is not None and self._done is not None:
            self._loop.call_soon_threadsafe(self._done.set)
        self._thread.join(timeout=10)


async def test_frames_that_wait_in_the_servers_socket_are_shed_and_everyone_stays_connected(
    http: aiohttp.ClientSession, show: ShowUnderTest, client: TestClient[Any, Any]
) -> None:
    publisher = PublisherThread(show.whip_url, show.host_token)
    try:
        await eventually(lambda: publisher.state == "connected", within=15)
        viewer = await WhepViewer.start(http, show.whep_url)
        await eventually(lambda: viewer.stats.video_frames >= 30, within=15)
        assert metric(await scrape(client), "livecart_media_frames_shed_total") == 0, "in time: nothing shed"

        time.sleep(1.5)  # noqa: ASYNC251 -- on purpose: the server's loop gets no CPU, its socket fills
        frames_after = viewer.stats.video_frames
        await eventually(lambda: viewer.stats.video_frames >= frames_after + 30, within=15)

        shed = metric(await scrape(client), "livecart_media_frames_shed_total")
        assert shed >= 10, "the frames that waited in the socket were not written to the viewer"
        assert publisher.state == "connected"
        assert viewer.pc.connectionState == "connected"
        await viewer.stop()
    finally:
        publisher.stop()
