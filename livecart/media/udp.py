"""Sending a frame's RTP packets to one viewer in one system call, with UDP GSO.

A 720p frame is several packets of the same size (the packetizer fills each to the MTU budget) and
a smaller last one. Linux (4.18+) can take them as one buffer with `UDP_SEGMENT` set to that size and
cut it into datagrams itself (generic segmentation offload), so the relay pays one `sendmsg` per frame
per viewer instead of one `sendto` per packet; the system call was a third of the relay's CPU.

Where the kernel refuses GSO (older kernels, some sockets), the packets go one by one through the
asyncio transport, as before.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import struct
from typing import Any

log = logging.getLogger(__name__)

UDP_SEGMENT = getattr(socket, "UDP_SEGMENT", 103)  # linux/udp.h; Python 3.11 does not name it
MAX_SEGMENTS = 64  # the kernel's UDP_MAX_SEGMENTS
MAX_GSO_BYTES = 60_000  # one buffer stays under the 64 KiB IP datagram limit

_gso_supported = hasattr(socket, "SOL_UDP") and os.name == "posix"
_SEGMENT_SIZE = struct.Struct("=H")


def gso_supported() -> bool:
    return _gso_supported


def _disable_gso(reason: OSError) -> None:
    global _gso_supported
    if _gso_supported:
        log.info("UDP GSO is not available here (%s); sending RTP packet by packet", reason)
    _gso_supported = False


class Congested(Exception):
    """The viewer's socket buffer is full: what was not sent is dropped."""


class ViewerSocket:
    """The UDP socket of one viewer's ICE pair, for sending a frame's packets at once.

    It holds its own descriptor (`dup`) of the socket aioice's asyncio transport owns, so closing
    either is safe; packets go through the transport whenever it has queued data of its own, so the
    two paths never reorder.
    """

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._socket: socket.socket | None = None
        raw = transport.get_extra_info("socket")
        if raw is not None and gso_supported():
            self._socket = socket.socket(fileno=os.dup(raw.fileno()))
            self._socket.setblocking(False)

    def send(self, datagrams: list[bytes], address: tuple[str, int]) -> None:
        """Send datagrams in order; raises Congested if the kernel's buffer is full."""
        if self._socket is None or not _gso_supported or self._transport.get_write_buffer_size() or len(datagrams) < 2:
            self._send_each(datagrams, address)
            return
        start = 0
        while start < len(datagrams):
            end = _batch_end(datagrams, start)
            if end - start == 1:
                self._send_each(datagrams[start:end], address)
            else:
                self._send_segments(datagrams[start:end], address)
            start = end

    def _send_segments(self, datagrams: list[bytes], address: tuple[str, int]) -> None:
        assert self._socket is not None
        size = len(datagrams[0])
        try:
            self._socket.sendmsg(
                [b"".join(datagrams)], [(socket.SOL_UDP, UDP_SEGMENT, _SEGMENT_SIZE.pack(size))], 0, address
            )
        except (BlockingIOError, InterruptedError):
            raise Congested from None
        except OSError as exc:
            if exc.errno in (errno.ENOBUFS, errno.EAGAIN):
                raise Congested from None
            _disable_gso(exc)
            self._send_each(datagrams, address)

    def _send_each(self, datagrams: list[bytes], address: tuple[str, int]) -> None:
        sendto = self._transport.sendto
        for datagram in datagrams:
            sendto(datagram, address)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _batch_end(datagrams: list[bytes], start: int) -> int:
    """The end of the longest run from `start` that GSO can send: equal sizes, the last one may be
    shorter, at most MAX_SEGMENTS and MAX_GSO_BYTES."""
    size = len(datagrams[start])
    end = start + 1
    limit = min(len(datagrams), start + MAX_SEGMENTS, start + max(1, MAX_GSO_BYTES // size))
    while end < limit:
        length = len(datagrams[end])
        if length > size:
            break
        end += 1
        if length < size:
            break
    return end
