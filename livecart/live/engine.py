"""Engine.IO server for the fast path: an `Outbox` per socket, and websockets served by one small
protocol object per connection instead of a stack of tasks (issue 21, memory per idle viewer).

`LiveEngineServer` is python-engineio's `AsyncServer` with three substitutions:
- `create_queue()` returns an `Outbox` (outbox.py): on a websocket it writes packets straight to the
  transport, so there is no writer task;
- the handshake (`_handle_connect`) makes a `LiveSocket`, whose ping is a timer instead of a task, and
  gives the `connect` handlers a small environ (the client's address, not the whole aiohttp request);
- the websocket driver is `PlainWebSocket`: aiohttp answers the upgrade (101, without compression:
  small chat frames cost more to deflate per viewer than they save), then the connection's transport
  is handed to a `LiveConnection` and aiohttp's request, handler task and middleware frames are let
  go. The connection parses frames with aiohttp's own WebSocket reader, answers the Engine.IO upgrade
  probe, handles PONGs inline and runs other messages through Engine.IO in a task that exists only
  while there are messages to handle (they stay in order: one at a time per connection).
Idle, a viewer's connection is a transport, a `LiveConnection`, its reader, a `LiveSocket` with its
outbox, and python-socketio's and the room's entries: no task, no coroutine frame.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

import engineio
import engineio.packet
from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp._websocket.reader import WebSocketDataQueue, WebSocketReader
from engineio import async_socket, exceptions
from engineio import packet as eio_packet

from livecart.live.frames import OPCODE_TEXT, websocket_frame
from livecart.live.outbox import HIGH_WATER_BYTES, Outbox

log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008  # WebSocket close code: the client broke the protocol
SOCKETS_RETRY_AFTER_S = 5
CLOSE_TIMEOUT_S = 5.0  # after our close frame, how long the client has to answer before the abort
INBOX_PAUSE = 16  # messages waiting to be handled before the connection stops reading
OPCODE_CLOSE, OPCODE_PONG = 0x8, 0xA
PEER = "livecart.peer"  # environ key: (address, X-Forwarded-For values) of the connecting client
_background: set[asyncio.Task[Any]] = set()  # tasks started from callbacks, kept until done


def _spawn(coro: Any) -> None:
    task = asyncio.ensure_future(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)


def small_environ(environ: dict[str, Any]) -> dict[str, Any]:
    """What outlives the handshake (python-socketio keeps a connection's environ): the method, query,
    address and `PEER` (service.py reads the client's address from it); the aiohttp request and its
    headers are let go."""
    request = environ.get("aiohttp.request")
    names = ("REQUEST_METHOD", "QUERY_STRING", "REMOTE_ADDR")
    kept: dict[str, Any] = {key: environ[key] for key in names if key in environ}
    if request is not None:
        kept[PEER] = (request.remote, tuple(request.headers.getall("X-Forwarded-For", ())))
    return kept


class LiveSocket(async_socket.AsyncSocket):  # type: ignore[misc]
    """engineio's socket with its ping on a timer: the server PINGs `ping_interval` after the last PONG
    and, when no PONG came within `ping_timeout`, closes the socket (engineio's `_send_ping` task slept
    per connection)."""

    _ping_timer: asyncio.TimerHandle | None = None
    last_ping: float | None

    def schedule_ping(self) -> None:
        if self.last_ping:
            self.last_ping = None
            self._arm(self.server.ping_interval, self._ping)

    def _arm(self, delay: float, callback: Any) -> None:
        if self._ping_timer is not None:
            self._ping_timer.cancel()
        self._ping_timer = asyncio.get_running_loop().call_later(delay, callback)

    def _ping(self) -> None:
        self._ping_timer = None
        if self.closing or self.closed:
            return
        self.last_ping = time.time()
        self.queue.put_nowait(eio_packet.Packet(eio_packet.PING))
        self._arm(self.server.ping_timeout + 0.1, self._pong_due)

    def _pong_due(self) -> None:
        self._ping_timer = None
        if self.last_ping and not (self.closing or self.closed):
            _spawn(self.check_ping_timeout())

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        """engineio's close, and then the websocket is ended too (engineio's own read loop did that
        with its read timeout; on a ping timeout its CLOSE packet is not even sent)."""
        await super().close(wait=wait, abort=abort, reason=reason)
        outbox = self.queue
        if isinstance(outbox, Outbox) and outbox.on_end is not None:  # a websocket not ended yet
            outbox.put_nowait(None if abort else eio_packet.Packet(eio_packet.CLOSE))

    def stop_pinging(self) -> None:
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None


class LiveEngineServer(engineio.AsyncServer):  # type: ignore[misc]
    def __init__(
        self, *, backlog_limit: int = 256, cutoff_s: float = 10.0, max_sockets: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.backlog_limit = backlog_limit
        self.cutoff_s = cutoff_s
        self.max_sockets = max_sockets  # LIVECART_MAX_SOCKETS; 0: no limit
        self.websockets: dict[str, LiveConnection] = {}
        self._async = {**self._async, "websocket": self._websocket_driver}  # type: ignore[has-type]

    async def _handle_connect(self, environ: dict[str, Any], transport: str, jsonp_index: Any = None) -> Any:
        """engineio's handshake, adapted from python-engineio 4.15's `AsyncServer._handle_connect` (MIT; a
        private method, so pyproject.toml keeps engineio to that minor and tests/security/test_hostile_clients.py
        checks its signature): the same steps, with a `LiveSocket` and a small environ for the
        `connect` handlers; refused with 503 + Retry-After before anything is made when this process
        holds `max_sockets` connections (issue 19, finding 12)."""
        if self.max_sockets and len(self.sockets) >= self.max_sockets:
            body = '{"error": {"code": "at_capacity", "message": "this node holds as many live connections as it can"}}'
            return {
                "status": "503 SERVICE UNAVAILABLE",
                "headers": [("Content-Type", "application/json"), ("Retry-After", str(SOCKETS_RETRY_AFTER_S))],
                "response": body.encode(),
            }
        if self.start_service_task:  # type: ignore[has-type]  # engineio's sweep of closed and timed-out sockets
            self.start_service_task = False
            self.service_task_handle = self.start_background_task(self._service_task)
        sid = self.generate_id()
        socket = LiveSocket(self, sid)
        self.sockets[sid] = socket
        opened = eio_packet.Packet(
            eio_packet.OPEN,
            {
                "sid": sid,
                "upgrades": self._upgrades(sid, transport),
                "pingTimeout": int(self.ping_timeout * 1000),
                "pingInterval": int(self.ping_interval + self.ping_interval_grace_period) * 1000,
                "maxPayload": self.max_http_buffer_size,
            },
        )
        await socket.send(opened)
        accepted = await self._trigger_event("connect", sid, small_environ(environ), run_async=False)
        if accepted is not None and accepted is not True:
            del self.sockets[sid]
            self.logger.warning("Application rejected connection")
            return self._unauthorized(accepted or None)
        socket.schedule_ping()
        if transport == "websocket":
            answer = await socket.handle_get_request(environ)
            if socket.closed and sid in self.sockets:
                del self.sockets[sid]
            return answer
        socket.connected = True
        headers = None
        if self.cookie:
            cookie = self.cookie
            if not isinstance(cookie, dict):
                cookie = {"name": cookie, "path": "/", "SameSite": "Lax"}
            headers = [("Set-Cookie", self._generate_sid_cookie(sid, cookie))]
        try:
            return self._ok(await socket.poll(), headers=headers, jsonp_index=jsonp_index)
        except exceptions.QueueEmpty:
            return self._bad_request()

    def create_queue(self, *args: Any, **kwargs: Any) -> Outbox:
        return Outbox(limit=self.backlog_limit, cutoff_s=self.cutoff_s)

    def _websocket_driver(self, handler: Any, server: LiveEngineServer) -> PlainWebSocket:
        return PlainWebSocket(handler, server)

    def outbox(self, eio_sid: str) -> Outbox | None:
        socket = self.sockets.get(eio_sid)
        return None if socket is None else socket.queue

    async def close_websocket(self, eio_sid: str, code: int, reason: str) -> None:
        """Close one client's websocket with a close code and reason (the reason is cut to 120 bytes)."""
        connection = self.websockets.get(eio_sid)
        if connection is not None:
            connection.close(code, reason.encode()[:120])

    async def close_websockets(self, timeout_s: float = 3.0) -> None:
        """Close every websocket (going away, 1001); abort the ones that do not answer in time."""
        connections = list(self.websockets.values())
        if not connections:
            return
        closing = [connection.close(1001, b"server shutdown") for connection in connections]
        await asyncio.wait(closing, timeout=timeout_s)
        for connection in connections:
            if not connection.lost.done():
                connection.abort()


class LimitedWebSocket(web.WebSocketResponse):
    """The 101 answer; the connection is then handed to a `LiveConnection` (see `PlainWebSocket`)."""

    def __init__(self, connection: LiveConnection, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._connection = connection
        self._old_protocol: Any = None

    def _post_start(self, request: Any, protocol: str | None, writer: Any) -> None:
        # aiohttp's own reader queue is not made: frames go to the connection's reader from the start
        # (also bytes the client sent right behind its upgrade request)
        self._ws_protocol = protocol
        self._writer = writer
        self._old_protocol = request.protocol
        request.protocol.set_parser(self._connection.reader)
        request.protocol.keep_alive(False)

    async def write_eof(self) -> None:  # type: ignore[override]
        """aiohttp ends the response when the handler returns: the connection is ours by then, so
        nothing is written; aiohttp's request handler is told the connection is gone from it."""
        self._eof_sent = True
        old, self._old_protocol = self._old_protocol, None
        self._writer = None
        if old is not None:
            old.transport = None  # so that it does not close the transport it no longer owns
            old._task_handler = None  # nor cancel its own request task (with handler_cancellation on)
            old.connection_lost(None)


class Dispatch(WebSocketDataQueue):
    """The one queue every connection's WebSocket reader feeds: a message goes straight to the
    connection whose bytes are being parsed (`current`), synchronously."""

    current: LiveConnection | None = None

    def feed_data(self, data: Any, size: int) -> None:
        if self.current is not None:
            self.current.on_message(data)

    def feed_eof(self) -> None:
        pass

    def set_exception(self, exc: BaseException, exc_cause: Any = None) -> None:
        if self.current is not None:
            self.current.on_error(exc)


class _Paused:
    _reading_paused = False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


DISPATCH: Dispatch | None = None


def _dispatch() -> Dispatch:
    global DISPATCH
    if DISPATCH is None:
        DISPATCH = Dispatch(_Paused(), 2**30, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
    return DISPATCH


class Reader(WebSocketReader):
    """aiohttp's WebSocket frame parser (masking, fragments, control frames, UTF-8, the size limit) for
    one connection, feeding the shared `Dispatch`."""

    __slots__ = ("connection",)
    connection: LiveConnection

    def feed_data(self, data: Any) -> tuple[bool, bytes]:
        dispatch = _dispatch()
        dispatch.current = self.connection
        try:
            return super().feed_data(data)
        finally:
            dispatch.current = None

    def feed_eof(self) -> None:
        pass


# connection states
PROBE, UPGRADE, OPEN, CLOSING, CLOSED = range(5)


class LiveConnection(asyncio.Protocol):
    """One Engine.IO websocket after the HTTP upgrade: frames in, Engine.IO packets handled in order."""

    __slots__ = (
        "_lost",
        "_task",
        "attached",
        "closing_timer",
        "inbox",
        "reader",
        "sent_close",
        "server",
        "socket",
        "state",
        "transport",
    )  # fmt: skip

    def __init__(self, server: LiveEngineServer, socket: LiveSocket, max_msg_size: int) -> None:
        self.server = server
        self.socket = socket
        self.transport: asyncio.Transport | None = None
        reader = Reader(_dispatch(), max_msg_size, compress=False, decode_text=True)
        reader.connection = self
        self.reader = reader
        self.inbox: deque[bytes | str] | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost: asyncio.Future[None] | None = None
        self.closing_timer: asyncio.TimerHandle | None = None
        self.sent_close = False
        self.attached = False  # the outbox writes here: Engine.IO's socket lives and dies with this connection
        # An upgrade from long-polling answers the probe first; room frames and other packets keep
        # going to the polls until the client's UPGRADE arrives.
        self.state = PROBE if socket.connected else OPEN

    # -- the transport's side ----------------------------------------------------------------------
    def take_over(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        transport.set_protocol(self)
        sid = self.socket.sid
        self.server.websockets[sid] = self
        if self.state == OPEN:
            self.socket.connected = True
            self.socket.upgraded = True
            self._attach()
        else:
            self.socket.upgrading = True  # polls get NOOP until the upgrade is done or failed

    def data_received(self, data: bytes) -> None:
        self.reader.feed_data(data)

    def eof_received(self) -> bool | None:
        return None  # close the transport

    def pause_writing(self) -> None:
        pass  # the outbox sees the write buffer and queues

    def resume_writing(self) -> None:
        outbox = self.socket.queue
        if isinstance(outbox, Outbox):
            outbox.drain()

    def connection_lost(self, exc: Exception | None) -> None:
        self.state = CLOSED
        if self.closing_timer is not None:
            self.closing_timer.cancel()
            self.closing_timer = None
        if self.server.websockets.get(self.socket.sid) is self:
            del self.server.websockets[self.socket.sid]
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        if not self.attached:  # a failed upgrade: the socket goes on polling
            self.socket.upgrading = False
            return
        outbox = self.socket.queue
        if isinstance(outbox, Outbox):
            outbox.detach()
        self.inbox = None
        if self._task is None:
            _spawn(self.ended())

    @property
    def lost(self) -> asyncio.Future[None]:
        if self._lost is None:
            self._lost = asyncio.get_running_loop().create_future()
            if self.state == CLOSED:
                self._lost.set_result(None)
        return self._lost

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.sent_close:
            self.transport.write(data)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # -- frames in ----------------------------------------------------------------------------------
    def on_message(self, message: Any) -> None:
        kind, data = message.type, message.data
        if kind is WSMsgType.TEXT or kind is WSMsgType.BINARY:
            if self.state == OPEN and data == "3" and not self.inbox and self._task is None:
                self._received_inline(data)  # a PONG: no task
                return
            if self.state >= CLOSING:
                return
            if self.inbox is None:
                self.inbox = deque()
            self.inbox.append(data)
            if len(self.inbox) >= INBOX_PAUSE and self.transport is not None:
                self.transport.pause_reading()
            if self._task is None:
                self._task = asyncio.ensure_future(self._handle_inbox())
        elif kind is WSMsgType.PING:
            self.write(websocket_frame(bytes(data), OPCODE_PONG))
        elif kind is WSMsgType.CLOSE:
            self._closed_by_client()

    def on_error(self, error: BaseException) -> None:
        """The reader refused the bytes (too big, bad UTF-8, a protocol error): close with its code."""
        code = getattr(error, "code", None)
        if code == WSCloseCode.MESSAGE_TOO_BIG:
            self.close(code, f"message exceeds limit of {self.server.max_http_buffer_size} bytes".encode())
        elif isinstance(code, int):
            self.close(code, b"")
        else:
            self.abort()

    def _received_inline(self, data: str) -> None:
        socket = self.socket
        if socket.closed:
            self.close(1000, b"")
            return
        socket.schedule_ping()  # what engineio's receive() does with a PONG

    async def _handle_inbox(self) -> None:
        try:
            while self.inbox and self.state < CLOSING:
                data = self.inbox.popleft()
                if len(self.inbox) == INBOX_PAUSE // 2 and self.transport is not None:
                    self.transport.resume_reading()
                await self._handle(data)
            self.inbox = None  # an empty deque is ~600 bytes: none while idle
        except Exception:
            log.exception("live connection: handling a message failed")
            self.abort()
        finally:
            self._task = None
            if self.state == CLOSED:
                await self.ended()

    async def _handle(self, data: bytes | str) -> None:
        socket = self.socket
        if isinstance(data, str) and not _engineio_text(data):
            if self.state != OPEN:
                socket.upgrading = False
            self.close(POLICY_VIOLATION, b"malformed Engine.IO packet")
            return
        received = eio_packet.Packet(encoded_packet=data)
        if self.state == PROBE:
            if received.packet_type != eio_packet.PING or received.data != "probe":
                log.info("%s: failed websocket upgrade, no PING packet", socket.sid)
                socket.upgrading = False
                self.close(1000, b"")
                return
            self.write(websocket_frame(b"3probe", OPCODE_TEXT))
            socket.queue.put_nowait(eio_packet.Packet(eio_packet.NOOP))  # end the poll in progress
            self.state = UPGRADE
            return
        if self.state == UPGRADE:
            if received.packet_type != eio_packet.UPGRADE:
                log.info("%s: failed websocket upgrade, no UPGRADE packet", socket.sid)
                socket.upgraded = socket.upgrading = False
                self.close(1000, b"")
                return
            socket.upgraded = True
            socket.upgrading = False
            self.state = OPEN
            self._attach()
            return
        if socket.closed:
            self.close(1000, b"")
            return
        try:
            await socket.receive(received)
        except exceptions.UnknownPacketError:
            pass
        except exceptions.SocketIsClosedError:
            self.close(1000, b"")

    def _attach(self) -> None:
        self.attached = True
        outbox = self.socket.queue
        if isinstance(outbox, Outbox) and self.transport is not None:
            outbox.attach(self.transport, self._end_after_close_packet)

    def _end_after_close_packet(self) -> None:
        self.close(1000, b"")

    async def ended(self) -> None:
        """The websocket is gone: Engine.IO's disconnect (as its own handler did when its read loop ended)."""
        socket = self.socket
        socket.stop_pinging()
        await socket.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
        if socket.closed and self.server.sockets.get(socket.sid) is socket:
            del self.server.sockets[socket.sid]

    # -- closing ------------------------------------------------------------------------------------
    def close(self, code: int, reason: bytes) -> asyncio.Future[None]:
        """Start the closing handshake: our close frame, then the transport is closed when the client
        answers (or aborted after CLOSE_TIMEOUT_S). Returns a future done when the connection is gone."""
        lost = self.lost
        if self.state >= CLOSING or self.transport is None:
            return lost
        if self.state in (PROBE, UPGRADE):
            self.socket.upgrading = False
        self.state = CLOSING
        self._stop_output()
        self.transport.write(websocket_frame(code.to_bytes(2, "big") + reason, OPCODE_CLOSE))
        self.sent_close = True
        self.closing_timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_S, self.abort)
        return lost

    def _stop_output(self) -> None:
        outbox = self.socket.queue
        if self.attached and isinstance(outbox, Outbox):
            outbox.close()

    def _closed_by_client(self) -> None:
        if self.transport is None:
            return
        if not self.sent_close:
            self._stop_output()
            self.transport.write(websocket_frame((1000).to_bytes(2, "big"), OPCODE_CLOSE))
            self.sent_close = True
        if self.state < CLOSING:
            self.state = CLOSING
        self.transport.close()


class PlainWebSocket:
    """engineio's websocket "driver": answers the upgrade, then hands the connection to a `LiveConnection`."""

    def __init__(self, handler: Any, server: LiveEngineServer) -> None:
        self.handler = handler
        self.server = server

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request: web.Request = environ["aiohttp.request"]
        socket = getattr(self.handler, "__self__", None)
        if not isinstance(socket, LiveSocket):
            raise RuntimeError("the live engine serves its own sockets only")
        connection = LiveConnection(self.server, socket, self.server.max_http_buffer_size)
        response = LimitedWebSocket(connection, max_msg_size=self.server.max_http_buffer_size, compress=False)
        await response.prepare(request)
        transport = request.transport
        if transport is None or transport.is_closing():  # the client left during the upgrade
            direct = connection.state == OPEN
            connection.state = CLOSED
            if direct:
                _spawn(connection.ended())
            else:
                socket.upgrading = False
            return response
        connection.take_over(transport)
        return response


def _engineio_text(data: str) -> bool:
    """Would engineio decode and handle this text frame without raising? (It does not catch its own
    decode errors, and a packet type past NOOP — frames `7`, `8`, `9`, `72` — raised IndexError when
    it named the type in its log.)"""
    try:
        decoded = engineio.packet.Packet(encoded_packet=data)
    except Exception:
        return False
    return isinstance(decoded.packet_type, int) and 0 <= decoded.packet_type < len(engineio.packet.packet_names)


__all__ = ["HIGH_WATER_BYTES", "LiveConnection", "LiveEngineServer", "LiveSocket", "PlainWebSocket"]
