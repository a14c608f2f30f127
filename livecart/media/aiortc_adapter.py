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
- The viewer side (`SenderTap`) bypasses `RTCRtpSender._run_rtp`, whose per-packet Python (an
  `RtpPacket` per viewer per packet, header extensions, four nested coroutines down to the socket)
  cost more than everything else per viewer. The relay packetizes each frame once per show and writes
  each viewer's RTP itself; from the sender it needs: its SSRCs, MID and negotiated payload types and
  header extension ids (`send()` parameters, `_RTCRtpSender__rtp_header_extensions_map`), the DTLS
  transport's SRTP session (`RTCDtlsTransport._tx_srtp`) and the nominated ICE pair
  (`aioice.Connection._nominated`, whose `StunProtocol.send_data` is a plain `transport.sendto`).
  It keeps the sender's RTCP sender reports true by updating the counters `_run_rtcp` reads
  (`_RTCRtpSender__ntp_timestamp`, `__rtp_timestamp`, `__packet_count`, `__octet_count`), and
  answers NACKs by replacing `RTCRtpSender._retransmit` per sender.
- DTLS (`interoperable_dtls`): livecart answers every offer with `a=setup:active`, so it is the DTLS
  client, and aiortc's `RTCCertificate._create_ssl_context` offers only ECDHE-ECDSA suites. Peers
  with an RSA certificate (GStreamer's webrtcbin) then fail with "no shared cipher". The SSL context
  each of a peer connection's certificates builds (`RTCPeerConnection.__certificates`, handed to its
  `RTCDtlsTransport`s, which call `_create_ssl_context` in `start()`) gets `DTLS_CIPHER_SUITES`.
"""

from __future__ import annotations

import inspect
import queue
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aioice
import aiortc
from aioice.ice import StunProtocol
from aiortc import (
    RTCCertificate,
    RTCDtlsTransport,
    RTCIceGatherer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
)
from aiortc.codecs import is_rtx
from aiortc.rtcdtlstransport import SRTP_AES128_CM_SHA1_80
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtp import RtpPacket
from OpenSSL import SSL

VERIFIED_AIORTC_VERSIONS = ("1.16.",)

_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
_DECODER_THREAD = "_RTCRtpReceiver__decoder_thread"
_RECEIVER_CODECS = "_RTCRtpReceiver__codecs"
_PC_CERTIFICATES = "_RTCPeerConnection__certificates"

# The DTLS 1.2 suites livecart offers as the DTLS client: aiortc's four ECDHE-ECDSA suites, each
# followed by its ECDHE-RSA twin for peers whose certificate is RSA (GStreamer's webrtcbin: RSA-2048).
DTLS_CIPHER_SUITES: tuple[str, ...] = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES256-SHA",
)


class AiortcChanged(RuntimeError):
    """aiortc no longer looks the way livecart's forwarding relay was verified against."""


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One complete encoded frame as it came off the publisher's jitter buffer."""

    mime_type: str  # e.g. "video/VP8", "video/H264", "audio/opus"
    data: bytes
    timestamp: int  # in the codec's clock rate, starting near 0


FrameSink = Callable[[EncodedFrame], None]


