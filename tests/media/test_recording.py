"""Recording without re-encoding: real WHIP publishers (aiortc, pre-encoded VP8 or H.264 clips of
distinct frames) through the real HTTP stack; the files are read back with PyAV (FFmpeg's demuxers,
the same Chromium plays them with) and compared frame by frame with what the publisher's encoder made."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import av
import pytest
from aiohttp.test_utils import TestClient
from aiortc.mediastreams import AudioStreamTrack

from livecart.keys import SERVICES
from livecart.media.clients import WhepViewer, WhipPublisher
from livecart.media.hub import MediaHub
from livecart.media.recorder import BATCH_MILLISECONDS, Recording, Recordings
from livecart.media.sdp import MediaCodec
from livecart.media.synthetic import EncodedLoopTrack, encode_clip
from tests.media.conftest import ShowUnderTest, end_show

FPS = 30
GOP = 25  # not the test pattern's period (30), so no two keyframes are the same picture
MIME = {"vp8": "video/VP8", "h264": "video/H264"}
CLIPS = {codec: encode_clip(codec, 320, 240, 150, gop=GOP) for codec in MIME}  # 5 s


async def eventually(check: Callable[[], bool], within: float = 8.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def nal_units(frame: bytes) -> tuple[bytes, ...]:
    """An H.264 frame's NAL units: Annex B (start codes, as RTP depacketizes it) or MP4's 4-byte lengths."""
    if frame.startswith((b"\x00\x00\x01", b"\x00\x00\x00\x01")):
        return tuple(unit for unit in re.split(b"\x00\x00\x00\x01|\x00\x00\x01", frame) if unit)
    units, at = [], 0
    while at < len(frame):
        size = int.from_bytes(frame[at : at + 4], "big")
        units.append(frame[at + 4 : at + 4 + size])
        at += 4 + size
    return tuple(units)


def fingerprint(codec: str, frame: bytes) -> str:
    """What must be identical: the VP8 frame, or the H.264 frame's NAL units (MP4 frames them by length)."""
    return hashlib.sha256(b"|".join(nal_units(frame)) if codec == "h264" else frame).hexdigest()


@dataclass
class FileReport:
    """What FFmpeg's demuxer and decoders make of a recording."""

    video_pts_ms: list[int]
    video_fingerprints: list[str]
    decoded_frames: int
    duration_s: float
    first_frame_after_seek_s: float | None


def read_recording(path: Path, codec: str, seek_to_s: float | None = None) -> FileReport:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        pts_ms: list[int] = []
        prints: list[str] = []
        decoded = 0
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None:
                continue
            pts_ms.append(round(float(packet.pts * packet.time_base) * 1000))
            prints.append(fingerprint(codec, bytes(packet)))
            decoded += len(stream.codec_context.decode(packet))
        decoded += len(stream.codec_context.decode(None))
        duration = (container.duration or 0) / 1_000_000
        after_seek = None
        if seek_to_s is not None:
            assert stream.time_base is not None
            container.seek(round(seek_to_s / stream.time_base), stream=stream)
            for frame in container.decode(stream):
                after_seek = float(frame.time or 0)
                break
    return FileReport(pts_ms, prints, decoded, duration, after_seek)


def fingerprints(codec: str, clip: list[bytes]) -> list[str]:
    prints = [fingerprint(codec, frame) for frame in clip]
    assert len(set(prints)) == len(prints), "every frame of the clip is unique"
    return prints


def recording_of(hub: MediaHub, show_id: str) -> Recording:
    recording = hub.recording(show_id)
    assert recording is not None, "the show is being recorded"
    return recording


async def publish_clip(
    http: aiohttp.ClientSession, show: ShowUnderTest, codec: str, frames: list[bytes]
) -> tuple[WhipPublisher, EncodedLoopTrack]:
    track = EncodedLoopTrack(frames, FPS)
    publisher = await WhipPublisher.start(
        http, show.whip_url, show.host_token, track, AudioStreamTrack(), video_codec=MIME[codec]
    )
    return publisher, track


