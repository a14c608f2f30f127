"""One viewer's RTP, written straight to its socket: the relay packetizes each frame once per show,
and per viewer only a 12-byte header (its SSRC, sequence numbers and timestamp base) and the header
extensions (mid, abs-send-time) are put in front of the shared payloads before SRTP.

aiortc's own sender spends about 40 µs of Python per packet per viewer (an `RtpPacket` object, its
header extensions, two NTP clock reads, four nested coroutines down to the socket); here a packet
is one `struct.pack`, two concatenations and the SRTP C call, and a frame's packets leave in one
system call (livecart/media/udp.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import random
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from livecart.media.aiortc_adapter import DatagramLink, SenderTap
from livecart.media.udp import Congested, ViewerSocket

# Seconds between 1900-01-01 (NTP's epoch) and 1970-01-01.
NTP_EPOCH_OFFSET = 2_208_988_800
# NACKs can ask for packets this far back (~0.6 s of 720p at 2.5 Mbit/s): each entry only references
# the show's shared payload, so the history costs a few KB per viewer.
HISTORY_PACKETS = 512
# When the kernel refuses a datagram (EAGAIN), asyncio keeps it in the transport's buffer. A viewer
# whose buffer grows past this is congested: it skips to the next keyframe instead of queueing more.
MAX_BUFFERED_BYTES = 256 * 1024

_HEADER = struct.Struct("!BBHII")
_RTX_OSN = struct.Struct("!H")


@dataclass(frozen=True, slots=True)
class OutFrame:
    """One publisher frame, packetized once for every viewer of the show."""

    kind: str
    payloads: tuple[bytes, ...]
    timestamp: int  # in the codec's clock rate, on the show's timeline
    keyframe: bool
    size: int  # payload bytes, for the sender reports' octet count


@dataclass(frozen=True, slots=True)
class SendTime:
    """The wall clock as RTP needs it, read once per frame for all viewers."""

    ntp: int  # 64-bit NTP timestamp, for RTCP sender reports
    abs_send_time: bytes  # 24-bit 6.18 fixed point seconds, for the abs-send-time header extension

    @classmethod
    def now(cls) -> SendTime:
        ntp = int((time.time() + NTP_EPOCH_OFFSET) * 4_294_967_296) & 0xFFFF_FFFF_FFFF_FFFF
        return cls(ntp, ((ntp >> 14) & 0xFFFFFF).to_bytes(3, "big"))


class WriteResult(enum.Enum):
    SENT = "sent"
    CONGESTED = "congested"  # the viewer's socket is backed up: this frame was not sent
    CLOSED = "closed"  # DTLS or ICE is gone: nothing will be sent any more


class FrameWriter(Protocol):
    def write(self, frame: OutFrame, when: SendTime) -> WriteResult: ...


class ViewerWriter(FrameWriter, Protocol):
    """What the relay needs of one viewer's RTP writer: this module's `RtpWriter` (Python) or
    `livecart.media.native_writer.NativeRtpWriter` (the C fast path)."""

    retransmitted: int

    @property
    def packets_sent(self) -> int: ...

    def packets(self, frame: OutFrame, when: SendTime) -> list[bytes]: ...

    async def retransmit(self, sequence_number: int) -> None: ...

    def close(self) -> None: ...


class RtpWriter:
    """Writes shared frames as one viewer's RTP stream (RFC 3550) through its sender's transport."""

    def __init__(self, tap: SenderTap, timestamp_origin: int | None = None, *, sequence: int | None = None) -> None:
        if tap.payload_type is None:
            raise RuntimeError("the sender has not been given its parameters yet")
        shape = tap.header_shape()
        at = shape.abs_send_time_at
        self._tap = tap
        self._first_byte = shape.first_byte
        self._before = shape.extension if at is None else shape.extension[:at]
        self._after = b"" if at is None else shape.extension[at + 3 :]
        self._has_abs_send_time = at is not None
        self._payload_type = tap.payload_type
        self._ssrc = tap.ssrc
        # A low start: no early wrap (see aiortc); tests pass one to compare writers.
        self._sequence = random.randrange(1 << 15) if sequence is None else sequence
        # The show's origin (the same media time on every viewer: docs/media.md), else a random one.
        self._timestamp_origin = random.randrange(1 << 32) if timestamp_origin is None else timestamp_origin
        self._history: list[tuple[int, int, int, bytes] | None] = [None] * HISTORY_PACKETS
        self._link: DatagramLink | None = None
        self._socket: ViewerSocket | None = None
        self._relayed_sends: set[asyncio.Future[None]] = set()  # TURN pairs only
        self.packets_sent = 0
        self.retransmitted = 0

    def write(self, frame: OutFrame, when: SendTime) -> WriteResult:
        link = self._current_link()
        if link is None:
            return WriteResult.CLOSED
        transport = link.transport
        if link.direct and (transport.is_closing() or transport.get_write_buffer_size() > MAX_BUFFERED_BYTES):
            return WriteResult.CLOSED if transport.is_closing() else WriteResult.CONGESTED
        datagrams = self._packets(frame, when, link.protect)
        try:
            self._send(link, datagrams)
        except Congested:
            return WriteResult.CONGESTED  # the sequence numbers stay used: the receiver sees a loss
        self.packets_sent += len(datagrams)
        self._tap.record_sent(
            when.ntp, (self._timestamp_origin + frame.timestamp) & 0xFFFFFFFF, len(datagrams), frame.size
        )
        return WriteResult.SENT

    def packets(self, frame: OutFrame, when: SendTime) -> list[bytes]:
        """A frame's packets as `write` would send them (SRTP-protected), returned instead; the stream
        moves on as if they were sent. Empty while DTLS is not connected."""
        link = self._current_link()
        return [] if link is None else self._packets(frame, when, link.protect)

    def _packets(self, frame: OutFrame, when: SendTime, protect: Callable[[bytes], bytes]) -> list[bytes]:
        extension = self._before + when.abs_send_time + self._after if self._has_abs_send_time else self._before
        timestamp = (self._timestamp_origin + frame.timestamp) & 0xFFFFFFFF
        first, payload_type, ssrc, history = self._first_byte, self._payload_type, self._ssrc, self._history
        pack = _HEADER.pack
        sequence = self._sequence
        last = len(frame.payloads) - 1
        datagrams = []
        for index, payload in enumerate(frame.payloads):
            marker = 0x80 if index == last else 0
            history[sequence % HISTORY_PACKETS] = (sequence, timestamp, marker, payload)
            header = pack(first, payload_type | marker, sequence, timestamp, ssrc)
            datagrams.append(protect(header + extension + payload))
            sequence = (sequence + 1) & 0xFFFF
        self._sequence = sequence
        return datagrams

    def _current_link(self) -> DatagramLink | None:
        link = self._link
        if link is not None and self._tap.still_linked(link):
            return link
        self.close()
        link = self._link = self._tap.link()
        if link is not None and link.direct:
            self._socket = ViewerSocket(link.transport)
        return link

    def _send(self, link: DatagramLink, datagrams: list[bytes]) -> None:
        if self._socket is not None:
            self._socket.send(datagrams, link.address)
        else:
            for datagram in datagrams:
                self._send_later(link, datagram)

    def close(self) -> None:
        """Release this writer's descriptor of the viewer's socket."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _send_later(self, link: DatagramLink, datagram: bytes) -> None:
        """A TURN pair's send is a coroutine; tasks run in the order they were made."""
        task = asyncio.ensure_future(link.protocol.send_data(datagram, link.address))
        self._relayed_sends.add(task)
        task.add_done_callback(self._relayed_sends.discard)

    async def retransmit(self, sequence_number: int) -> None:
        """Answer a NACK (RFC 4585) for one packet: as RTX (RFC 4588) when negotiated, else as it was."""
        entry = self._history[sequence_number % HISTORY_PACKETS]
        link = self._link
        if entry is None or entry[0] != sequence_number or link is None or not self._tap.still_linked(link):
            return
        sequence, timestamp, marker, payload = entry
        extension = (
            self._before + SendTime.now().abs_send_time + self._after if self._has_abs_send_time else self._before
        )
        rtx_payload_type = self._tap.rtx_payload_type
        if rtx_payload_type is not None:
            header = _HEADER.pack(
                self._first_byte,
                rtx_payload_type | marker,
                self._tap.next_rtx_sequence_number(),
                timestamp,
                self._tap.rtx_ssrc,
            )
            payload = _RTX_OSN.pack(sequence) + payload
        else:
            header = _HEADER.pack(self._first_byte, self._payload_type | marker, sequence, timestamp, self._ssrc)
        self.retransmitted += 1
        with contextlib.suppress(Congested):
            self._send(link, [link.protect(header + extension + payload)])