# (text that must appear in the source of, class, its attribute, what it means when it is missing); looked up
# when verify() runs, so a patched class is seen as it is.
_REQUIRED_SOURCE: tuple[tuple[str, type, str, str], ...] = (
    (
        "self.__decoder_queue.put((codec, encoded_frame))",
        RTCRtpReceiver,
        "_handle_rtp_packet",
        "RTCRtpReceiver._handle_rtp_packet no longer puts (codec, frame) on __decoder_queue",
    ),
    ("self.__decoder_queue", RTCRtpReceiver, "__init__", "RTCRtpReceiver.__init__ no longer creates __decoder_queue"),
    (
        "self.__decoder_thread = threading.Thread",
        RTCRtpReceiver,
        "receive",
        "RTCRtpReceiver.receive no longer starts the decoder thread itself",
    ),
    (
        "self._send_keyframe()",
        RTCRtpSender,
        "_handle_rtcp_packet",
        "RTCRtpSender._handle_rtcp_packet no longer calls self._send_keyframe() on PLI/FIR",
    ),
    (
        "await self._retransmit(",
        RTCRtpSender,
        "_handle_rtcp_packet",
        "RTCRtpSender._handle_rtcp_packet no longer answers NACKs through self._retransmit",
    ),
    ("self.__track.recv()", RTCRtpSender, "_next_encoded_frame", "RTCRtpSender no longer reads its track with recv()"),
    (
        "self._connection = Connection(",
        RTCIceGatherer,
        "__init__",
        "RTCIceGatherer no longer keeps its aioice Connection in _connection",
    ),
    (
        "self._protocols",
        aioice.Connection,
        "__init__",
        "aioice.Connection no longer keeps its sockets' protocols in _protocols",
    ),
    (
        "self._tx_srtp.protect(data)",
        RTCDtlsTransport,
        "_send_rtp",
        "RTCDtlsTransport._send_rtp no longer protects RTP with self._tx_srtp",
    ),
    (
        "self._nominated.get(component)",
        aioice.Connection,
        "sendto",
        "aioice.Connection.sendto no longer sends on self._nominated[component]",
    ),
    (
        "self.transport.sendto(data, addr)",
        StunProtocol,
        "send_data",
        "aioice StunProtocol.send_data is no longer a plain transport.sendto",
    ),
    (
        "self.__certificates = [",
        RTCPeerConnection,
        "__init__",
        "RTCPeerConnection no longer keeps its certificates in __certificates",
    ),
    (
        "RTCDtlsTransport(iceTransport, self.__certificates)",
        RTCPeerConnection,
        "_RTCPeerConnection__createDtlsTransport",
        "RTCPeerConnection no longer hands its __certificates to each RTCDtlsTransport",
    ),
    (
        "self.__local_certificate._create_ssl_context(",
        RTCDtlsTransport,
        "start",
        "RTCDtlsTransport.start no longer builds its SSL context with RTCCertificate._create_ssl_context",
    ),
    (
        "ctx.set_cipher_list(",
        RTCCertificate,
        "_create_ssl_context",
        "RTCCertificate._create_ssl_context no longer sets the DTLS cipher list",
    ),
    (
        'export_keying_material(\n            b"EXTRACTOR-dtls_srtp",',
        RTCDtlsTransport,
        "_setup_srtp",
        "RTCDtlsTransport._setup_srtp no longer exports the SRTP keys with EXTRACTOR-dtls_srtp",
    ),
    (
        "srtp_tx_key = srtp_profile.get_key_and_salt(view, 1)",
        RTCDtlsTransport,
        "_setup_srtp",
        "RTCDtlsTransport._setup_srtp no longer takes the server's send key from the second half",
    ),
    (
        "for srtp_profile in self._srtp_profiles:",
        RTCDtlsTransport,
        "_setup_srtp",
        "RTCDtlsTransport._setup_srtp no longer picks the profile from self._srtp_profiles",
    ),
    (
        "self._state != State.CONNECTED",
        RTCDtlsTransport,
        "_send_rtp",
        "RTCDtlsTransport no longer keeps its state as the State enum in _state",
    ),
)
_SENDER_FIELDS = ("__rtp_header_extensions_map", "__mid", "__rtx_payload_type", "__rtx_sequence_number")
_SENDER_REPORT_FIELDS = ("__ntp_timestamp", "__rtp_timestamp", "__packet_count", "__octet_count")


