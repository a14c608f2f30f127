"""The fan-out's publishing side: room messages for other nodes, PUBLISHed in order, batched, through
the lean wire client (livecart/store/redis/wire.py) instead of redis-py.

`submit(message)` queues a message and returns at once; one sender task publishes what is queued, in
submit order, on one connection, with one PUBLISH in flight: messages submitted while a PUBLISH is
on its way (the events of one checkout, a chat frame and a stock change, ...) leave together as one
`batch` message. A message goes out alone in python-socketio's format, with `host_id` as its first key
so that a node can recognise its own messages coming back from Redis by their first bytes (`is_own`)
and skip them unparsed.

Failure behaviour, as when each emit published itself: a batch is tried twice (the second time on a
new connection), then dropped, and the outage is logged once and shown by `publishing` (health); what
was dropped is not re-sent later. At most MAX_QUEUED messages wait (a hung Redis): beyond, the oldest
are dropped. `rediss://` (TLS, which the wire client does not speak) publishes through redis-py.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

import msgpack
from redis.asyncio import Redis

from livecart.redis_options import HEALTH_CHECK_INTERVAL_S, redis_options
from livecart.store.redis import endpoint_of
from livecart.store.redis.wire import WireClient, pack

log = logging.getLogger(__name__)

MAX_QUEUED = 10_000  # messages waiting for a PUBLISH; beyond, the oldest are dropped
BATCH = "batch"  # the method of a message carrying several: {"host_id", "method": "batch", "messages": [...]}


def own_prefix(host_id: str) -> bytes:
    """The bytes after the map header that start every message this node publishes (host_id first)."""
    return bytes(msgpack.packb("host_id") + msgpack.packb(host_id))


def is_own(data: bytes, prefix: bytes) -> bool:
    """Whether `data` is a message published with `prefix` (a msgpack fixmap whose first key is host_id)."""
    return 0x80 <= data[0] <= 0x8F and data.startswith(prefix, 1)


class FanoutPublisher:
    def __init__(self, url: str, channel: str, host_id: str, *, timeout_s: float) -> None:
        self.channel = channel
        self.host_id = host_id
        self.timeout_s = timeout_s
        self._channel = channel.encode()
        self._wire: WireClient | None = None
        self._redis: Redis | None = None
        if url.startswith(("redis://", "unix://")):
            # one connection: PUBLISHes reach Redis in the order they were sent
            endpoint = endpoint_of(url, timeout_s)
            health_s = HEALTH_CHECK_INTERVAL_S
            self._wire = WireClient(endpoint, timeout_s=timeout_s, health_check_interval_s=health_s, shared=1)
        else:
            self._redis = Redis.from_url(url, **redis_options(url, timeout_s))
        self._queue: deque[dict[str, Any]] = deque(maxlen=MAX_QUEUED)  # a full one drops its oldest
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.publishing = True  # False from a PUBLISH that failed twice until one succeeds (or the listener is back)
        self.published = 0  # PUBLISH commands that Redis answered
        self.messages = 0  # messages they carried
        self.dropped = 0  # messages never published (outage, queue full)

    def submit(self, message: dict[str, Any]) -> None:
        """Queue `message` for the other nodes; it leaves after every message submitted before it."""
        if self._closing:
            self.dropped += 1
            return
        if len(self._queue) == MAX_QUEUED:
            self.dropped += 1  # the append below pushes the oldest out
        self._queue.append(message)
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.ensure_future(self._send_forever())
        assert self._wake is not None
        self._wake.set()

    def encode(self, messages: list[dict[str, Any]]) -> bytes:
        if len(messages) == 1:
            return bytes(msgpack.packb(messages[0], use_bin_type=True))
        return bytes(msgpack.packb({"host_id": self.host_id, "method": BATCH, "messages": messages}, use_bin_type=True))

    async def _send_forever(self) -> None:
        assert self._wake is not None
        wake = self._wake
        while True:
            await wake.wait()
            wake.clear()
            while self._queue:
                messages = list(self._queue)
                self._queue.clear()
                await self._send(messages)
            if self._closing:
                return

    async def _send(self, messages: list[dict[str, Any]]) -> None:
        try:
            payload = self.encode(messages)
        except Exception:  # not msgpack-able: the others go one by one, that one is dropped
            if len(messages) > 1:
                for message in messages:
                    await self._send([message])
                return
            log.exception("fan-out: a %s message could not be encoded", messages[0].get("method"))
            self.dropped += 1
            return
        for attempt in range(2):
            try:
                await self._publish(payload)
            except Exception as exc:
                if attempt == 0:
                    continue
                self.dropped += len(messages)
                if self.publishing:  # once per outage, not once per message
                    log.warning(
                        "fan-out: cannot publish to redis (%s); other nodes miss this node's room "
                        "messages until it is back",
                        exc,
                    )
                    self.publishing = False
                return
            self.published += 1
            self.messages += len(messages)
            if not self.publishing:
                log.warning("fan-out: publishing to redis again")
                self.publishing = True
            return

    async def _publish(self, payload: bytes) -> None:
        if self._wire is not None:
            reply = await self._wire.call_one(pack(("PUBLISH", self._channel, payload)))
            if isinstance(reply, Exception):
                raise reply
            return
        assert self._redis is not None
        await self._redis.publish(self.channel, payload)

    async def close(self) -> None:
        """Publish what is queued (waiting at most twice the timeout), then close the connection."""
        self._closing = True
        task = self._task
        if task is not None and not task.done():
            assert self._wake is not None
            self._wake.set()
            _, pending = await asyncio.wait({task}, timeout=2 * self.timeout_s)
            if pending:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._wire is not None:
            await self._wire.aclose()
        if self._redis is not None:
            await self._redis.aclose()
