"""WHIP and WHEP clients built on aiortc: the tests' publishers and viewers, and the benchmark's load.

A `WhepViewer` either decodes (what a player does) or, with `decode=False`, only counts the
encoded frames its receivers reassemble (a cheap load generator that still proves delivery).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from yarl import URL

from livecart.media.aiortc_adapter import (
    EncodedFrame,
    ReceiverTap,
    enlarge_receive_buffers,
    on_keyframe_request,
)
from livecart.media.keyframes import is_keyframe
from livecart.media.sdp import SDP_CONTENT_TYPE

VIEWER_RECEIVE_BUFFER_BYTES = 1024 * 1024


class SignalingError(Exception):
    """The WHIP/WHEP endpoint refused the offer."""

    def __init__(self, status: int, body: str, headers: dict[str, str]) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers


def _configuration() -> RTCConfiguration:
    return RTCConfiguration(iceServers=[])


async def _exchange(http: aiohttp.ClientSession, url: str, offer: str, token: str | None) -> tuple[str, str]:
    headers = {"Content-Type": SDP_CONTENT_TYPE}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with http.post(url, data=offer, headers=headers) as response:
        body = await response.text()
        if response.status != 201:
            raise SignalingError(response.status, body, dict(response.headers))
        location = str(response.url.join(URL(response.headers["Location"])))
        return location, body


def prefer_codec(transceiver: Any, mime_type: str) -> None:
    codecs = RTCRtpSender.getCapabilities(transceiver.kind).codecs
    preferred = [c for c in codecs if c.mimeType.lower() == mime_type.lower()]
    transceiver.setCodecPreferences(preferred + [c for c in codecs if c.mimeType.lower() == "video/rtx"])


@dataclass
class WhipPublisher:
    http: aiohttp.ClientSession
    pc: RTCPeerConnection
    location: str
    token: str
    answer: str
    keyframe_requests: int = 0

    @classmethod
    async def start(
        cls,
        http: aiohttp.ClientSession,
        url: str,
        token: str,
        video: MediaStreamTrack,
        audio: MediaStreamTrack | None = None,
        *,
        video_codec: str = "video/VP8",
        ignore_keyframe_requests: bool = False,
    ) -> WhipPublisher:
        pc = RTCPeerConnection(_configuration())
        video_transceiver = pc.addTransceiver(video, direction="sendonly")
        prefer_codec(video_transceiver, video_codec)
        if audio is not None:
            pc.addTransceiver(audio, direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        try:
            location, answer = await _exchange(http, url, pc.localDescription.sdp, token)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        except BaseException:
            await pc.close()
            raise
        publisher = cls(http, pc, location, token, answer)
        if ignore_keyframe_requests:
            on_keyframe_request(video_transceiver.sender, publisher._count_keyframe_request)
        return publisher

    def _count_keyframe_request(self) -> None:
        self.keyframe_requests += 1

    async def stop(self, *, delete: bool = True) -> int | None:
        """Close the peer; with `delete`, end the broadcast with DELETE (returns its status)."""
        status = None
        if delete:
            headers = {"Authorization": f"Bearer {self.token}"}
            async with self.http.delete(self.location, headers=headers) as response:
                status = response.status
        await self.pc.close()
        return status


@dataclass
class ViewerStats:
    started_at: float = field(default_factory=time.monotonic)
    video_frames: int = 0
    keyframes: int = 0
    audio_frames: int = 0
    connected_at: float | None = None
    first_frame_at: float | None = None
    last_frame_at: float | None = None
    frame_times: list[float] = field(default_factory=list)
    width: int = 0
    height: int = 0

    @property
    def time_to_first_frame(self) -> float | None:
        """From the start of signaling to the first video frame."""
        return None if self.first_frame_at is None else self.first_frame_at - self.started_at

    @property
    def first_frame_after_connect(self) -> float | None:
        """From ICE+DTLS being up to the first video frame: what keyframes and the GOP cache decide."""
        if self.first_frame_at is None or self.connected_at is None:
            return None
        return max(0.0, self.first_frame_at - self.connected_at)

    def fps(self, since: float, until: float) -> float:
        count = sum(1 for t in self.frame_times if since <= t < until)
        return count / (until - since) if until > since else 0.0

    def video_frame(self, keyframe: bool, width: int = 0, height: int = 0) -> None:
        now = time.monotonic()
        if self.first_frame_at is None:
            self.first_frame_at = now
        self.last_frame_at = now
        self.frame_times.append(now)
        self.video_frames += 1
        self.keyframes += keyframe
        if width:
            self.width, self.height = width, height


@dataclass
class WhepViewer:
    http: aiohttp.ClientSession
    pc: RTCPeerConnection
    location: str
    answer: str
    stats: ViewerStats
    ended: asyncio.Event
    tasks: list[asyncio.Task[None]]
    taps: dict[str, ReceiverTap] = field(default_factory=dict)  # without decoding: per kind

    @classmethod
    async def start(
        cls,
        http: aiohttp.ClientSession,
        url: str,
        token: str | None = None,
        *,
        decode: bool = True,
        audio: bool = True,
    ) -> WhepViewer:
        pc = RTCPeerConnection(_configuration())
        stats = ViewerStats()
        ended = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        taps: dict[str, ReceiverTap] = {}
        kinds = ["video", "audio"] if audio else ["video"]
        for kind in kinds:
            transceiver = pc.addTransceiver(kind, direction="recvonly")
            if not decode:
                taps[kind] = ReceiverTap(transceiver.receiver, lambda frame: _count(stats, frame))

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            tasks.append(asyncio.ensure_future(_consume(track, stats, ended, decode)))

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState == "connected" and stats.connected_at is None:
                stats.connected_at = time.monotonic()
            if pc.connectionState in ("failed", "closed"):
                ended.set()

        await pc.setLocalDescription(await pc.createOffer())
        enlarge_receive_buffers(pc, VIEWER_RECEIVE_BUFFER_BYTES)
        try:
            location, answer = await _exchange(http, url, pc.localDescription.sdp, token)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        except BaseException:
            await pc.close()
            raise
        return cls(http, pc, location, answer, stats, ended, tasks, taps)

    async def stop(self, *, delete: bool = True) -> None:
        if delete:
            async with self.http.delete(self.location):
                pass
        await self.pc.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def _count(stats: ViewerStats, frame: EncodedFrame) -> None:
    if frame.mime_type.lower().startswith("audio/"):
        stats.audio_frames += 1
    else:
        stats.video_frame(is_keyframe(frame.mime_type, frame.data))


async def _consume(track: MediaStreamTrack, stats: ViewerStats, ended: asyncio.Event, decode: bool) -> None:
    """Read decoded frames (or, without decoding, wait for the track to end)."""
    try:
        while True:
            frame: Any = await track.recv()
            if not decode:
                continue
            if track.kind == "video":
                stats.video_frame(bool(getattr(frame, "key_frame", False)), frame.width, frame.height)
            else:
                stats.audio_frames += 1
    except MediaStreamError:
        ended.set()
