"""The relay writes each viewer's RTP itself (livecart/media/rtp_writer.py): with real aiortc peers,
lost packets are repaired on NACK, and the sender reports say what was sent."""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from aiortc import sdp as aiortc_sdp
from aiortc.mediastreams import AudioStreamTrack

from livecart.keys import SERVICES
from livecart.media.clients import WhepViewer, WhipPublisher
from livecart.media.relay import ViewerTrack
from livecart.media.synthetic import EncodedLoopTrack, encode_clip
from tests.media.conftest import ShowUnderTest, both_rtp_paths
from tests.media.test_whip_whep import eventually


def lose_every(viewer: WhepViewer, nth: int, lost: set[int]) -> None:
    """Make the viewer's network drop every `nth` VP8 packet the first time it arrives (after SRTP,
    so the viewer's NACK machinery sees a real gap); retransmissions (RTX) get through."""
    vp8 = {
        codec.payloadType
        for media in aiortc_sdp.SessionDescription.parse(viewer.answer).media
        for codec in media.rtp.codecs
        if codec.mimeType.lower() == "video/vp8"
    }
    for transceiver in viewer.pc.getTransceivers():
        if transceiver.kind != "video":
            continue
        dtls = transceiver.receiver.transport
        deliver: Callable[[bytes, int], Awaitable[None]] = dtls._handle_rtp_data
        counter = 0

        async def lossy(
            data: bytes, arrival_time_ms: int, deliver: Callable[[bytes, int], Awaitable[None]] = deliver
        ) -> None:
            nonlocal counter
            if data[1] & 0x7F not in vp8:
                await deliver(data, arrival_time_ms)
                return
            sequence = struct.unpack_from("!H", data, 2)[0]
            counter += 1
            if counter % nth == 0 and sequence not in lost:
                lost.add(sequence)
                return
            await deliver(data, arrival_time_ms)

        dtls._handle_rtp_data = lossy  # type: ignore[method-assign]


def server_tracks(client: TestClient[Any, Any], show: ShowUnderTest) -> list[ViewerTrack]:
    broadcast = client.app[SERVICES].media.broadcast(show.id)
    assert broadcast is not None
    return [track for viewer in broadcast.viewers.values() for track in viewer.tracks if track.kind == "video"]


async def start(http: aiohttp.ClientSession, show: ShowUnderTest) -> WhipPublisher:
    clip = encode_clip("vp8", 640, 360, 60, gop=30)  # several packets per frame
    return await WhipPublisher.start(
        http,
        show.whip_url,
        show.host_token,
        EncodedLoopTrack(clip),
        AudioStreamTrack(),
    )


@both_rtp_paths
async def test_packets_a_viewer_lost_are_sent_again_when_it_nacks(
    http: aiohttp.ClientSession, show: ShowUnderTest, client: TestClient[Any, Any]
) -> None:
    publisher = await start(http, show)
    viewer = await WhepViewer.start(http, show.whep_url)
    lost: set[int] = set()
    lose_every(viewer, 25, lost)
    await eventually(lambda: viewer.stats.video_frames > 0)
    await asyncio.sleep(2.5)
    (track,) = server_tracks(client, show)
    assert track._rtp_writer is not None
    assert len(lost) >= 10
    assert track._rtp_writer.retransmitted >= len(lost) * 0.8, "each NACKed packet was sent again"
    now = time.monotonic()
    assert viewer.stats.fps(now - 2, now) >= 25, "frames with a lost packet were repaired, not dropped"
    await viewer.stop()
    await publisher.stop()


@both_rtp_paths
async def test_sender_reports_count_what_the_relay_wrote(
    http: aiohttp.ClientSession, show: ShowUnderTest, client: TestClient[Any, Any]
) -> None:
    publisher = await start(http, show)
    viewer = await WhepViewer.start(http, show.whep_url)
    await eventually(lambda: viewer.stats.video_frames > 0)
    video = next(t for t in viewer.pc.getTransceivers() if t.kind == "video")

    async def reported() -> Any:
        stats = await video.receiver.getStats()
        return next((s for s in stats.values() if s.type == "remote-outbound-rtp"), None)

    deadline = time.monotonic() + 5
    while (report := await reported()) is None and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    assert report is not None, "the viewer got an RTCP sender report"
    (track,) = server_tracks(client, show)
    assert track._rtp_writer is not None
    assert 0 < report.packetsSent <= track._rtp_writer.packets_sent
    assert report.bytesSent > report.packetsSent * 100
    await viewer.stop()
    await publisher.stop()


def pause_reading(viewer: WhepViewer, paused: bool) -> None:
    """Stop (or resume) reading the viewer's UDP sockets, as a viewer whose machine froze."""
    for transceiver in viewer.pc.getTransceivers():
        connection = transceiver.receiver.transport.transport._connection
        for protocol in connection._protocols:
            transport: Any = protocol.transport  # asyncio's selector datagram transport
            if paused:
                transport.pause_reading()
            else:
                transport.resume_reading()


@both_rtp_paths
async def test_a_viewer_that_stops_reading_does_not_slow_the_others_and_recovers(
    http: aiohttp.ClientSession, show: ShowUnderTest
) -> None:
    publisher = await start(http, show)
    healthy = await WhepViewer.start(http, show.whep_url)
    frozen = await WhepViewer.start(http, show.whep_url)
    await eventually(lambda: healthy.stats.video_frames > 0 and frozen.stats.video_frames > 0)
    pause_reading(frozen, True)
    await asyncio.sleep(0.2)
    frames_when_frozen = frozen.stats.video_frames
    await asyncio.sleep(2)
    now = time.monotonic()
    assert healthy.stats.fps(now - 2, now) >= 25, "the healthy viewer kept the publisher's frame rate"
    assert frozen.stats.video_frames == frames_when_frozen
    pause_reading(frozen, False)
    await eventually(lambda: frozen.stats.video_frames > frames_when_frozen + 30, within=5)
    await healthy.stop()
    await frozen.stop()
    await publisher.stop()