def verify() -> None:
    """Raise AiortcChanged if an internal this module relies on is missing or changed."""
    problems = [
        problem
        for needle, owner, attribute, problem in _REQUIRED_SOURCE
        if not hasattr(owner, attribute) or needle not in _source(getattr(owner, attribute))
    ]
    if not inspect.iscoroutinefunction(getattr(RTCRtpReceiver, "_send_rtcp_pli", None)):
        problems.append("RTCRtpReceiver._send_rtcp_pli is gone")
    sender_init, sender_reports = _source(RTCRtpSender.__init__), _source(RTCRtpSender._run_rtcp)
    for name in _SENDER_FIELDS + _SENDER_REPORT_FIELDS:
        if f"self.{name} =" not in sender_init and f"self.{name}:" not in sender_init:
            problems.append(f"RTCRtpSender.__init__ no longer sets self.{name}")
    for name in _SENDER_REPORT_FIELDS:
        if f"self.{name}" not in sender_reports:
            problems.append(f"RTCRtpSender._run_rtcp no longer reports self.{name} in its sender reports")
    problems.extend(_dtls_problems())
    if problems:
        raise AiortcChanged(
            f"aiortc {aiortc.__version__} changed under livecart/media/aiortc_adapter.py: " + "; ".join(problems)
        )


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError) as exc:  # e.g. an install without .py files
        raise AiortcChanged(f"cannot read aiortc's source to verify it: {exc}") from None


def _dtls_problems() -> list[str]:
    """livecart's suites must stay a superset of what aiortc itself offers: never narrow it."""
    try:
        context = RTCCertificate.generateCertificate()._create_ssl_context([SRTP_AES128_CM_SHA1_80])
    except Exception as exc:  # any failure here means aiortc changed
        return [f"RTCCertificate._create_ssl_context([profile]) failed: {exc!r}"]
    missing = set(dtls_suites(context)) - set(DTLS_CIPHER_SUITES)
    if missing:
        return [f"aiortc now offers DTLS suites livecart would drop: {sorted(missing)}"]
    return []


def dtls_suites(context: SSL.Context) -> list[str]:
    """The (D)TLS 1.2 suites a connection made from `context` offers, in order."""
    return [name for name in SSL.Connection(context).get_cipher_list() if not name.startswith("TLS_")]


def interoperable_dtls(pc: RTCPeerConnection) -> None:
    """Make `pc`'s DTLS offer `DTLS_CIPHER_SUITES` (ECDHE-RSA next to ECDHE-ECDSA). Call before
    negotiating: each DTLS transport builds its SSL context from these certificates in `start()`."""
    cipher_list = ":".join(DTLS_CIPHER_SUITES).encode()
    for certificate in getattr(pc, _PC_CERTIFICATES):
        build: Callable[[Any], SSL.Context] = certificate._create_ssl_context

        def create_ssl_context(srtp_profiles: Any, build: Callable[[Any], SSL.Context] = build) -> SSL.Context:
            context = build(srtp_profiles)
            context.set_cipher_list(cipher_list)
            return context

        certificate._create_ssl_context = create_ssl_context


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
        self.last_rtp_timestamp: int | None = None  # of the latest media packet, as sent
        setattr(receiver, _DECODER_QUEUE, _EncodedFrameTap(sink))
        original: Callable[[Any, int], Awaitable[None]] = receiver._handle_rtp_packet
        codecs: dict[int, Any] = getattr(receiver, _RECEIVER_CODECS)

        async def handle_rtp_packet(packet: Any, arrival_time_ms: int) -> None:
            self.last_packet_at = time.monotonic()
            codec = codecs.get(packet.payload_type)
            if codec is not None and not is_rtx(codec):
                self.media_ssrc = packet.ssrc
                self.last_rtp_timestamp = packet.timestamp
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


def receive_sockets(pc: RTCPeerConnection) -> list[socket.socket]:
    """The peer's ICE sockets (aioice's UDP transports), once gathered."""
    sockets = []
    gatherers = {
        id(t.receiver.transport.transport.iceGatherer): t.receiver.transport.transport.iceGatherer
        for t in pc.getTransceivers()
    }
    for gatherer in gatherers.values():
        for protocol in getattr(gatherer._connection, "_protocols", []):
            transport = getattr(protocol, "transport", None)
            sock = transport.get_extra_info("socket") if transport is not None else None
            if sock is not None:
                sockets.append(sock)
    return sockets


