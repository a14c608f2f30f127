"""Engine.IO server pieces for the fast path: an `Outbox` per socket and websockets without compression.

`LiveEngineServer` is python-engineio's `AsyncServer` with two substitutions through its own
extension points: `create_queue()` returns an `Outbox` (see outbox.py), and the aiohttp websocket
driver is replaced by `PlainWebSocket`, which turns per-connection compression off (small chat frames
cost more CPU and memory to deflate per viewer than they save) and hands the connection's transport
to the outbox so room frames can be written directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import engineio
import engineio.packet
from aiohttp import WSCloseCode, web

from livecart.live.outbox import Outbox

Handler = Callable[["PlainWebSocket"], Awaitable[None]]
POLICY_VIOLATION = 1008  # WebSocket close code: the client broke the protocol


SOCKETS_RETRY_AFTER_S = 5


class LiveEngineServer(engineio.AsyncServer):  # type: ignore[misc]
    def __init__(
        self, *, backlog_limit: int = 256, cutoff_s: float = 10.0, max_sockets: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.backlog_limit = backlog_limit
        self.cutoff_s = cutoff_s
        self.max_sockets = max_sockets  # LIVECART_MAX_SOCKETS; 0: no limit
        self.websockets: dict[str, web.WebSocketResponse] = {}
        self._async = {**self._async, "websocket": self._websocket_driver}  # type: ignore[has-type]

    async def _handle_connect(self, environ: dict[str, Any], transport: str, jsonp_index: Any = None) -> Any:
        """engineio's handshake (a private method: its signature is checked by
        tests/security/test_hostile_clients.py),
        refused with 503 + Retry-After before anything is made when this process holds
        `max_sockets` connections (issue 19, finding 12)."""
        if self.max_sockets and len(self.sockets) >= self.max_sockets:
            body = '{"error": {"code": "at_capacity", "message": "this node holds as many live connections as it can"}}'
            return {
                "status": "503 SERVICE UNAVAILABLE",
                "headers": [("Content-Type", "application/json"), ("Retry-After", str(SOCKETS_RETRY_AFTER_S))],
                "response": body.encode(),
            }
        return await super()._handle_connect(environ, transport, jsonp_index)

    def create_queue(self, *args: Any, **kwargs: Any) -> Outbox:
        return Outbox(limit=self.backlog_limit, cutoff_s=self.cutoff_s)

    def _websocket_driver(self, handler: Handler, server: LiveEngineServer) -> PlainWebSocket:
        return PlainWebSocket(handler, server)

    def outbox(self, eio_sid: str) -> Outbox | None:
        socket = self.sockets.get(eio_sid)
        return None if socket is None else socket.queue

    async def close_websocket(self, eio_sid: str, code: int, reason: str) -> None:
        """Close one client's websocket with a close code and reason (the reason is cut to 120 bytes)."""
        ws = self.websockets.get(eio_sid)
        if ws is not None:
            await ws.close(code=code, message=reason.encode()[:120])

    async def close_websockets(self, timeout_s: float = 3.0) -> None:
        """Close every websocket (going away, 1001); abort the ones that do not answer in time."""
        sockets = list(self.websockets.values())
        if not sockets:
            return
        closing = [asyncio.ensure_future(ws.close(code=1001, message=b"server shutdown")) for ws in sockets]
        _done, pending = await asyncio.wait(closing, timeout=timeout_s)
        for task in pending:
            task.cancel()


class LimitedWebSocket(web.WebSocketResponse):
    """aiohttp closes a websocket whose message is over `max_msg_size` with 1009 and no reason: add one."""

    def __init__(self, *, max_msg_size: int, **kwargs: Any) -> None:
        super().__init__(max_msg_size=max_msg_size, **kwargs)
        self._too_big = f"message exceeds limit of {max_msg_size} bytes".encode()

    async def close(self, *, code: int = WSCloseCode.OK, message: bytes = b"", drain: bool = True) -> bool:
        if code == WSCloseCode.MESSAGE_TOO_BIG and not message:
            message = self._too_big
        return await super().close(code=code, message=message, drain=drain)


class PlainWebSocket:
    """engineio's aiohttp websocket wrapper, with compression off and the outbox attached."""

    def __init__(self, handler: Handler, server: LiveEngineServer) -> None:
        self.handler = handler
        self.server = server
        self._sock: web.WebSocketResponse | None = None
        self._outbox: Outbox | None = None
        self._eio_socket: Any = None
        self._transport: Any = None
        self._upgrading = False

    def _attach(self) -> None:
        outbox = getattr(self._eio_socket, "queue", None)
        if isinstance(outbox, Outbox) and self._transport is not None:
            self._outbox = outbox
            outbox.attach(self._transport, upgraded=self._upgrading)

    def _attach_once_upgraded(self) -> None:
        if self._upgrading and self._outbox is None and getattr(self._eio_socket, "upgraded", False):
            self._attach()

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request: web.Request = environ["aiohttp.request"]
        sock = LimitedWebSocket(max_msg_size=self.server.max_http_buffer_size, compress=False)
        self._sock = sock
        await sock.prepare(request)
        eio_socket = getattr(self.handler, "__self__", None)
        self._eio_socket = eio_socket
        self._transport = request.transport
        sid = getattr(eio_socket, "sid", None)
        # An upgrade from long-polling: room frames may go straight to this websocket only once the
        # upgrade is complete (the probe answered and the client's UPGRADE received); until then they
        # are queued, and Engine.IO's writer sends them here after the upgrade.
        self._upgrading = bool(getattr(eio_socket, "connected", False))
        if not self._upgrading:
            self._attach()
        if sid is not None:
            self.server.websockets[sid] = sock
        try:
            await self.handler(self)
        finally:
            if sid is not None:
                self.server.websockets.pop(sid, None)
            if self._outbox is not None:
                self._outbox.detach()
        return sock

    async def close(self) -> None:
        assert self._sock is not None
        await self._sock.close()

    async def send(self, message: bytes | str) -> None:
        assert self._sock is not None
        self._attach_once_upgraded()
        try:
            if isinstance(message, bytes):
                await self._sock.send_bytes(message)
            else:
                await self._sock.send_str(message)
        finally:
            if self._outbox is not None:
                self._outbox.written()

    async def wait(self) -> bytes | str:
        assert self._sock is not None
        self._attach_once_upgraded()
        msg = await self._sock.receive()
        if not isinstance(msg.data, bytes | str):
            raise OSError()
        if isinstance(msg.data, str) and not _engineio_text(msg.data):
            await self._sock.close(code=POLICY_VIOLATION, message=b"malformed Engine.IO packet")
            raise OSError()  # engineio ends the connection as if the client had closed it
        return msg.data


def _engineio_text(data: str) -> bool:
    """Would engineio decode and handle this text frame without raising? (It does not catch its own
    decode errors, and a packet type past NOOP — frames `7`, `8`, `9`, `72` — raised IndexError when
    it named the type in its log.)"""
    try:
        decoded = engineio.packet.Packet(encoded_packet=data)
    except Exception:
        return False
    return isinstance(decoded.packet_type, int) and 0 <= decoded.packet_type < len(engineio.packet.packet_names)
