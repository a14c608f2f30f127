"""The forwarding relay: the publisher's encoded frames are packetized once per show and written to
every viewer's RTP stream. Nothing here decodes or encodes.

Each viewer's sender (video, audio) gets a `ViewerTrack`. aiortc's sender loop only calls its `recv()`
once, when DTLS is up: that starts the viewer, and the loop then stays parked there while the relay
writes the viewer's RTP itself (`RtpWriter`), synchronously, as frames arrive. A viewer whose socket
backs up loses its own frames (video restarts at the next keyframe, which it asks for) without
slowing anyone else; the only queue per viewer is the bounded GOP catch-up of a new viewer.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
from aiortc import RTCRtpCodecParameters, RTCRtpSender
from aiortc.codecs import get_encoder
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from livecart.clock import Clock, SystemClock
from livecart.media.aiortc_adapter import EncodedFrame, SenderTap
from livecart.media.gop_cache import GopCache
from livecart.media.ingest_lag import IngestLag
from livecart.media.keyframes import is_keyframe
from livecart.media.native_writer import WriterFactory, writer_factory
from livecart.media.recorder import Recording
from livecart.media.rtp_writer import FrameWriter, OutFrame, SendTime, ViewerWriter, WriteResult
from livecart.media.sdp import MediaCodec

# A new viewer's catch-up queue may hold the GOP it starts from plus this many live frames; beyond
# that (a server short of CPU) video skips to the next keyframe and audio drops its oldest frame.
LIVE_BACKLOG_FRAMES = 30
AUDIO_BACKLOG_FRAMES = 100  # 2 s of 20 ms Opus frames
# A new viewer gets the cached keyframe at once and the rest of the GOP at about 3x real time: a
# burst of a whole GOP overflows socket buffers and the receiver's NACK window.
CATCH_UP_SECONDS_PER_FRAME = 0.010
# A frame that reaches the relay this much later than the publisher's earliest ones means the server
# is short of CPU and its socket holds a backlog: the viewers' work is shed (video waits for the next
# keyframe that comes in time, late audio is dropped) until frames come within SHED_UNTIL_SECONDS again.
# Without it the backlog grows to the publisher's receive buffer (seconds) and, with it, the delay of
# the publisher's ICE consent answers: after six late ones in a row (~30 s) the publisher is closed.
SHED_AFTER_SECONDS = 0.25
SHED_UNTIL_SECONDS = 0.10
# ... and only while the publisher's socket really holds a backlog (about 14 datagrams): frames the
# publisher itself sent late (a slow encoder, a jittery uplink) cost no more to forward than others.
SHED_BACKLOG_BYTES = 32 * 1024

log = logging.getLogger(__name__)


@dataclass
class DeliveryTotals:
    """What a relay wrote to its viewers (for /metrics)."""

    frames_sent: int = 0
    frames_dropped: int = 0
    packets_sent: int = 0
    packets_retransmitted: int = 0
    frames_shed: int = 0  # publisher frames not fanned out: they came too late (server short of CPU)

    def add(self, other: DeliveryTotals) -> None:
        self.frames_sent += other.frames_sent
        self.frames_dropped += other.frames_dropped
        self.packets_sent += other.packets_sent
        self.packets_retransmitted += other.packets_retransmitted
        self.frames_shed += other.frames_shed


class ViewerTrack(MediaStreamTrack):
    """One viewer's video or audio: shared frames written through the viewer's own `FrameWriter`.

    Video starts at a keyframe: from the GOP cache (the keyframe at once, the frames after it paced),
    else at the next one. A write the viewer's socket cannot take drops the frame; for video, every
    frame until the next keyframe too (asking for one through `on_overflow`).
    """

    def __init__(
        self,
        kind: str,
        backlog: int,
        on_overflow: Callable[[], None],
        on_start: Callable[[ViewerTrack], None],
        timestamp_origin: int = 0,
        make_writer: WriterFactory | None = None,
    ) -> None:
        super().__init__()
        self._make_writer = make_writer or writer_factory("auto")
        self.kind = kind
        self._timestamp_origin = timestamp_origin
        self._backlog = backlog
        self._on_start = on_start
        self._on_overflow = on_overflow
        self._tap: SenderTap | None = None
        self._writer: FrameWriter | None = None
        self._rtp_writer: ViewerWriter | None = None
        self._pending: deque[OutFrame] = deque()
        self._catch_up = 0
        self._pacer: asyncio.Task[None] | None = None
        self._ended = asyncio.Event()
        self._waiting_for_keyframe = kind == "video"
        self.delivered = 0
        self.dropped = 0
        # TEST ONLY (tests/media/test_pin_sync_browser.py): hold this viewer's frames this long before
        # writing them, as a slow network path or an edge relay would. Never set outside tests.
        self.test_only_delay_s = 0.0

    def bind(self, sender: RTCRtpSender) -> None:
        """Take over writing `sender`'s RTP (before negotiation, so its parameters are seen)."""
        self._tap = SenderTap(sender, self._retransmit)

    def start(self, writer: FrameWriter) -> None:
        """Begin receiving frames through `writer`."""
        if self._writer is None and self.readyState == "live":
            self._writer = writer
            self._on_start(self)

    async def recv(self) -> Any:
        """Called by the sender's RTP loop once DTLS is up: start writing, then park until stopped."""
        if self._writer is None and self._tap is not None and self.readyState == "live":
            self._rtp_writer = self._make_writer(self._tap, timestamp_origin=self._timestamp_origin)
            self.start(self._rtp_writer)
        await self._ended.wait()
        raise MediaStreamError

    async def _retransmit(self, sequence_number: int) -> None:
        if self._rtp_writer is not None:
            await self._rtp_writer.retransmit(sequence_number)

    def totals(self) -> DeliveryTotals:
        writer = self._rtp_writer
        return DeliveryTotals(
            self.delivered, self.dropped, writer.packets_sent if writer else 0, writer.retransmitted if writer else 0
        )

    @property
    def catching_up(self) -> bool:
        return bool(self._pending)

    def feed(self, frame: OutFrame, when: SendTime) -> None:
        if self._writer is None or self.readyState != "live":
            return
        if self._waiting_for_keyframe:
            if not frame.keyframe:
                self.dropped += 1
                return
            self._waiting_for_keyframe = False
        if not self._pending:
            self._write(frame, when)
            return
        if len(self._pending) >= self._backlog + self._catch_up:
            if self.kind == "video":
                self._skip_to_keyframe(len(self._pending))
                if not frame.keyframe:
                    self.dropped += 1
                    return
                self._waiting_for_keyframe = False
            else:
                self._pending.popleft()
                self.dropped += 1
        self._pending.append(frame)

    def prime(self, frames: list[OutFrame]) -> None:
        """Start from the GOP cache: its keyframe is written at once, the frames after it paced."""
        if not frames:
            return
        self._waiting_for_keyframe = False
        self._catch_up = len(frames) - 1
        self._write(frames[0], SendTime.now())
        if len(frames) > 1 and self.readyState == "live":
            self._pending.extend(frames[1:])
            self._pacer = asyncio.get_running_loop().create_task(self._pace())

    async def _pace(self) -> None:
        try:
            while self._pending and self.readyState == "live":
                await asyncio.sleep(CATCH_UP_SECONDS_PER_FRAME)
                if self._pending:
                    self._write(self._pending.popleft(), SendTime.now())
        finally:
            self._pacer = None
            self._catch_up = 0

    def shed(self) -> None:
        """The relay is behind its publisher: drop this frame (and any queued), and, for video, wait
        for a keyframe. No keyframe request: the relay asks once when it has caught up."""
        if self._writer is None or self.readyState != "live":
            return
        self.dropped += 1 + len(self._pending)
        self._pending.clear()
        self._catch_up = 0
        if self.kind == "video":
            self._waiting_for_keyframe = True

    def _write(self, frame: OutFrame, when: SendTime) -> None:
        if self.test_only_delay_s > 0:  # TEST ONLY: see __init__
            asyncio.get_running_loop().call_later(self.test_only_delay_s, self._write_late, frame)
            return
        self._write_now(frame, when)

    def _write_late(self, frame: OutFrame) -> None:
        if self._writer is not None and self.readyState == "live":
            self._write_now(frame, SendTime.now())

    def _write_now(self, frame: OutFrame, when: SendTime) -> None:
        assert self._writer is not None
        result = self._writer.write(frame, when)
        if result is WriteResult.SENT:
            self.delivered += 1
        elif result is WriteResult.CONGESTED:
            self.dropped += 1
            if self.kind == "video":
                self._skip_to_keyframe(0)
        else:
            self.stop()

    def _skip_to_keyframe(self, queued: int) -> None:
        self.dropped += queued
        self._pending.clear()
        self._catch_up = 0
        self._waiting_for_keyframe = True
        self._on_overflow()

    def stop(self) -> None:
        super().stop()
        if self._rtp_writer is not None:
            self._rtp_writer.close()
        self._pending.clear()
        self._ended.set()
        if self._pacer is not None:
            self._pacer.cancel()