def enlarge_receive_buffers(pc: RTCPeerConnection, size_bytes: int) -> int:
    """Ask for `size_bytes` of UDP receive buffer on each of the peer's ICE sockets (the kernel caps
    it at net.core.rmem_max). Returns how many sockets were changed. Call after gathering."""
    sockets = receive_sockets(pc)
    for sock in sockets:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size_bytes)
    return len(sockets)


SO_MEMINFO = getattr(socket, "SO_MEMINFO", 55)  # Linux 4.6+; Python 3.11 does not name it
_MEMINFO = struct.Struct("=9I")  # SK_MEMINFO_RMEM_ALLOC first


def queued_bytes(sockets: list[Any]) -> int | None:
    """Bytes waiting in these sockets' receive queues (kernel accounting, SO_MEMINFO), or None where
    the kernel cannot tell (not Linux, a closed socket)."""
    total = 0
    try:
        for sock in sockets:
            total += _MEMINFO.unpack(sock.getsockopt(socket.SOL_SOCKET, SO_MEMINFO, _MEMINFO.size))[0]
    except (OSError, struct.error):
        return None
    return total


# The one-byte header extension value the sender writes per packet: 24-bit abs-send-time (6.18 s).
_ABS_SEND_TIME_PROBE = 0xA5C3E1


@dataclass(frozen=True, slots=True)
class RtpHeaderShape:
    """How this sender's RTP headers look: the first byte (version, extension bit) and the header
    extension block (mid, abs-send-time) with the offset of the 3 abs-send-time bytes in it."""

    first_byte: int
    extension: bytes
    abs_send_time_at: int | None


@dataclass(frozen=True, slots=True)
class SrtpKeying:
    """The SRTP master key and salt this end sends with, as aiortc's DTLS transport derived them for
    its pylibsrtp session (RFC 5764 section 4.2), and the negotiated profile (libsrtp's number)."""

    profile: int
    key_and_salt: bytes


@dataclass(frozen=True, slots=True)
class DatagramLink:
    """Where a viewer's protected RTP goes: the SRTP session's protect, and the nominated ICE pair."""

    protect: Callable[[bytes], bytes]
    transport: Any  # asyncio.DatagramTransport of the pair's socket
    address: tuple[str, int]
    direct: bool  # False for a TURN pair: send through aioice's coroutine instead
    protocol: Any
    pair: Any = None  # the aioice CandidatePair: a new nomination is a new pair object
    dtls: Any = None  # the RTCDtlsTransport


