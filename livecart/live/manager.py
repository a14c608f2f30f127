"""Fan-out: python-socketio client managers that encode a room event once and write it to every member.

python-socketio's `AsyncManager.emit` encodes once but then starts one task per recipient, each of
which queues the packet for that socket's writer task (≈ 100 µs of CPU per delivery measured here).
`FastManager` keeps the same room table and protocol and replaces only the no-callback emit: the
event becomes one `RoomEvent`, whose `RoomFrame` (Socket.IO packet + WebSocket frame) is built once per
parser in use in the room (msgpack, JSON: each connection chose its parser, see server.py) and handed
to each recipient's `Outbox`, which writes it to the socket at once when the client keeps up.

`FastRedisManager` adds python-socketio's Redis pub/sub (`AsyncRedisManager`) for rooms that span
processes, keeping the fast path: it publishes the packet encoded in the server's parser (msgpack, in
a msgpack envelope), and each receiving node builds each parser's frame once for its local members
(the JSON one by decoding the msgpack packet once). Publishing goes through `FanoutPublisher`
(publisher.py: the wire client, one connection, in order, messages batched while a PUBLISH is in
flight); redis-py only listens (SUBSCRIBE). A node skips its own messages coming back from Redis
without parsing them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import msgpack
import socketio
from socketio import packet as sio_packet

from livecart.live.frames import RoomEvent
from livecart.live.publisher import BATCH, FanoutPublisher, is_own, own_prefix
from livecart.redis_options import redis_options

log = logging.getLogger(__name__)


FANOUT_SLICE = 2000  # members written between two yields to the event loop


class FastFanout:
    """Mixin over a python-socketio async manager: the encode-once emit."""

    server: Any
    rooms: dict[str, dict[Any, Any]]
    _fanout_lock: asyncio.Lock | None = None
    encodings = 0  # room-event encodings done (at most one per parser in use, per event)

    def room_event(self, event: str, data: Any, namespace: str) -> RoomEvent:
        """The event, to be encoded for each parser when a member using it is reached."""
        if isinstance(data, tuple):
            args = list(data)
        elif data is not None:
            args = [data]
        else:
            args = []
        return RoomEvent(event, args, namespace)

    def parser_of(self, eio_sid: str) -> type[sio_packet.Packet]:
        parser_of = getattr(self.server, "parser_of", None)
        return self.server.packet_class if parser_of is None else parser_of(eio_sid)  # type: ignore[no-any-return]

    async def deliver(self, room_event: RoomEvent, room: Any, skip_sid: Any) -> int:
        """Hand one event to every local participant of `room`, encoded once per parser in use; returns
        how many. Only recipients on the stock path (binary attachments, another engine) are awaited.

        A large room is written in slices of FANOUT_SLICE members with a yield to the event loop
        between them, so reads (acks, pongs, the next chat message) and other rooms are not held up
        for the whole fan-out; one lock keeps sliced fan-outs from interleaving, so every member
        still sees events in the order they were emitted."""
        namespace = room_event.namespace
        if namespace not in self.rooms:
            return 0
        participants = list(self.get_participants(namespace, room))  # type: ignore[attr-defined]
        if len(participants) <= FANOUT_SLICE:
            return await self._deliver_to(room_event, participants, skip_sid)
        if self._fanout_lock is None:
            self._fanout_lock = asyncio.Lock()
        async with self._fanout_lock:
            count = 0
            for start in range(0, len(participants), FANOUT_SLICE):
                if start:
                    await asyncio.sleep(0)
                count += await self._deliver_to(room_event, participants[start : start + FANOUT_SLICE], skip_sid)
            return count

    async def _deliver_to(self, room_event: RoomEvent, participants: list[tuple[Any, str]], skip_sid: Any) -> int:
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        server = self.server
        sockets = server.eio.sockets
        parsers: dict[str, Any] = getattr(server, "parsers", {})
        default_parser = server.packet_class
        frames: dict[Any, Any] = {}
        count = 0
        stock: list[asyncio.Future[None]] = []
        for sid, eio_sid in participants:
            if sid in skip:
                continue
            socket = sockets.get(eio_sid)
            if socket is None:
                continue
            parser = parsers.get(eio_sid, default_parser)
            try:
                frame = frames[parser]
            except KeyError:
                frame = frames[parser] = room_event.frame(parser)
            deliver = getattr(socket.queue, "deliver", None)
            if frame is not None and deliver is not None:
                deliver(frame)
            else:  # binary attachments, or a socket without our outbox (another engine): the stock path
                if frame is None:
                    sending = server._send_packet(eio_sid, room_event.packet(parser))
                else:
                    sending = server._send_eio_packet(eio_sid, frame.packet)
                stock.append(asyncio.ensure_future(sending))
            count += 1
        self.encodings += room_event.encodings
        room_event.encodings = 0
        if stock:
            await asyncio.wait(stock)
        return count


LISTEN_RETRY_FIRST_S = 0.5  # first wait before re-subscribing after Redis was lost; doubles each time
LISTEN_RETRY_MAX_S = 8.0  # at most this long between tries
DEFAULT_TIMEOUT_S = 5.0  # LIVECART_REDIS_TIMEOUT_S
LISTEN_POLL_MAX_S = 1.0  # the listener looks at the clock at least this often


class RedisSilent(ConnectionError):
    """Redis did not answer the fan-out listener's PING in time: hung, or the connection is dead."""


