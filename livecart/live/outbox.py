"""Each connection's outgoing path: direct writes while the client keeps up, a bounded backlog when not.

`Outbox` stands in for the `asyncio.Queue` Engine.IO gives every socket (its writer task still drains
it, so acks, pings and the handshake go out as before). Room frames take a shortcut: while nothing
is queued and the socket's write buffer is small, the pre-built WebSocket frame is written straight
to the transport — no task, no queue hop, no per-connection encoding. Otherwise the frame joins the
queue behind what is already there, so a client always sees packets in the order they were sent.

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

from livecart.live.frames import RoomFrame

log = logging.getLogger(__name__)

HIGH_WATER_BYTES = 64 * 1024  # write-buffer size above which a client counts as behind


class Transport(Protocol):
    def write(self, data: bytes) -> None: ...

    def get_write_buffer_size(self) -> int: ...

    def is_closing(self) -> bool: ...

    def abort(self) -> None: ...


class Outbox:
    """A FIFO of Engine.IO packets (the `asyncio.Queue` subset Engine.IO uses) with a fast path.

    One per connected viewer, so it is kept small (issue 21, memory per idle connection): slots, the
    waiting getters in a list (Engine.IO has one writer task; an empty deque costs ~600 bytes), and the
    `join()` event made only when someone joins (nobody does while the connection is open)."""

    __slots__ = (
        "_clock", "_finished", "_getters", "_items", "_unfinished", "behind_since", "cut_off", "cutoff_s",
        "dropped", "limit", "pending", "settling", "transport",
    )  # fmt: skip

    def __init__(self, limit: int = 256, cutoff_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.cutoff_s = cutoff_s
        self._clock = clock
        self._items: deque[Any] = deque()
        self._getters: list[asyncio.Future[None]] = []
        self._unfinished = 0
        self._finished: asyncio.Event | None = None  # made by join() while packets are unfinished
        self.pending = 0  # packets queued or taken by the writer and not yet written
        self.transport: Transport | None = None
        self.behind_since: float | None = None
        self.dropped = 0
        self.cut_off = False
        self.settling = False  # upgraded from polling: no direct writes until the writer has caught up

    # -- the asyncio.Queue interface Engine.IO uses ------------------------------------------------
    @property
    def queued(self) -> tuple[Any, ...]:
        """The packets waiting, oldest first."""
        return tuple(self._items)

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        if item is not None:
            self.pending += 1
        self._unfinished += 1
        if self._finished is not None:
            self._finished.clear()
        if len(self._items) > self.limit:
            self._shed()
        self._wake_next()

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    async def get(self) -> Any:
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                if getter in self._getters:
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
    def attach(self, transport: Transport, *, upgraded: bool = False) -> None:
        """Room frames may now be written to `transport`. `upgraded`: the connection was on long-polling
        until now; what polling took was never counted as written, so the count starts from what is
        queued, and direct writes wait until the writer task has sent what it took (it waits for more)."""
        self.transport = transport
        if upgraded:
            self.pending = sum(1 for item in self._items if item is not None)
            self.settling = True

    def _writer_idle(self) -> bool:
        if self._items or not any(not getter.done() for getter in self._getters):
            return False
        self.settling = False
        return True

    def detach(self) -> None:
        self.transport = None

    def written(self) -> None:
        """The writer task wrote one queued packet to the websocket."""
        if self.pending > 0:
            self.pending -= 1

    def deliver(self, frame: RoomFrame) -> None:
        """Send a room frame: straight to the socket when the client keeps up, else through the backlog."""
        transport = self.transport
        if transport is None or self.cut_off:
            if not self.cut_off:
                self.put_nowait(frame.packet)
            return
        if transport.is_closing():
            return  # the connection is going away; Engine.IO will report the disconnect
        caught_up = self.pending == 0 and (not self.settling or self._writer_idle())
        if caught_up and transport.get_write_buffer_size() <= HIGH_WATER_BYTES:
            self.behind_since = None
            transport.write(frame.wire)
            return
        now = self._clock()
        if self.behind_since is None:
            self.behind_since = now
        elif now - self.behind_since > self.cutoff_s and transport.get_write_buffer_size() > HIGH_WATER_BYTES:
            self.cut("write buffer stayed full")
            return
        self.put_nowait(frame.packet)

    def cut(self, reason: str) -> None:
        if self.cut_off:
            return
        self.cut_off = True
        log.info("cutting off a client that stays behind: %s", reason)
        for index in reversed(range(len(self._items))):
            if self._items[index] is not None:
                self._discard_one(index)
        if self.transport is not None:
            if not self.transport.is_closing():
                self.transport.abort()
        else:  # long-polling: no connection to abort; the client's next poll gets Engine.IO's CLOSE
            self.put_nowait(eio_packet.Packet(eio_packet.CLOSE))

    def _shed(self) -> None:
        for wanted in ("chat", None):
            for index, item in enumerate(self._items):
                if getattr(item, "droppable", False) and (wanted is None or item.event == wanted):
                    self._discard_one(index)
                    self.dropped += 1
                    return
        self.cut("backlog full of packets that must not be dropped")

    def _discard_one(self, index: int) -> None:
        item = self._items[index]
        del self._items[index]
        if item is not None:
            self.written()
        self.task_done()

    def _wake_next(self) -> None:
        while self._getters:
            getter = self._getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                break
