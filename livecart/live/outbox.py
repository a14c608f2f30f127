"""Each connection's outgoing path: direct writes while the client keeps up, a bounded backlog when not.

`Outbox` stands in for the `asyncio.Queue` Engine.IO gives every socket. On long-polling it is that
queue (Engine.IO's poll takes the packets). On a websocket there is no writer task (issue 21, memory
per idle connection): once `attach`ed to the connection, every packet — the handshake, acks, pings
and room frames (pre-built WebSocket frames, the same bytes for every member) — is written straight
to the transport while nothing is queued and the socket's write buffer is small. Otherwise it joins
the backlog, in order, and the connection calls `drain()` when the transport asks for more
(`resume_writing`), so a client always sees packets in the order they were sent.

The backlog is bounded: over `limit` packets, the oldest chat frame is dropped first, then other
droppable frames (reactions, viewer counts); pins, stock, sales, show status, questions, removals,
auctions, deals, giveaways and acks are never dropped. A client whose backlog is full of undroppable
packets, or whose write buffer has stayed full for `cutoff_s`, is cut off (its transport aborted); it
may reconnect and get a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from engineio import packet as eio_packet

from livecart.live.frames import OPCODE_BINARY, OPCODE_TEXT, RoomFrame, RoomPacket, websocket_frame

log = logging.getLogger(__name__)

HIGH_WATER_BYTES = 64 * 1024  # write-buffer size above which a client counts as behind


class Transport(Protocol):
    def write(self, data: bytes) -> None: ...

    def get_write_buffer_size(self) -> int: ...

    def is_closing(self) -> bool: ...

    def abort(self) -> None: ...


def packet_wire(packet: Any) -> bytes:
    """An Engine.IO packet as one WebSocket frame (a binary message is the raw payload, text is
    the type digit + the payload)."""
    if isinstance(packet, RoomPacket):
        return packet.frame.wire
    raw = packet.encode()
    if isinstance(raw, bytes):
        return websocket_frame(raw, OPCODE_BINARY)
    return websocket_frame(raw.encode(), OPCODE_TEXT)


class Outbox:
    """A FIFO of Engine.IO packets (the `asyncio.Queue` subset Engine.IO uses) with a direct path.

    One per connected viewer, so it is kept small (issue 21, memory per idle connection): slots, no
    deque until something has to wait (an empty one is ~600 bytes), the waiting getters in a list
    (a poll), and the `join()` event made only when someone joins."""

    __slots__ = (
        "_clock", "_finished", "_getters", "_items", "_unfinished", "behind_since", "cut_off", "cutoff_s",
        "dropped", "limit", "on_end", "transport",
    )  # fmt: skip

    def __init__(self, limit: int = 256, cutoff_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.cutoff_s = cutoff_s
        self._clock = clock
        self._items: deque[Any] | None = None
        self._getters: list[asyncio.Future[None]] | None = None
        self._unfinished = 0
        self._finished: asyncio.Event | None = None  # made by join() while packets are unfinished
        self.transport: Transport | None = None  # the websocket's transport once attached
        self.on_end: Callable[[], None] | None = None  # ends the websocket (after a CLOSE packet)
        self.behind_since: float | None = None
        self.dropped = 0
        self.cut_off = False

    # -- the asyncio.Queue interface Engine.IO uses ------------------------------------------------
    @property
    def queued(self) -> tuple[Any, ...]:
        """The packets waiting, oldest first."""
        return tuple(self._items) if self._items else ()

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        transport = self.transport
        if transport is not None and not self._items and not self._behind(transport):
            self._write(transport, item)
            return
        self._enqueue(item)

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    async def get(self) -> Any:
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                if self._getters and getter in self._getters:
                    self._getters.remove(getter)
                if self._items and not getter.cancelled():
                    self._wake_next()
                raise
        return self._items.popleft()

    def task_done(self) -> None:
        if self._unfinished > 0:
            self._unfinished -= 1
        if self._unfinished == 0 and self._finished is not None:
            self._finished.set()

    async def join(self) -> None:
        if self._unfinished == 0:
            return
        if self._finished is None:
            self._finished = asyncio.Event()
        await self._finished.wait()

    # -- the connection side ----------------------------------------------------------------------
    def attach(self, transport: Transport, on_end: Callable[[], None] | None = None) -> None:
        """The connection is a websocket now (directly, or upgraded from long-polling): what polling
        left queued is written first, then every packet goes straight to `transport`. `on_end` ends the
        websocket; it is called once a CLOSE packet (or Engine.IO's end-of-queue `None`) is written."""
        self.transport = transport
        self.on_end = on_end
        self.drain()

    def detach(self) -> None:
        self.transport = None
        self.on_end = None

    def drain(self) -> None:
        """Write the backlog while the transport takes it (the connection calls this on resume_writing)."""
        transport = self.transport
        items = self._items
        while items and transport is not None and not self._behind(transport):
            item = items.popleft()
            self.task_done()
            self._write(transport, item)
            transport = self.transport
        if not items:
            self._items = None  # an empty deque is ~600 bytes: none while nothing waits
            self.behind_since = None

    def deliver(self, frame: RoomFrame) -> None:
        """Send a room frame: straight to the socket when the client keeps up, else through the backlog.
        (The fan-out calls this once per member: the common case is the first test.)"""
        transport = self.transport
        if (
            transport is not None
            and not self._items
            and transport.get_write_buffer_size() <= HIGH_WATER_BYTES
            and not transport.is_closing()
        ):
            self.behind_since = None
            transport.write(frame.wire)
            return
        if self.cut_off:
            return
        if transport is None:
            self._enqueue(frame.packet)
            return
        if transport.is_closing():
            return  # the connection is going away; Engine.IO will report the disconnect
        now = self._clock()
        if self.behind_since is None:
            self.behind_since = now
        elif now - self.behind_since > self.cutoff_s and self._behind(transport):
            self.cut("write buffer stayed full")
            return
        self._enqueue(frame.packet)

    def close(self) -> None:
        """The websocket is closing (our close frame is written): nothing more goes out."""
        self.transport = None
        self.on_end = None
        self.cut_off = True
        while self._items:
            self._discard_one(len(self._items) - 1)

    def cut(self, reason: str) -> None:
        if self.cut_off:
            return
        self.cut_off = True
        log.info("cutting off a client that stays behind: %s", reason)
        if self._items:
            for index in reversed(range(len(self._items))):
                if self._items[index] is not None:
                    self._discard_one(index)
        if self.transport is not None:
            if not self.transport.is_closing():
                self.transport.abort()
        else:  # long-polling: no connection to abort; the client's next poll gets Engine.IO's CLOSE
            self._enqueue(eio_packet.Packet(eio_packet.CLOSE))

    # -- inside ------------------------------------------------------------------------------------
    @staticmethod
    def _behind(transport: Transport) -> bool:
        return transport.get_write_buffer_size() > HIGH_WATER_BYTES

    def _write(self, transport: Transport, item: Any) -> None:
        if item is None or item.packet_type == eio_packet.CLOSE:
            if item is not None and not transport.is_closing():
                transport.write(packet_wire(item))
            end, self.on_end = self.on_end, None
            if end is not None:
                end()
            return
        if not transport.is_closing():
            transport.write(packet_wire(item))

    def _enqueue(self, item: Any) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        self._unfinished += 1
        if self._finished is not None:
            self._finished.clear()
        if len(self._items) > self.limit:
            self._shed()
        self._wake_next()

    def _shed(self) -> None:
        assert self._items is not None
        for wanted in ("chat", None):
            for index, item in enumerate(self._items):
                if getattr(item, "droppable", False) and (wanted is None or item.event == wanted):
                    self._discard_one(index)
                    self.dropped += 1
                    return
        self.cut("backlog full of packets that must not be dropped")

    def _discard_one(self, index: int) -> None:
        assert self._items is not None
        del self._items[index]
        self.task_done()

    def _wake_next(self) -> None:
        getters = self._getters
        while getters:
            getter = getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                break
