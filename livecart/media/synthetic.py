"""Synthetic media for tests, demos and benchmarks: a moving test pattern, live-encoded or pre-encoded.

`PatternTrack` gives raw frames (aiortc's sender encodes them, as a browser would).
`EncodedLoopTrack` loops a clip encoded once up front and hands out `av.Packet`s, so a publisher
costs almost no CPU (and, like OBS, sends keyframes only on its own schedule).
"""

from __future__ import annotations

import asyncio
import fractions
import os
import time
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack
from av.video.frame import PictureType

VIDEO_CLOCK_RATE = 90000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
NOISE_BLOCK_PIXELS = 64  # a changing noisy square keeps the encoder honest (real bitrate, real P-frames)


def pattern_frame(width: int, height: int, index: int) -> av.VideoFrame:
    """A gradient that scrolls one step per frame, with a noisy square that moves across it."""
    frame = av.VideoFrame(width, height, "yuv420p")
    row = bytes((x + 4 * index) & 0xFF for x in range(width))
    luma = bytearray(row * height)
    block = min(NOISE_BLOCK_PIXELS, width, height)
    left = (index * 8) % max(1, width - block)
    for y in range(block):
        start = y * width + left
        luma[start : start + block] = os.urandom(block)
    planes = frame.planes
    planes[0].update(_fit(bytes(luma), planes[0]))
    planes[1].update(bytes([(index * 3) & 0xFF]) * planes[1].buffer_size)
    planes[2].update(bytes([128]) * planes[2].buffer_size)
    return frame


def _fit(data: bytes, plane: Any) -> bytes:
    """Plane rows can be padded (line_size > width): lay the rows out with that stride."""
    width, height, stride = plane.width, plane.height, plane.line_size
    if stride == width:
        return data
    return b"".join(data[y * width : (y + 1) * width].ljust(stride, b"\0") for y in range(height))


class PatternTrack(VideoStreamTrack):
    """Raw test-pattern frames at 30 fps, for aiortc's sender to encode."""

    def __init__(self, width: int = 320, height: int = 240, distinct_frames: int = 30) -> None:
        super().__init__()
        self._frames = [pattern_frame(width, height, i) for i in range(distinct_frames)]
        self.sent = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        source = self._frames[self.sent % len(self._frames)]
        frame = av.VideoFrame(source.width, source.height, "yuv420p")
        for target, plane in zip(frame.planes, source.planes, strict=True):
            target.update(bytes(plane))
        frame.pts = pts
        frame.time_base = time_base
        self.sent += 1
        return frame


def encode_clip(
    codec: str, width: int, height: int, frames: int, *, gop: int, bitrate: int = 1_500_000, fps: int = 30
) -> list[bytes]:
    """Encode `frames` test-pattern frames with a keyframe every `gop` frames ("vp8" or "h264")."""
    encoder: Any = av.CodecContext.create("libvpx" if codec == "vp8" else "libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.bit_rate = bitrate
    encoder.framerate = fractions.Fraction(fps, 1)
    encoder.time_base = fractions.Fraction(1, fps)
    encoder.gop_size = gop
    if codec == "vp8":
        encoder.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    else:
        encoder.profile = "Baseline"
        encoder.options = {"tune": "zerolatency", "preset": "ultrafast", "repeat-headers": "1"}
    patterns = [pattern_frame(width, height, i) for i in range(min(frames, 30))]
    out: list[bytes] = []
    for index in range(frames):
        frame = av.VideoFrame(width, height, "yuv420p")
        for target, plane in zip(frame.planes, patterns[index % len(patterns)].planes, strict=True):
            target.update(bytes(plane))
        frame.pts = index
        frame.pict_type = PictureType.I if index % gop == 0 else PictureType.NONE
        out.extend(bytes(packet) for packet in encoder.encode(frame))
    out.extend(bytes(packet) for packet in encoder.encode(None))
    return out


class EncodedLoopTrack(MediaStreamTrack):
    """Loops pre-encoded video frames at `fps`, as `av.Packet`s aiortc's sender only packetizes."""

    kind = "video"

    def __init__(self, frames: list[bytes], fps: int = 30) -> None:
        super().__init__()
        self._frames = frames
        self._fps = fps
        self._start: float | None = None
        self.sent = 0

    async def recv(self) -> av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            await asyncio.sleep(max(0.0, self._start + self.sent / self._fps - time.monotonic()))
        packet = av.Packet(self._frames[self.sent % len(self._frames)])
        packet.pts = self.sent * VIDEO_CLOCK_RATE // self._fps
        packet.time_base = VIDEO_TIME_BASE
        self.sent += 1
        return packet
