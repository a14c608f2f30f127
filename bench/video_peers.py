"""Benchmark worker: a WHIP publisher or a crowd of WHEP viewers in their own process.

Speaks JSON lines (bench.harness.spawn_worker): one command per stdin line, one answer per line.
- `{"cmd": "publish", "url", "token", "codec", "width", "height", "frames", "gop"}` → `{"ok": true}`:
  loops a pre-encoded clip (the publisher costs almost nothing and, like OBS, ignores PLI).
- `{"cmd": "join", "url", "count", "spacing"}` → `{"joined", "first_frame_ms": [...]}`: viewers that
  do NOT decode. After SRTP (authenticated and decrypted as usual) each RTP packet goes to a
  `FrameCounter`, not to aiortc's receiver (its per-packet Python would make this crowd process,
  not the server, the bottleneck): a video frame counts when its marker packet arrives and no
  sequence number since the previous frame is missing. Lost packets are not repaired (no NACK), so
  a frame that lost one counts as lost.
- `{"cmd": "measure", "seconds"}` → `{"fps": [...], "keyframes": [...], "loop_lag_ms_max", "loop_lag_ms_p95",
  "connected", "lost"}`: frames per second each viewer got; how late this process's event loop ran a
  timer (`LoopLag`); each viewer's largest frame lag (`frame_lag_ms`: how much later than its
  earliest frames a frame completed, the server's lag plus this process's socket backlog: a starved
  crowd also answers the server's ICE consent checks late, and after 30 s of late answers the server
  closes the peer); how many of its viewers are still connected.
- `{"cmd": "stop"}` → `{"ok": true}`, then the process exits.
"""

from __future__ import annotations

import asyncio
import json
import struct
import sys
import time
from typing import Any

import aiohttp
from aiortc import sdp as aiortc_sdp
from aiortc.codecs.vpx import VpxPayloadDescriptor
from aiortc.mediastreams import AudioStreamTrack

from livecart.media.clients import WhepViewer, WhipPublisher
from livecart.media.ingest_lag import IngestLag
from livecart.media.synthetic import EncodedLoopTrack, encode_clip

FIRST_FRAME_TIMEOUT_SECONDS = 10.0
_SEQUENCE_AND_TIMESTAMP = struct.Struct("!HI")


class FrameCounter:
    """Counts one viewer's complete video frames (and audio packets) from decrypted RTP headers.

    Installed in place of the viewer's `RTCDtlsTransport._handle_rtp_data` (bench only: livecart's
    own code keeps aiortc internals in livecart/media/aiortc_adapter.py).
    """

    def __init__(self, viewer: WhepViewer) -> None:
        self.stats = viewer.stats
        self.kinds: dict[int, str] = {}
        self.expected: int | None = None
        self.complete = True
        self.first_of_frame = True
        self.keyframe = False
        self.lost_frames = 0
        self.lag = IngestLag(90000)  # how late frames come (the server's lag plus this process's backlog)
        self.max_lag = 0.0
        for media in aiortc_sdp.SessionDescription.parse(viewer.answer).media:
            for codec in media.rtp.codecs:
                if codec.payloadType is not None and codec.mimeType.lower() in ("video/vp8", "audio/opus"):
                    self.kinds[codec.payloadType] = media.kind
        for transceiver in viewer.pc.getTransceivers():
            transceiver.receiver.transport._handle_rtp_data = self.handle  # type: ignore[method-assign]
        if not self.kinds:
            raise RuntimeError("the viewer negotiated no VP8/Opus payload type")

    async def handle(self, data: bytes, arrival_time_ms: int) -> None:
        kind = self.kinds.get(data[1] & 0x7F)
        if kind is None:
            return
        if kind == "audio":
            self.stats.audio_frames += 1
            return
        sequence, timestamp = _SEQUENCE_AND_TIMESTAMP.unpack_from(data, 2)
        if self.expected is not None and sequence != self.expected:
            self.complete = False
        self.expected = (sequence + 1) & 0xFFFF
        if self.first_of_frame:
            self.first_of_frame = False
            self.keyframe = _vp8_keyframe(_payload(data))
        if data[1] & 0x80:  # marker: the frame's last packet
            self.max_lag = max(self.max_lag, self.lag.lag(timestamp, time.monotonic()))
            if self.complete:
                self.stats.video_frame(self.keyframe)
            else:
                self.lost_frames += 1
            self.complete, self.first_of_frame = True, True


def _payload(data: bytes) -> bytes:
    offset = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10:  # header extension
        offset += 4 + 4 * int.from_bytes(data[offset + 2 : offset + 4], "big")
    return data[offset:]


