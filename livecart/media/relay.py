"""The forwarding relay: the publisher's encoded frames go to every viewer's sender to be packetized only.

Nothing here decodes or encodes. Each frame becomes one `av.Packet` shared by all viewers (aiortc's
sender packs a packet without touching it); each viewer has its own bounded queue, so a viewer that
stalls loses its own frames (and restarts at the next keyframe) without slowing anyone else.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from livecart.media.aiortc_adapter import EncodedFrame
from livecart.media.gop_cache import GopCache
from livecart.media.keyframes import is_keyframe
from livecart.media.sdp import MediaCodec

# Per viewer, on top of the GOP catch-up it may be started with. Small on purpose: a viewer whose
# sender falls a second behind (slow link, or a server short of CPU) skips to the next keyframe,
# which also sheds the server's work instead of letting every socket's backlog grow.
LIVE_BACKLOG_FRAMES = 30
AUDIO_BACKLOG_FRAMES = 100  # 2 s of 20 ms Opus frames
# A new viewer gets the cached keyframe at once and the rest of the GOP at about 3x real time: a
# burst of a whole GOP overflows socket buffers and aiortc's 128-packet retransmission history.
CATCH_UP_SECONDS_PER_FRAME = 0.010


class ViewerTrack(MediaStreamTrack):
    """What one viewer's RTCRtpSender reads: shared encoded packets from a bounded queue.

    Video starts at a keyframe. When more than `backlog` live frames wait (the GOP catch-up is not
    counted), video drops everything queued and waits for the next keyframe (asking for one through
    `on_overflow`); audio drops its oldest frame.
    """

    def __init__(
        self, kind: str, backlog: int, on_overflow: Callable[[], None], on_start: Callable[[ViewerTrack], None]
    ) -> None:
        super().__init__()
        self.kind = kind
        self._backlog = backlog
        self._on_start = on_start
        self._started = False
        self._on_overflow = on_overflow
        self._queue: deque[av.Packet[Any]] = deque()
        self._wakeup = asyncio.Event()
        self._waiting_for_keyframe = kind == "video"
        self._catch_up = 0
        self.delivered = 0
        self.dropped = 0

    def feed(self, packet: av.Packet[Any], keyframe: bool) -> None:
        if self.readyState != "live":
            return
        if self._waiting_for_keyframe:
            if not keyframe:
                self.dropped += 1
                return
            self._waiting_for_keyframe = False
        if len(self._queue) >= self._backlog + self._catch_up:
            if self.kind == "video":
                self.dropped += len(self._queue)
                self._queue.clear()
                self._catch_up = 0
                if not keyframe:
                    self.dropped += 1
                    self._waiting_for_keyframe = True
                    self._on_overflow()
                    return
            else:
                self._queue.popleft()
                self.dropped += 1
        self._queue.append(packet)
        self._wakeup.set()

    def prime(self, frames: list[tuple[av.Packet[Any], bool]]) -> None:
        """Start from the GOP cache: its keyframe is sent at once, the frames after it paced."""
        self._catch_up = max(0, len(frames) - 1)
        for packet, keyframe in frames:
            self.feed(packet, keyframe)

    def start(self) -> None:
        """Begin receiving frames. The sender calls `recv` only once ICE and DTLS are up, so frames
        are not queued (and then dropped as a backlog) while the viewer is still connecting."""
        if not self._started:
            self._started = True
            self._on_start(self)

    async def recv(self) -> av.Packet[Any]:
        self.start()
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._wakeup.clear()
            await self._wakeup.wait()
        if self._catch_up and self.delivered:
            self._catch_up -= 1
            await asyncio.sleep(CATCH_UP_SECONDS_PER_FRAME)
            if not self._queue:  # dropped (overflow or stop) while pacing
                return await self.recv()
        self.delivered += 1
        return self._queue.popleft()

    def stop(self) -> None:
        super().stop()
        self._queue.clear()
        self._wakeup.set()


class Relay:
    """Fans one publisher's frames out to viewer tracks, with a GOP cache for video."""

    def __init__(self, codecs: dict[str, MediaCodec], request_keyframe: Callable[[], None]) -> None:
        self.codecs = codecs
        self._request_keyframe = request_keyframe
        self._time_bases = {kind: Fraction(1, codec.clock_rate) for kind, codec in codecs.items()}
        self._tracks: dict[str, set[ViewerTrack]] = {kind: set() for kind in codecs}
        self._gop: GopCache[tuple[av.Packet[Any], bool]] = GopCache()
        self._last_pts: dict[str, int] = {}
        self._pts_offset: dict[str, int] = {}
        self._rebase: set[str] = set()
        self.frames_in = 0
        self.keyframes_in = 0

    def push(self, frame: EncodedFrame) -> None:
        """Forward one frame from the publisher (called on the event loop by the receiver tap)."""
        kind = frame.mime_type.partition("/")[0].lower()
        if kind not in self._tracks:
            return
        pts = self._timeline(kind, frame.timestamp)
        packet = av.Packet(frame.data)
        packet.pts = pts
        packet.time_base = self._time_bases[kind]
        keyframe = is_keyframe(frame.mime_type, frame.data)
        self.frames_in += 1
        if kind == "video":
            self.keyframes_in += keyframe
            if not self._gop.add((packet, keyframe), len(frame.data), keyframe):
                self._request_keyframe()
        for track in self._tracks[kind]:
            track.feed(packet, keyframe)

    def _timeline(self, kind: str, timestamp: int) -> int:
        """Keep each viewer's timestamps moving forward when a new publisher replaces the old one."""
        if kind in self._rebase:
            self._rebase.discard(kind)
            last = self._last_pts.get(kind)
            step = self.codecs[kind].clock_rate // 50
            self._pts_offset[kind] = 0 if last is None else last + step - timestamp
        pts = timestamp + self._pts_offset.get(kind, 0)
        self._last_pts[kind] = pts
        return pts

    def new_publisher(self) -> None:
        """A replacement publisher starts its own timeline at 0, and needs a fresh keyframe."""
        self._rebase = set(self._tracks)
        self._gop.clear()

    def attach(self, kind: str) -> ViewerTrack:
        """A new viewer track; it joins the fan-out when its sender starts reading (`ViewerTrack.start`)."""
        backlog = LIVE_BACKLOG_FRAMES if kind == "video" else AUDIO_BACKLOG_FRAMES
        return ViewerTrack(kind, backlog, self._request_keyframe, self._activate)

    def _activate(self, track: ViewerTrack) -> None:
        """Video starts from the GOP cache, and the publisher is asked for a keyframe."""
        if track.readyState != "live" or track.kind not in self._tracks:
            return
        if track.kind == "video":
            track.prime(self._gop.frames())
            self._request_keyframe()
        self._tracks[track.kind].add(track)

    def detach(self, track: ViewerTrack) -> None:
        self._tracks.get(track.kind, set()).discard(track)
        track.stop()

    @property
    def gop_frames(self) -> int:
        return len(self._gop)

    def close(self) -> None:
        for tracks in self._tracks.values():
            for track in tracks:
                track.stop()
            tracks.clear()
        self._gop.clear()
