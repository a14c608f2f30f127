"""The relay's native fast path: one viewer's RTP written, SRTP-protected and sent by the C extension
`livecart.media._fastsend`, one call per frame, and the choice between it and the pure-Python
`rtp_writer.RtpWriter` (LIVECART_MEDIA_FASTPATH: `auto` uses the extension when it was built, `off`
never does).

Per packet the Python path costs a `struct.pack`, two concatenations, pylibsrtp's wrapper around the
libsrtp call and its share of a `sendmsg`; here Python is left once per frame per viewer, and the C side
writes every packet's header (SSRC, sequence number, timestamp, marker, the mid and abs-send-time
extensions), protects it with OpenSSL (the keys derived from the same DTLS export aiortc gives
pylibsrtp), keeps the NACK history and hands the kernel the frame in one `sendmmsg` with UDP GSO.
Both writers produce identical packets (tests/media/test_native_writer.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Protocol

from livecart.media.aiortc_adapter import DatagramLink, SenderTap
from livecart.media.rtp_writer import (
    MAX_BUFFERED_BYTES,
    OutFrame,
    RtpWriter,
    SendTime,
    ViewerWriter,
    WriteResult,
)

log = logging.getLogger(__name__)

FASTPATH_MODES = ("auto", "off")
NATIVE, PYTHON = "native", "python"

IMPORT_ERROR: str | None = None
try:
    from livecart.media import _fastsend
except ImportError as exc:  # not built: no compiler or headers when it was installed
    _fastsend = None  # type: ignore[assignment]
    IMPORT_ERROR = str(exc)


class WriterFactory(Protocol):
    """Makes one viewer track's writer: `RtpWriter` or `NativeRtpWriter`."""

    def __call__(self, tap: SenderTap, timestamp_origin: int | None = None) -> ViewerWriter: ...


def native_available() -> bool:
    """True when the C extension was built and imports."""
    return _fastsend is not None


def rtp_path(mode: str) -> str:
    """Which writer a LIVECART_MEDIA_FASTPATH mode gives on this install: "native" or "python"."""
    if mode not in FASTPATH_MODES:
        raise ValueError(f"LIVECART_MEDIA_FASTPATH must be one of {', '.join(FASTPATH_MODES)}, not {mode!r}")
    return NATIVE if mode == "auto" and native_available() else PYTHON


def writer_factory(mode: str) -> WriterFactory:
    """The writer class the relay builds per viewer track for `mode`."""
    return NativeRtpWriter if rtp_path(mode) == NATIVE else RtpWriter


def _abs_send_time(when: SendTime) -> int:
    return (when.ntp >> 14) & 0xFFFFFF


