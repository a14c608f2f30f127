"""Keyframes: recognising them in encoded frames, and asking the publisher for one at a bounded rate.

A viewer cannot decode until it has a keyframe. The relay asks the publisher for one (RTCP PLI,
RFC 4585 section 6.3.1) when a viewer joins or reports picture loss; many viewers joining at once
must not turn into one keyframe per viewer, so requests are coalesced per show.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

KEYFRAME_REQUEST_INTERVAL_SECONDS = 0.5

_H264_IDR = 5
_VP8_KEYFRAME_START_CODE = b"\x9d\x01\x2a"


def is_keyframe(mime_type: str, data: bytes) -> bool:
    """Whether an encoded frame can be decoded on its own (video only; audio frames always can)."""
    kind, _, codec = mime_type.lower().partition("/")
    if kind == "audio":
        return True
    if codec == "vp8":
        return is_vp8_keyframe(data)
    if codec == "h264":
        return is_h264_keyframe(data)
    return False


def is_vp8_keyframe(data: bytes) -> bool:
    """RFC 6386 section 9.1: frame tag bit 0 is 0 for a key frame, followed by the start code 9d 01 2a."""
    return len(data) >= 10 and data[0] & 0x01 == 0 and data[3:6] == _VP8_KEYFRAME_START_CODE


def is_h264_keyframe(data: bytes) -> bool:
    """An Annex B access unit holding an IDR slice (NAL type 5)."""
    return any(nal_type == _H264_IDR for nal_type in h264_nal_types(data))


def h264_nal_types(data: bytes) -> list[int]:
    types = []
    index = data.find(b"\x00\x00\x01")
    while index != -1 and index + 3 < len(data):
        types.append(data[index + 3] & 0x1F)
        index = data.find(b"\x00\x00\x01", index + 3)
    return types


class KeyframeThrottle:
    """Coalesces keyframe requests: at most one send per `interval`; a request inside the interval
    is sent once when it ends, however many arrive."""

    def __init__(
        self,
        send: Callable[[], None],
        interval: float = KEYFRAME_REQUEST_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._interval = interval
        self._clock = clock
        self._last_sent: float | None = None
        self._pending: asyncio.TimerHandle | None = None
        self.sent = 0
        self.requested = 0

    def request(self) -> None:
        self.requested += 1
        if self._pending is not None:
            return
        now = self._clock()
        wait = 0.0 if self._last_sent is None else self._last_sent + self._interval - now
        if wait <= 0:
            self._fire()
        else:
            self._pending = asyncio.get_running_loop().call_later(wait, self._fire)

    def _fire(self) -> None:
        self._pending = None
        self._last_sent = self._clock()
        self.sent += 1
        self._send()

    def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