class FastManager(FastFanout, socketio.AsyncManager):  # type: ignore[misc]
    """In-process rooms with the encode-once fan-out."""

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        namespace = namespace or "/"
        if callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to)
            return
        await self.deliver(self.room_event(event, data, namespace), to or room, skip_sid)


class FastRedisManager(FastFanout, socketio.AsyncRedisManager):  # type: ignore[misc]
    """Rooms across processes over Redis pub/sub, with the encode-once fan-out on every node."""

    name = "livecart-redis"

    def __init__(self, url: str, *, channel: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        """`timeout_s` (LIVECART_REDIS_TIMEOUT_S) bounds connects and commands, and how long the listener
        waits for the answer to its liveness PING (`_messages`)."""
        super().__init__(url, channel=channel, redis_options=redis_options(url, timeout_s))
        self.timeout_s = timeout_s
        self.publisher = FanoutPublisher(url, channel, self.host_id, timeout_s=timeout_s)
        self._own = own_prefix(self.host_id)

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        namespace = namespace or "/"
        if callback is not None:
            await super().emit(
                event, data, namespace=namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
            return
        room_event = self.room_event(event, data, namespace)
        await self.deliver(room_event, room, skip_sid)
        if kwargs.get("ignore_queue"):
            return
        # other nodes get the packet in the server's own parser (msgpack), encoded once here
        frame = room_event.frame(self.server.packet_class)
        encoded = frame.encoded if frame is not None else None
        if encoded is None:  # binary attachments in a JSON server: python-socketio's own message format
            args, attachments = sio_packet.Packet.deconstruct_binary(room_event.args())
            self.publisher.submit(
                {
                    "host_id": self.host_id,
                    "method": "emit",
                    "event": event,
                    "data": [args, *[base64.b64encode(a).decode() for a in attachments]],
                    "binary": True,
                    "namespace": namespace,
                    "room": room,
                    "skip_sid": skip_sid,
                    "callback": None,
                }
            )
            return
        # host_id first: is_own() recognises this node's messages by their first bytes
        self.publisher.submit(
            {
                "host_id": self.host_id,
                "method": "emit",
                "event": event,
                "encoded": encoded,
                "namespace": namespace,
                "room": room,
                "skip_sid": skip_sid,
            }
        )

    async def close(self) -> None:
        """Publish what is queued, stop listening and close the Redis connections (on app cleanup)."""
        await self.publisher.close()
        self.closing = True
        listener = getattr(self, "thread", None)
        if listener is not None:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        if self.pubsub is not None:
            await self.pubsub.aclose()
        if self.redis is not None:
            await self.redis.aclose()

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        encoded = message.get("encoded")
        if encoded is None:  # an emit from a stock python-socketio publisher
            await super()._handle_emit(message)
            return
        room_event = RoomEvent.encoded(
            message["event"], encoded, message.get("namespace") or "/", self.server.packet_class
        )
        await self.deliver(room_event, message.get("room"), message.get("skip_sid"))

    # Health: False while Redis cannot be reached for publishing or listening (local rooms still work).
    listening = False
    closing = False

    @property
    def publishing(self) -> bool:
        return self.publisher.publishing

    @property
    def healthy(self) -> bool:
        return self.publisher.publishing and self.listening

    async def _publish(self, data: dict[str, Any]) -> None:
        """python-socketio's own messages (disconnect, rooms, callbacks): queued behind the emits."""
        self.publisher.submit(data)

    async def _redis_listen_with_retries(self) -> AsyncIterator[dict[str, Any]]:
        """python-socketio's listener, with the outage visible (`listening`) and the backoff capped at
        LISTEN_RETRY_MAX_S so cross-node fan-out resumes soon after Redis is back."""
        retry_s = LISTEN_RETRY_FIRST_S
        while not self.closing:
            try:
                if self.pubsub is not None:
                    with contextlib.suppress(Exception):
                        await self.pubsub.aclose()
                self._redis_connect()
                await self.pubsub.subscribe(self.channel)
                await self.pubsub.ping()  # listening once Redis answers: a stopped one still accepts connects
                async for message in self._messages(pinged=True):
                    if not self.listening:
                        if retry_s > LISTEN_RETRY_FIRST_S:
                            log.warning("fan-out: listening to redis again")
                        self.listening = True
                        self.publisher.publishing = True  # the same Redis: the next PUBLISH says otherwise
                        retry_s = LISTEN_RETRY_FIRST_S
                    if message is not None:
                        yield message
            except Exception as exc:
                if self.closing:
                    return
                if self.listening or retry_s == LISTEN_RETRY_FIRST_S:
                    log.warning("fan-out: lost redis (%s); retrying with backoff up to %.0f s", exc, LISTEN_RETRY_MAX_S)
                self.listening = False
                await asyncio.sleep(retry_s)
                retry_s = min(retry_s * 2, LISTEN_RETRY_MAX_S)

    async def _messages(self, *, pinged: bool) -> AsyncIterator[dict[str, Any] | None]:
        """The subscription's messages, and None for each PONG (Redis answered).

        A channel may be quiet for long, so silence proves nothing: when nothing arrived for
        `timeout_s`, the listener PINGs on its connection and, when neither the PONG nor anything else
        arrives within `timeout_s` more, raises RedisSilent (a hung or dead Redis is then an outage:
        health degraded, reconnect with backoff) instead of waiting forever. `pinged`: a PING is
        already on its way."""
        loop = asyncio.get_running_loop()
        heard_at = loop.time() - (self.timeout_s if pinged else 0)
        poll_s = min(LISTEN_POLL_MAX_S, self.timeout_s / 2)
        while True:
            message = await self.pubsub.get_message(timeout=poll_s)
            now = loop.time()
            if message is not None:
                heard_at, pinged = now, False
                yield None if message.get("type") == "pong" else message
                continue
            if pinged and now - heard_at > 2 * self.timeout_s:
                raise RedisSilent(f"no answer to a PING within {self.timeout_s:g} s")
            if not pinged and now - heard_at > self.timeout_s:
                await self.pubsub.ping()
                pinged = True

    async def _listen(self) -> AsyncIterator[dict[str, Any]]:
        channel = self.channel.encode()
        own = self._own
        async for message in self._redis_listen_with_retries():
            if message["channel"] != channel or message["type"] != "message":
                continue
            raw = message["data"]
            if raw and is_own(raw, own):  # this node's message, back from Redis: delivered here already
                continue
            try:
                data = msgpack.unpackb(raw, raw=False)
            except Exception:
                log.warning("ignoring a message on %s that is not msgpack", self.channel)
                continue
            if not isinstance(data, dict):
                continue
            if data.get("method") == BATCH:  # several messages of one node, in the order it sent them
                for inner in data.get("messages") or ():
                    if isinstance(inner, dict):
                        yield inner
                continue
            yield data
