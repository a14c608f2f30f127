"""One show's broadcast: the WHIP publisher's peer connection, the relay, and the WHEP viewers' peers."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Coroutine
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.exceptions import InternalError, InvalidStateError, OperationError

from livecart.media.aiortc_adapter import (
    EncodedFrame,
    ReceiverTap,
    enlarge_receive_buffers,
    interoperable_dtls,
    on_keyframe_request,
    queued_bytes,
    receive_sockets,
)
from livecart.media.keyframes import KeyframeThrottle
from livecart.media.native_writer import WriterFactory
from livecart.media.relay import Relay, ViewerTrack
from livecart.media.sdp import (
    MediaCodec,
    OfferError,
    capabilities_for,
    negotiated_codecs,
    offered_kinds,
    parse_offer,
    require_direction,
)

log = logging.getLogger(__name__)

PUBLISHER_CONNECT_SECONDS = 10.0  # a new publisher has this long to send its first frame
PUBLISHER_SILENCE_SECONDS = 5.0  # no RTP at all for this long counts as a lost publisher
PUBLISHER_RECEIVE_BUFFER_BYTES = 1024 * 1024  # ~5 s at 1.5 Mbit/s; larger only turns loss into lag
DEAD_STATES = ("failed", "closed")


def new_session_id() -> str:
    return secrets.token_urlsafe(12)


async def _negotiate(pc: RTCPeerConnection, offer: str) -> str:
    """Apply a remote offer and return our answer with all candidates gathered (no trickle ICE)."""
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    except OperationError as exc:
        raise OfferError(f"no common codec: {exc}", status=422) from None
    except (ValueError, InvalidStateError, InternalError) as exc:
        raise OfferError(f"the SDP offer is not usable: {exc}") from None
    await _answer(pc)
    return str(pc.localDescription.sdp)


async def _answer(pc: RTCPeerConnection) -> None:
    """Create and apply our answer. aiortc accepts some broken offers in setRemoteDescription and then
    fails deep inside createAnswer (ValueError, AttributeError, …): that is still the offer's fault."""
    try:
        await pc.setLocalDescription(await pc.createAnswer())
    except Exception as exc:
        raise OfferError(f"the SDP offer is not usable: {type(exc).__name__} {exc}") from None


async def close_quietly(pc: RTCPeerConnection) -> None:
    """Close a peer connection that may be half set up (aiortc's close can fail on those)."""
    try:
        await pc.close()
    except Exception as exc:
        log.info("closing a half-negotiated peer connection failed: %s %s", type(exc).__name__, exc)


class TappedSource:
    """A peer whose receivers are tapped for encoded frames, which go to a show's relay: the WHIP
    publisher, or an edge node's pull of the show from its origin (livecart/media/edge.py)."""

    connect_seconds = PUBLISHER_CONNECT_SECONDS  # to bring its first packet
    silence_seconds = PUBLISHER_SILENCE_SECONDS  # no RTP at all for this long: lost

    def __init__(self, pc: RTCPeerConnection, session_id: str) -> None:
        self.pc = pc
        self.session_id = session_id
        self.codecs: dict[str, MediaCodec] = {}
        self.created_at = time.monotonic()
        self._taps: list[ReceiverTap] = []
        self._video_tap: ReceiverTap | None = None
        self._relay: Relay | None = None
        self._sockets: list[Any] = []  # whose receive queue tells a backlog (see backlog_bytes)

    def tap(self, kind: str, receiver: RTCRtpReceiver) -> None:
        tap = ReceiverTap(receiver, self._on_frame)
        self._taps.append(tap)
        if kind == "video" and self._video_tap is None:
            self._video_tap = tap

    def feed(self, relay: Relay) -> None:
        self._relay = relay

    def _on_frame(self, frame: EncodedFrame) -> None:
        if self._relay is not None:
            self._relay.push(frame)

    async def request_keyframe(self) -> None:
        if self._video_tap is not None:
            await self._video_tap.request_keyframe()

    def watch_backlog(self) -> None:
        """Watch this peer's ICE sockets' receive queues (after negotiation: gathered)."""
        self._sockets = receive_sockets(self.pc)

    def backlog_bytes(self) -> int | None:
        """What waits unread in this peer's sockets; None when not known (the relay then goes by the
        frames' lag alone)."""
        return queued_bytes(self._sockets) if self._sockets else None

    def alive(self, now: float) -> bool:
        if self.pc.connectionState in DEAD_STATES:
            return False
        heard = [tap.last_packet_at for tap in self._taps if tap.last_packet_at is not None]
        if not heard:
            return now - self.created_at < self.connect_seconds
        return now - max(heard) < self.silence_seconds

    async def close(self) -> None:
        self._relay = None
        await self.pc.close()


class Publisher(TappedSource):
    """The WHIP side: one peer connection whose receivers are tapped for encoded frames."""

    def __init__(self, pc: RTCPeerConnection, session_id: str) -> None:
        super().__init__(pc, session_id)
        self.answer = ""

    @classmethod
    async def negotiate(cls, config: RTCConfiguration, offer: str) -> Publisher:
        description = parse_offer(offer)
        require_direction(description, ("sendonly", "sendrecv"), "WHIP")
        if "video" not in offered_kinds(description):
            raise OfferError("a WHIP offer must carry video", status=422)
        publisher = cls(RTCPeerConnection(config), new_session_id())
        interoperable_dtls(publisher.pc)
        try:
            await publisher._negotiate(offer)
        except BaseException:
            await close_quietly(publisher.pc)
            raise
        return publisher

    async def _negotiate(self, offer: str) -> None:
        pc = self.pc
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        except OperationError as exc:
            raise OfferError(f"no codec livecart can forward: {exc}", status=422) from None
        except (ValueError, InvalidStateError, InternalError) as exc:
            raise OfferError(f"the SDP offer is not usable: {exc}") from None
        for transceiver in pc.getTransceivers():
            self.tap(transceiver.kind, transceiver.receiver)
        await _answer(pc)
        enlarge_receive_buffers(pc, PUBLISHER_RECEIVE_BUFFER_BYTES)
        self.watch_backlog()
        self.answer = str(pc.localDescription.sdp)
        self.codecs = negotiated_codecs(self.answer)
        if "video" not in self.codecs:
            raise OfferError("no video codec livecart can forward (VP8 or H.264)", status=422)