@pytest.mark.parametrize("codec", ["vp8", "h264"])
async def test_a_show_is_recorded_as_the_publishers_own_frames_in_a_file_that_plays_and_seeks(
    http: aiohttp.ClientSession, show: ShowUnderTest, client: TestClient[Any, Any], codec: str
) -> None:
    clip = CLIPS[codec]
    publisher, track = await publish_clip(http, show, codec, clip)
    hub: MediaHub = client.app[SERVICES].media
    await eventually(lambda: track.sent >= 75)  # past the keyframes at 1 s and 2 s
    recording = recording_of(hub, show.id)
    assert recording.path is not None
    while_live = await asyncio.to_thread(read_recording, recording.path, codec)
    assert while_live.decoded_frames > 0, "the file plays while the show is still live"
    await eventually(lambda: track.sent >= 120)  # 4 s; the clip (150 frames) never loops
    assert await publisher.stop() == 200
    await end_show(client, show)  # the DELETE paused the show; ending it finishes the recording
    await asyncio.to_thread(recording.join, 10)
    assert recording.failed is None
    assert recording.path.suffix == (".webm" if codec == "vp8" else ".mp4")
    assert recording.content_type == ("video/webm" if codec == "vp8" else "video/mp4")

    first_pass = await asyncio.to_thread(read_recording, recording.path, codec)
    middle = first_pass.duration_s / 2
    report = await asyncio.to_thread(read_recording, recording.path, codec, middle)

    published = fingerprints(codec, clip)
    indices = [published.index(p) if p in published else -1 for p in report.video_fingerprints]
    assert -1 not in indices, "every recorded frame is, byte for byte, one the publisher's encoder made"
    assert indices == list(range(indices[0], indices[0] + len(indices))), "in order, none lost or doubled"
    assert indices[0] % GOP == 0, "the recording starts at a keyframe"
    assert len(indices) >= 100
    assert report.decoded_frames == len(indices), "every frame decodes"

    published_s = len(indices) / FPS
    video_s = (report.video_pts_ms[-1] - report.video_pts_ms[0]) / 1000 + 1 / FPS
    assert report.video_pts_ms[0] == 0
    assert abs(video_s - published_s) <= 0.02 * published_s, (video_s, published_s)
    assert abs(report.duration_s - published_s) <= 0.02 * published_s, (report.duration_s, published_s)
    assert report.first_frame_after_seek_s is not None
    assert middle - GOP / FPS - 0.05 <= report.first_frame_after_seek_s <= middle + 0.05, (
        "seeking lands on the keyframe at or before the middle",
        report.first_frame_after_seek_s,
        middle,
    )


async def test_the_media_clock_names_the_frame_being_forwarded_on_the_viewers_clock_and_in_the_recording(
    http: aiohttp.ClientSession, show: ShowUnderTest, client: TestClient[Any, Any]
) -> None:
    clip = CLIPS["vp8"]
    hub: MediaHub = client.app[SERVICES].media
    assert hub.media_clock(show.id) is None, "no broadcast, no clock"
    publisher, track = await publish_clip(http, show, "vp8", clip)
    viewers = [await WhepViewer.start(http, show.whep_url, decode=False) for _ in range(2)]
    await eventually(lambda: all(v.stats.video_frames > 30 for v in viewers))
    clock = hub.media_clock(show.id)
    assert clock is not None
    reading = clock.now()
    sent_then = track.sent
    seen = [v.taps["video"].last_rtp_timestamp for v in viewers]
    assert reading is not None
    assert reading.recording_ms is not None
    assert None not in seen
    for timestamp in seen:
        behind = (reading.rtp_timestamp - (timestamp or 0)) & 0xFFFF_FFFF
        assert behind <= 3 * 3000, "viewers receive the show's clock: at most a few frames behind the relay"
    await eventually(lambda: track.sent >= 110)
    recording = recording_of(hub, show.id)
    for viewer in viewers:
        await viewer.stop()
    await publisher.stop()
    await end_show(client, show)
    await asyncio.to_thread(recording.join, 10)
    assert recording.path is not None
    report = await asyncio.to_thread(read_recording, recording.path, "vp8")
    recording_ms = reading.recording_ms
    at = min(range(len(report.video_pts_ms)), key=lambda i: abs(report.video_pts_ms[i] - recording_ms))
    assert abs(report.video_pts_ms[at] - recording_ms) <= 1
    frame_index = fingerprints("vp8", clip).index(report.video_fingerprints[at])
    # The relay forwards what has arrived: under load the frame in flight trails the encoder by a few frames
    # (on a quiet machine 1-2). 15 frames (0.5 s at 30 fps) still tells "the frame being forwarded" from any other.
    assert sent_then - 15 <= frame_index < sent_then, (
        "recording_ms points at a frame the publisher had just sent",
        frame_index,
        sent_then,
    )


