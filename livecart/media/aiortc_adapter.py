"""The one module that reaches into aiortc's internals, so the relay can forward encoded frames.

Verified with aiortc 1.16.0 (PyAV 18.1). pyproject.toml pins aiortc to 1.16.x, and
tests/media/test_aiortc_adapter.py fails loudly when any internal used here moves.

What is used, and why:
- `RTCRtpReceiver._RTCRtpReceiver__decoder_queue`: the jitter buffer puts every complete encoded
  frame `(codec, JitterFrame)` on this `queue.Queue`, from the event loop, for a decoder thread.
  We swap it (before `receive()` starts that thread) for a queue that hands the frame to the relay
  instead: the publisher's media is never decoded.
- `RTCRtpReceiver._handle_rtp_packet`: wrapped to learn the publisher's *media* SSRC (Chromium
  sends RTX padding first; a PLI addressed to the RTX SSRC is ignored).
- `RTCRtpReceiver._send_rtcp_pli(media_ssrc)`: sends the PLI (RFC 4585 section 6.3.1).
- `RTCRtpSender._send_keyframe`: called when a viewer sends PLI/FIR; with pre-encoded packets it
  would only set an unused flag, so it is replaced per sender by the relay's keyframe request.
- `RTCIceGatherer._connection._protocols[*].transport`: the aioice UDP sockets, whose receive buffer
  is enlarged for publishers (a busy event loop must not turn into lost packets: aiortc's video
  jitter buffer then stalls until 512 packets have piled up).
- `RTCRtpSender._next_encoded_frame`: packetizes (`encoder.pack`) whatever is not an `av.Frame`.
  Nothing is patched there, but forwarding depends on it, so it is checked.
"""

from __future__ import annotations

import inspect
import queue
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aioice
import aiortc
from aiortc import RTCIceGatherer, RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from aiortc.codecs import is_rtx

VERIFIED_AIORTC_VERSIONS = ("1.16.",)

_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
_DECODER_THREAD = "_RTCRtpReceiver__decoder_thread"
_RECEIVER_CODECS = "_RTCRtpReceiver__codecs"


class AiortcChanged(RuntimeError):
    """aiortc no longer looks the way livecart's forwarding relay was verified against."""


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One complete encoded frame as it came off the publisher's jitter buffer."""

    mime_type: str  # e.g. "video/VP8", "video/H264", "audio/opus"
    data: bytes
    timestamp: int  # in the codec's clock rate, starting near 0


FrameSink = Callable[[EncodedFrame], None]


def verify() -> None:
    """Raise AiortcChanged if an internal this module relies on is missing or changed."""
    problems: list[str] = []
    receive_source = _source(RTCRtpReceiver._handle_rtp_packet)
    if "self.__decoder_queue.put((codec, encoded_frame))" not in receive_source:
        problems.append("RTCRtpReceiver._handle_rtp_packet no longer puts (codec, frame) on __decoder_queue")
    if "self.__decoder_queue" not in _source(RTCRtpReceiver.__init__):
        problems.append("RTCRtpReceiver.__init__ no longer creates __decoder_queue")
    if "self.__decoder_thread = threading.Thread" not in _source(RTCRtpReceiver.receive):
        problems.append("RTCRtpReceiver.receive no longer starts the decoder thread itself")
    if not inspect.iscoroutinefunction(getattr(RTCRtpReceiver, "_send_rtcp_pli", None)):
        problems.append("RTCRtpReceiver._send_rtcp_pli is gone")
    if "self._send_keyframe()" not in _source(RTCRtpSender._handle_rtcp_packet):
        problems.append("RTCRtpSender._handle_rtcp_packet no longer calls self._send_keyframe() on PLI/FIR")
    if "self._connection = Connection(" not in _source(RTCIceGatherer.__init__):
        problems.append("RTCIceGatherer no longer keeps its aioice Connection in _connection")
    if "self._protocols" not in _source(aioice.Connection.__init__):
        problems.append("aioice.Connection no longer keeps its sockets' protocols in _protocols")
    if ".pack(data)" not in _source(RTCRtpSender._next_encoded_frame):
        problems.append("RTCRtpSender._next_encoded_frame no longer packs pre-encoded packets")
    if problems:
        raise AiortcChanged(
            f"aiortc {aiortc.__version__} changed under livecart/media/aiortc_adapter.py: "
            + "; ".join(problems)
        )


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError) as exc:  # e.g. an install without .py files
        raise AiortcChanged(f"cannot read aiortc's source to verify it: {exc}") from None