class Viewer:
    """The WHEP side: one peer connection whose senders' RTP the relay writes (`ViewerTrack`)."""

    def __init__(self, pc: RTCPeerConnection, session_id: str, tracks: list[ViewerTrack]) -> None:
        self.pc = pc
        self.session_id = session_id
        self.tracks = tracks
        self.answer = ""
        self.created_at = time.monotonic()
        self._connected = False

    def connected(self) -> bool:
        """Has its ICE and DTLS completed (now or before)?"""
        if not self._connected and self.pc.connectionState == "connected":
            self._connected = True
        return self._connected

    async def close(self) -> None:
        for track in self.tracks:
            track.stop()
        await self.pc.close()


class Broadcast:
    """A live show on this node: its publisher, relay, viewers and keyframe throttle."""

    def __init__(
        self, show_id: str, host_id: str, publisher: TappedSource, make_writer: WriterFactory | None = None
    ) -> None:
        self.show_id = show_id
        self.host_id = host_id
        self.publisher = publisher
        self.relay = Relay(publisher.codecs, self._request_keyframe, make_writer, backlog=self._backlog)
        self.viewers: dict[str, Viewer] = {}
        self.keyframes = KeyframeThrottle(self._send_keyframe_request)
        self.lost_since: float | None = None
        self.paused = False  # the publisher left; viewers keep their peers until it is back or the show ends
        self._tasks: set[asyncio.Task[Any]] = set()
        publisher.feed(self.relay)

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _request_keyframe(self) -> None:
        self.keyframes.request()

    def _backlog(self) -> int | None:
        return self.publisher.backlog_bytes()

    def _send_keyframe_request(self) -> None:
        self._spawn(self.publisher.request_keyframe())

    def can_replace_publisher(self, codecs: dict[str, MediaCodec]) -> bool:
        return codecs == self.publisher.codecs

    async def replace_publisher(self, publisher: TappedSource) -> None:
        """Same host, same codecs, previous publisher gone: viewers keep their peers and carry on."""
        old = self.publisher
        self.publisher = publisher
        self.lost_since = None
        self.relay.new_publisher()
        publisher.feed(self.relay)
        self._request_keyframe()
        await old.close()

    async def add_viewer(self, config: RTCConfiguration, offer: str) -> Viewer:
        description = parse_offer(offer)
        require_direction(description, ("recvonly", "sendrecv"), "WHEP")
        kinds = [kind for kind in dict.fromkeys(offered_kinds(description)) if kind in self.relay.codecs]
        if not kinds:
            raise OfferError("the offer asks for no media this show sends", status=422)
        pc = RTCPeerConnection(config)
        interoperable_dtls(pc)
        tracks: list[ViewerTrack] = []
        viewer = Viewer(pc, new_session_id(), tracks)
        try:
            for kind in kinds:
                codec = self.relay.codecs[kind]
                track = self.relay.attach(kind)
                tracks.append(track)
                transceiver = pc.addTransceiver(track, direction="sendonly")
                transceiver.setCodecPreferences(capabilities_for(codec))
                track.bind(transceiver.sender)
                on_keyframe_request(transceiver.sender, self._request_keyframe)
            try:
                viewer.answer = await _negotiate(pc, offer)
            except OfferError as exc:
                if exc.status == 422:
                    video = self.relay.codecs["video"]
                    raise OfferError(
                        f"this show's video is {video.name} {_format(video)}; the offer does not accept it",
                        status=422,
                    ) from None
                raise
        except BaseException:
            for track in tracks:
                self.relay.detach(track)
            await close_quietly(pc)
            raise
        self.viewers[viewer.session_id] = viewer
        return viewer

    async def remove_viewer(self, session_id: str) -> bool:
        viewer = self.viewers.pop(session_id, None)
        if viewer is None:
            return False
        for track in viewer.tracks:
            self.relay.detach(track)
        await viewer.close()
        return True

    def dead_viewers(self, now: float, connect_s: float) -> list[str]:
        """Viewers whose peer died, and those that did not connect within `connect_s` of their offer."""
        return [
            sid
            for sid, viewer in self.viewers.items()
            if viewer.pc.connectionState in DEAD_STATES
            or (not viewer.connected() and now - viewer.created_at > connect_s)
        ]

    async def close(self) -> None:
        """End the broadcast: every viewer's peer and the publisher's are closed (RTCP BYE, DTLS close)."""
        self.keyframes.close()
        viewers = list(self.viewers.values())
        self.viewers.clear()
        self.relay.close()
        await asyncio.gather(*(viewer.close() for viewer in viewers), self.publisher.close())
        for task in list(self._tasks):
            task.cancel()


def _format(codec: MediaCodec) -> str:
    if codec.mime_type.lower() == "video/h264":
        return f"(packetization-mode={codec.parameters.get('packetization-mode', 0)})"
    return ""