class NativeRtpWriter:
    """Writes shared frames as one viewer's RTP stream through `_fastsend.Writer` (the same contract as
    `RtpWriter`: SENT / CONGESTED / CLOSED per frame, NACKs answered from a 512-packet history)."""

    def __init__(self, tap: SenderTap, timestamp_origin: int | None = None, *, sequence: int | None = None) -> None:
        if _fastsend is None:
            raise RuntimeError(f"the native RTP path is not built: {IMPORT_ERROR}")
        if tap.payload_type is None:
            raise RuntimeError("the sender has not been given its parameters yet")
        self._tap = tap
        self._shape = tap.header_shape()
        self._payload_type = tap.payload_type
        self._sequence = random.randrange(1 << 15) if sequence is None else sequence  # low start, as RtpWriter
        self._timestamp_origin = random.randrange(1 << 32) if timestamp_origin is None else timestamp_origin
        self._native: _fastsend.Writer | None = None  # made when DTLS is up: it needs the SRTP key
        self._link: DatagramLink | None = None
        self._connected = False  # the native writer has this link's socket and address
        self._python_sent = 0  # packets that left through the asyncio transport (TURN, a backed-up socket)
        self._relayed_sends: set[asyncio.Future[None]] = set()
        self.retransmitted = 0

    @property
    def packets_sent(self) -> int:
        native = self._native.packets_sent if self._native is not None else 0
        return int(native) + self._python_sent

    def write(self, frame: OutFrame, when: SendTime) -> WriteResult:
        link = self._current_link()
        native = self._native
        if link is None or native is None:
            return WriteResult.CLOSED
        transport = link.transport
        if link.direct and (transport.is_closing() or transport.get_write_buffer_size() > MAX_BUFFERED_BYTES):
            return WriteResult.CLOSED if transport.is_closing() else WriteResult.CONGESTED
        if self._connected and not transport.get_write_buffer_size():
            try:
                sent = native.send(frame.payloads, frame.timestamp, _abs_send_time(when))
            except OSError as exc:
                log.info("sending RTP to %s failed: %s", link.address, exc)
                sent = False
            if not sent:
                return WriteResult.CONGESTED  # the sequence numbers stay used: the receiver sees a loss
        else:  # a TURN pair, or the transport queued data of its own: keep the order, send through it
            datagrams = native.build(frame.payloads, frame.timestamp, _abs_send_time(when))
            for datagram in datagrams:
                self._send_one(link, datagram)
            self._python_sent += len(datagrams)
        self._tap.record_sent(
            when.ntp, (self._timestamp_origin + frame.timestamp) & 0xFFFFFFFF, len(frame.payloads), frame.size
        )
        return WriteResult.SENT

    def packets(self, frame: OutFrame, when: SendTime) -> list[bytes]:
        """A frame's packets as `write` would send them, returned instead (the stream moves on)."""
        self._current_link()
        if self._native is None:
            return []
        packets: list[bytes] = self._native.build(frame.payloads, frame.timestamp, _abs_send_time(when))
        return packets

    def _current_link(self) -> DatagramLink | None:
        link = self._link
        if link is not None and self._tap.still_linked(link):
            return link
        self.close()
        link = self._link = self._tap.link()
        if link is None:
            return None
        if self._native is None:
            self._native = self._make_native()
            if self._native is None:
                return None
        raw = link.transport.get_extra_info("socket") if link.direct else None
        if raw is not None:
            self._native.connect(raw.fileno(), link.address[0], link.address[1])
            self._connected = True
        return link

    def _make_native(self) -> _fastsend.Writer | None:
        assert _fastsend is not None
        keying = self._tap.srtp_keying()
        if keying is None:
            return None
        shape = self._shape
        return _fastsend.Writer(
            _fastsend.Srtp(keying.profile, keying.key_and_salt),
            self._tap.ssrc,
            self._payload_type,
            shape.first_byte,
            shape.extension,
            -1 if shape.abs_send_time_at is None else shape.abs_send_time_at,
            self._sequence,
            self._timestamp_origin,
            self._tap.rtx_ssrc,
        )

    def _send_one(self, link: DatagramLink, datagram: bytes) -> None:
        if link.direct:
            link.transport.sendto(datagram, link.address)
            return
        task = asyncio.ensure_future(link.protocol.send_data(datagram, link.address))  # TURN: a coroutine
        self._relayed_sends.add(task)
        task.add_done_callback(self._relayed_sends.discard)

    async def retransmit(self, sequence_number: int) -> None:
        """Answer a NACK (RFC 4585) for one packet: as RTX (RFC 4588) when negotiated, else as it was."""
        link, native = self._link, self._native
        if link is None or native is None or not self._tap.still_linked(link) or not native.holds(sequence_number):
            return
        rtx_payload_type = self._tap.rtx_payload_type
        if rtx_payload_type is not None:
            datagram = native.retransmit(
                sequence_number, rtx_payload_type, self._tap.next_rtx_sequence_number(), _abs_send_time(SendTime.now())
            )
        else:
            datagram = native.retransmit(sequence_number, -1, 0, _abs_send_time(SendTime.now()))
        if datagram is None:
            return
        self.retransmitted += 1
        with contextlib.suppress(OSError):
            self._send_one(link, datagram)

    def close(self) -> None:
        """Release the native writer's descriptor of the viewer's socket (the stream state stays)."""
        if self._native is not None:
            self._native.close()
        self._connected = False