def version_is_verified() -> bool:
    return aiortc.__version__.startswith(VERIFIED_AIORTC_VERSIONS)


class _EncodedFrameTap(queue.Queue[Any]):
    """Stands in for the receiver's decoder queue: frames go to `sink`, only the stop marker is queued.

    `put` is called on the event loop thread (from `_handle_rtp_packet`), so `sink` runs there too.
    The idle decoder thread blocks on `get()` until the receiver stops and puts None.
    """

    def __init__(self, sink: FrameSink) -> None:
        super().__init__()
        self._sink = sink

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            super().put(None, block, timeout)
            return
        codec, jitter_frame = item
        self._sink(EncodedFrame(codec.mimeType, bytes(jitter_frame.data), int(jitter_frame.timestamp)))


class ReceiverTap:
    """Takes encoded frames from a publisher's receiver and sends keyframe requests back to it."""

    def __init__(self, receiver: RTCRtpReceiver, sink: FrameSink) -> None:
        if getattr(receiver, _DECODER_THREAD, None) is not None:
            raise AiortcChanged("the receiver's decoder thread started before the tap was installed")
        if not isinstance(getattr(receiver, _DECODER_QUEUE, None), queue.Queue):
            raise AiortcChanged("RTCRtpReceiver has no __decoder_queue")
        self._receiver = receiver
        self.media_ssrc: int | None = None
        self.last_packet_at: float | None = None
        setattr(receiver, _DECODER_QUEUE, _EncodedFrameTap(sink))
        original: Callable[[Any, int], Awaitable[None]] = receiver._handle_rtp_packet
        codecs: dict[int, Any] = getattr(receiver, _RECEIVER_CODECS)

        async def handle_rtp_packet(packet: Any, arrival_time_ms: int) -> None:
            self.last_packet_at = time.monotonic()
            codec = codecs.get(packet.payload_type)
            if codec is not None and not is_rtx(codec):
                self.media_ssrc = packet.ssrc
            await original(packet, arrival_time_ms)

        receiver._handle_rtp_packet = handle_rtp_packet  # type: ignore[method-assign]

    async def request_keyframe(self) -> bool:
        """Send a PLI to the publisher's media SSRC; False when no media has arrived yet."""
        if self.media_ssrc is None:
            return False
        await self._receiver._send_rtcp_pli(self.media_ssrc)
        return True


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call `callback` whenever the remote end of `sender` asks for a keyframe (PLI or FIR)."""
    sender._send_keyframe = callback  # type: ignore[method-assign]


def enlarge_receive_buffers(pc: RTCPeerConnection, size_bytes: int) -> int:
    """Ask for `size_bytes` of UDP receive buffer on each of the peer's ICE sockets (the kernel caps
    it at net.core.rmem_max). Returns how many sockets were changed. Call after gathering."""
    changed = 0
    gatherers = {id(t.receiver.transport.transport.iceGatherer): t.receiver.transport.transport.iceGatherer
                 for t in pc.getTransceivers()}
    for gatherer in gatherers.values():
        for protocol in getattr(gatherer._connection, "_protocols", []):
            transport = getattr(protocol, "transport", None)
            sock = transport.get_extra_info("socket") if transport is not None else None
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size_bytes)
                changed += 1
    return changed