async def test_a_publisher_reconnect_continues_the_same_recording(
    http: aiohttp.ClientSession, show: ShowUnderTest, client: TestClient[Any, Any]
) -> None:
    clip = CLIPS["vp8"]
    hub: MediaHub = client.app[SERVICES].media
    first, first_track = await publish_clip(http, show, "vp8", clip[:75])
    await eventually(lambda: first_track.sent >= 70)
    recording = recording_of(hub, show.id)
    await first.stop(delete=False)
    await asyncio.sleep(0.2)
    second, second_track = await publish_clip(http, show, "vp8", clip[75:])  # keyframe 75 first
    assert recording_of(hub, show.id) is recording, "the same recording goes on"
    await eventually(lambda: second_track.sent >= 60)
    await second.stop()
    await asyncio.to_thread(recording.join, 10)
    assert recording.failed is None
    assert recording.path is not None
    assert hub.recordings is not None
    assert await asyncio.to_thread(hub.recordings.parts, show.id) == [recording.path], "one file"
    report = await asyncio.to_thread(read_recording, recording.path, "vp8")
    published = fingerprints("vp8", clip)
    indices = [published.index(p) for p in report.video_fingerprints]
    from_first = [i for i in indices if i < 75]
    from_second = [i for i in indices if i >= 75]
    assert from_first
    assert from_second
    assert indices == from_first + from_second
    assert from_second[0] == 75, "the second publisher's part starts at its keyframe"
    assert all(b > a for a, b in zip(report.video_pts_ms, report.video_pts_ms[1:], strict=False)), (
        "timestamps keep going forward across the reconnect"
    )
    gap_ms = report.video_pts_ms[len(from_first)] - report.video_pts_ms[len(from_first) - 1]
    assert gap_ms <= 100, "no jump: the outage is not a hole in the replay"
    assert report.decoded_frames == len(indices)


def test_the_frames_of_the_last_batch_before_the_end_are_in_the_file(tmp_path: Path) -> None:
    """The relay hands frames to the writer thread in batches (every `BATCH_MILLISECONDS`): a show
    that ends mid-batch still has every frame it forwarded in its file."""
    clip = CLIPS["vp8"][:6]  # a keyframe and 5 frames: 200 ms of video, less than one batch
    assert 6 / FPS * 1000 < BATCH_MILLISECONDS
    codecs = {"video": MediaCodec(kind="video", mime_type="video/VP8", clock_rate=90000)}
    recordings = Recordings(tmp_path)
    recording = recordings.start("short-show", codecs)
    assert recording is not None
    for index, frame in enumerate(clip):
        recording.write("video", frame, index * 3000, index == 0)
    recordings.stop(recording)
    recording.join(10)
    assert recording.failed is None
    assert recording.frames_written == len(clip)
    assert recording.path is not None
    report = read_recording(recording.path, "vp8")
    assert report.video_fingerprints == fingerprints("vp8", clip)
    assert report.video_pts_ms == [round(index * 1000 / FPS) for index in range(len(clip))]