def _vp8_keyframe(payload: bytes) -> bool:
    try:
        descriptor, rest = VpxPayloadDescriptor.parse(payload)
    except ValueError:
        return False
    return bool(descriptor.partition_start and descriptor.partition_id == 0 and rest and not rest[0] & 1)


class LoopLag:
    """How late the event loop runs a timer: a tick every `interval`, each one's delay recorded.

    aioice gives a consent check 0.5 s for its answer (one try) and closes the peer after six failures
    in a row; a crowd process whose loop runs that late is measuring the machine, not the server."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, time.monotonic() - before - self.interval))

    def take(self) -> list[float]:
        taken, self.samples = self.samples, []
        return taken


class Worker:
    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.lag = LoopLag()
        self.lag.start()
        self.publisher: WhipPublisher | None = None
        self.viewers: list[WhepViewer] = []
        self.counters: list[FrameCounter] = []

    async def publish(
        self, url: str, token: str, codec: str, width: int, height: int, frames: int, gop: int
    ) -> dict[str, Any]:
        clip = encode_clip(codec, width, height, frames, gop=gop)
        self.publisher = await WhipPublisher.start(
            self.http,
            url,
            token,
            EncodedLoopTrack(clip),
            AudioStreamTrack(),
            video_codec=f"video/{codec}",
            ignore_keyframe_requests=True,
        )
        return {"ok": True, "kbps": round(sum(map(len, clip)) * 8 * 30 / len(clip) / 1000)}

    async def join(self, url: str, count: int, spacing: float) -> dict[str, Any]:
        joined: list[WhepViewer] = []
        for _ in range(count):
            viewer = await WhepViewer.start(self.http, url, decode=False)
            self.counters.append(FrameCounter(viewer))
            joined.append(viewer)
            if spacing:
                await asyncio.sleep(spacing)
        self.viewers += joined
        deadline = time.monotonic() + FIRST_FRAME_TIMEOUT_SECONDS
        while any(v.stats.first_frame_at is None for v in joined) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

        def ms(seconds: float | None) -> float | None:
            return None if seconds is None else round(seconds * 1000, 1)

        return {
            "joined": len(joined),
            "first_frame_ms": [ms(v.stats.time_to_first_frame) for v in joined],
            "after_connect_ms": [ms(v.stats.first_frame_after_connect) for v in joined],
        }

    async def measure(self, seconds: float) -> dict[str, Any]:
        before = [(v.stats.video_frames, v.stats.keyframes) for v in self.viewers]
        lost_before = [c.lost_frames for c in self.counters]
        started = time.monotonic()
        self.lag.take()
        for counter in self.counters:
            counter.max_lag = 0.0
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - started
        lag = sorted(self.lag.take()) or [0.0]
        connected = sum(v.pc.connectionState == "connected" for v in self.viewers)
        return {
            "loop_lag_ms_max": round(lag[-1] * 1000, 1),
            "loop_lag_ms_p95": round(lag[int(0.95 * (len(lag) - 1))] * 1000, 1),
            "connected": connected,
            "lost": len(self.viewers) - connected,
            "frame_lag_ms": [round(c.max_lag * 1000, 1) for c in self.counters],
            "fps": [(v.stats.video_frames - b[0]) / elapsed for v, b in zip(self.viewers, before, strict=True)],
            "keyframes": [v.stats.keyframes - b[1] for v, b in zip(self.viewers, before, strict=True)],
            "incomplete_frames": sum(c.lost_frames for c in self.counters) - sum(lost_before),
        }

    async def status(self) -> dict[str, Any]:
        publisher = self.publisher
        sent = None
        if publisher is not None:
            for transceiver in publisher.pc.getTransceivers():
                if transceiver.kind == "video":
                    stats = await transceiver.sender.getStats()
                    sent = [s.packetsSent for s in stats.values() if s.type == "outbound-rtp"]
        return {
            "publisher": None if publisher is None else publisher.pc.connectionState,
            "packets_sent": sent,
            "viewers": [v.pc.connectionState for v in self.viewers],
            "frames": [v.stats.video_frames for v in self.viewers],
        }

    async def stop(self) -> dict[str, Any]:
        await asyncio.gather(*(v.stop(delete=False) for v in self.viewers), return_exceptions=True)
        if self.publisher is not None:
            await self.publisher.stop(delete=False)
        return {"ok": True}


async def serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with aiohttp.ClientSession() as http:
        worker = Worker(http)
        while line := await reader.readline():
            command = json.loads(line)
            name = command.pop("cmd")
            try:
                answer = await getattr(worker, name)(**command)
            except Exception as exc:
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(answer), flush=True)
            if name == "stop":
                return


if __name__ == "__main__":
    asyncio.run(serve())