class Packetizer:
    """Splits one codec's frames into RTP payloads (aiortc's packetizers), once for all viewers."""

    def __init__(self, codec: MediaCodec) -> None:
        self._encoder = get_encoder(
            RTCRtpCodecParameters(
                mimeType=codec.mime_type,
                clockRate=codec.clock_rate,
                channels=codec.channels,
                parameters=dict(codec.parameters),
            )
        )
        self._time_base = Fraction(1, codec.clock_rate)

    def payloads(self, data: bytes, pts: int) -> tuple[bytes, ...]:
        packet = av.Packet(data)
        packet.pts = pts
        packet.time_base = self._time_base
        payloads, _ = self._encoder.pack(packet)
        return tuple(payloads)


class Relay:
    """Fans one publisher's frames out to viewer tracks, with a GOP cache for video."""

    def __init__(
        self,
        codecs: dict[str, MediaCodec],
        request_keyframe: Callable[[], None],
        make_writer: WriterFactory | None = None,
        clock: Clock | None = None,
        backlog: Callable[[], int | None] | None = None,
    ) -> None:
        self.codecs = codecs
        self._backlog = backlog  # bytes unread in the publisher's socket, None when not known
        self._clock = clock or SystemClock()
        self._lag = {kind: IngestLag(codec.clock_rate) for kind, codec in codecs.items()}
        self.shedding = False  # video is behind the publisher: viewers get nothing until it catches up
        self.frames_shed = 0
        self._make_writer = make_writer or writer_factory("auto")  # per viewer track: native or Python
        self._request_keyframe = request_keyframe
        self._packetizers = {kind: Packetizer(codec) for kind, codec in codecs.items()}
        self._tracks: dict[str, set[ViewerTrack]] = {kind: set() for kind in codecs}
        self._gop: GopCache[OutFrame] = GopCache()
        self._finished = DeliveryTotals()  # of viewers gone
        self._last_pts: dict[str, int] = {}
        self._pts_offset: dict[str, int] = {}
        self._rebase: set[str] = set()
        self.frames_in = 0
        self.keyframes_in = 0
        # Replay hooks (livecart/media/recorder.py, media_clock.py): every viewer's RTP timestamps are
        # `timestamp_origin + pts` (one random origin per show, RFC 3550 section 5.1), so the show's
        # media time is the same number on every viewer of this node; the recording gets each frame.
        self.timestamp_origin = random.randrange(1 << 32)
        self.last_video_pts: int | None = None
        self.recording: Recording | None = None

    def push(self, frame: EncodedFrame) -> None:
        """Forward one frame from the publisher (called on the event loop by the receiver tap)."""
        kind = frame.mime_type.partition("/")[0].lower()
        if kind not in self._tracks:
            return
        pts = self._timeline(kind, frame.timestamp)
        keyframe = is_keyframe(frame.mime_type, frame.data)
        out = OutFrame(kind, self._packetizers[kind].payloads(frame.data, pts), pts, keyframe, len(frame.data))
        self.frames_in += 1
        if kind == "video":
            self.keyframes_in += keyframe
            self.last_video_pts = pts
            if not self._gop.add(out, len(frame.data), keyframe):
                self._request_keyframe()
        if self.recording is not None:  # replay hook: queued for the recording's writer thread
            self.recording.write(kind, frame.data, pts, keyframe)
        if self._behind(kind, self._lag[kind].lag(frame.timestamp, self._clock.monotonic())):
            self.frames_shed += 1
            for track in self._tracks[kind]:
                track.shed()
            return
        when = SendTime.now()
        for track in self._tracks[kind]:  # feeding never adds or removes a track
            track.feed(out, when)

    def _behind(self, kind: str, lag: float) -> bool:
        """Whether this frame came too late to be worth the viewers' work (see SHED_AFTER_SECONDS)."""
        if kind != "video":
            return lag > SHED_AFTER_SECONDS and self._backlogged()
        if not self.shedding and lag > SHED_AFTER_SECONDS and self._backlogged():
            self.shedding = True
            log.warning(
                "relay %.0f ms behind its publisher (server short of CPU): viewers skip to the next "
                "keyframe that comes in time",
                lag * 1000,
            )
        elif self.shedding and lag < SHED_UNTIL_SECONDS:
            self.shedding = False
            log.warning("relay caught up with its publisher after shedding %d frames", self.frames_shed)
            self._request_keyframe()
        return self.shedding

    def _backlogged(self) -> bool:
        queued = self._backlog() if self._backlog is not None else None
        return queued is None or queued >= SHED_BACKLOG_BYTES

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
        for lag in self._lag.values():
            lag.reset()
        if self.recording is not None:  # replay hook: video resumes at the new publisher's keyframe
            self.recording.new_publisher()

    def attach(self, kind: str) -> ViewerTrack:
        """A new viewer track; it joins the fan-out when it starts (its sender's first `recv()`)."""
        backlog = LIVE_BACKLOG_FRAMES if kind == "video" else AUDIO_BACKLOG_FRAMES
        return ViewerTrack(
            kind, backlog, self._request_keyframe, self._activate, self.timestamp_origin, self._make_writer
        )

    def _activate(self, track: ViewerTrack) -> None:
        """Video starts from the GOP cache, and the publisher is asked for a keyframe."""
        if track.readyState != "live" or track.kind not in self._tracks:
            return
        if track.kind == "video":
            track.prime(self._gop.frames())
            self._request_keyframe()
        self._tracks[track.kind].add(track)

    def detach(self, track: ViewerTrack) -> None:
        tracks = self._tracks.get(track.kind, set())
        if track in tracks:
            tracks.discard(track)
            self._finished.add(track.totals())
        track.stop()

    def totals(self) -> DeliveryTotals:
        """Everything written to this show's viewers so far, those gone included."""
        totals = DeliveryTotals(frames_shed=self.frames_shed)
        totals.add(self._finished)
        for tracks in self._tracks.values():
            for track in tracks:
                totals.add(track.totals())
        return totals

    @property
    def gop_frames(self) -> int:
        return len(self._gop)

    def close(self) -> None:
        for tracks in self._tracks.values():
            for track in tracks:
                self._finished.add(track.totals())
                track.stop()
            tracks.clear()
        self._gop.clear()