class SenderTap:
    """Lets the relay write one viewer's RTP itself instead of the sender's per-packet `_run_rtp`.

    The sender still negotiates, runs RTCP (its reports read the counters `record_sent` keeps), and
    handles PLI/FIR (`on_keyframe_request`). Its RTP loop stays parked in the track's `recv()`.
    """

    def __init__(self, sender: RTCRtpSender, retransmit: Callable[[int], Awaitable[None]]) -> None:
        for name in ("_RTCRtpSender__rtp_header_extensions_map", "_RTCRtpSender__packet_count"):
            if not hasattr(sender, name):
                raise AiortcChanged(f"RTCRtpSender has no {name}")
        self._sender = sender
        self.payload_type: int | None = None
        self.rtx_payload_type: int | None = None
        original_send = sender.send

        async def send(parameters: Any) -> None:
            self.payload_type = parameters.codecs[0].payloadType
            await original_send(parameters)
            self.rtx_payload_type = sender._RTCRtpSender__rtx_payload_type  # type: ignore[attr-defined]

        sender.send = send  # type: ignore[method-assign]
        sender._retransmit = retransmit  # type: ignore[method-assign,assignment]

    @property
    def ssrc(self) -> int:
        return int(self._sender._ssrc)

    @property
    def rtx_ssrc(self) -> int:
        return int(self._sender._rtx_ssrc)

    def next_rtx_sequence_number(self) -> int:
        name = "_RTCRtpSender__rtx_sequence_number"
        number = int(getattr(self._sender, name))
        setattr(self._sender, name, (number + 1) & 0xFFFF)
        return number

    def header_shape(self) -> RtpHeaderShape:
        """Serialize a probe packet with the sender's negotiated extensions (mid, abs-send-time)
        twice, and find where abs-send-time sits by where the two differ."""
        extensions_map = self._sender._RTCRtpSender__rtp_header_extensions_map  # type: ignore[attr-defined]
        mid = self._sender._RTCRtpSender__mid  # type: ignore[attr-defined]

        def probe(abs_send_time: int) -> bytes:
            packet = RtpPacket(payload_type=0, sequence_number=0, timestamp=0, ssrc=0)
            packet.extensions.mid = mid
            packet.extensions.abs_send_time = abs_send_time
            return bytes(packet.serialize(extensions_map))

        zero, marked = probe(0), probe(_ABS_SEND_TIME_PROBE)
        differ = [i for i, (a, b) in enumerate(zip(zero, marked, strict=True)) if a != b]
        if differ and (differ[0] < 12 or differ[-1] - differ[0] > 2):
            raise AiortcChanged(f"abs-send-time is not where a one-byte extension puts it: {differ}")
        at = differ[0] - 12 if differ else None
        if at is not None and at + 3 > len(zero) - 12:
            raise AiortcChanged("abs-send-time runs past the header extension")
        return RtpHeaderShape(first_byte=zero[0], extension=zero[12:], abs_send_time_at=at)

    def link(self) -> DatagramLink | None:
        """The SRTP session and ICE pair to send on, or None while DTLS is not connected."""
        dtls: RTCDtlsTransport = self._sender.transport
        if dtls.state != "connected" or dtls._tx_srtp is None:
            return None
        pair = dtls.transport._connection._nominated.get(1)
        if pair is None:
            return None
        protocol = pair.protocol
        direct = type(protocol) is StunProtocol and protocol.transport is not None
        return DatagramLink(
            protect=dtls._tx_srtp.protect,
            transport=getattr(protocol, "transport", None),
            address=pair.remote_addr,
            direct=direct,
            protocol=protocol,
            pair=pair,
            dtls=dtls,
        )

    def srtp_keying(self) -> SrtpKeying | None:
        """The sending SRTP key of the sender's DTLS transport, exported again from the DTLS session
        exactly as `RTCDtlsTransport._setup_srtp` does; None while DTLS is not connected."""
        dtls: RTCDtlsTransport = self._sender.transport
        ssl = dtls._ssl
        if dtls.state != "connected" or dtls._tx_srtp is None or ssl is None:
            return None
        selected = ssl.get_selected_srtp_profile()
        profile = next((p for p in dtls._srtp_profiles if p.openssl_profile == selected), None)
        if profile is None:
            return None
        view = ssl.export_keying_material(b"EXTRACTOR-dtls_srtp", 2 * (profile.key_length + profile.salt_length))
        half = 1 if dtls._role == "server" else 0
        return SrtpKeying(int(profile.libsrtp_profile), profile.get_key_and_salt(view, half))

    def still_linked(self, link: DatagramLink) -> bool:
        """Whether `link` is still where this sender's RTP goes (asked per frame per viewer: kept cheap,
        the DTLS state enum and the nominated pair's identity instead of aiortc's string properties)."""
        dtls = link.dtls
        return (
            dtls is self._sender.transport
            and dtls._state is DtlsState.CONNECTED
            and dtls.transport._connection._nominated.get(1) is link.pair
        )

    def record_sent(self, ntp_timestamp: int, rtp_timestamp: int, packets: int, octets: int) -> None:
        """Keep the sender's RTCP sender reports (and getStats) true to what was written."""
        sender = self._sender
        sender._RTCRtpSender__ntp_timestamp = ntp_timestamp  # type: ignore[attr-defined]
        sender._RTCRtpSender__rtp_timestamp = rtp_timestamp  # type: ignore[attr-defined]
        sender._RTCRtpSender__packet_count += packets  # type: ignore[attr-defined]
        sender._RTCRtpSender__octet_count += octets  # type: ignore[attr-defined]
