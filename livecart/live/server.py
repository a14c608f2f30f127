"""Building the Socket.IO server: msgpack serializer, websocket transport, our engine and manager.

The server is only the transport: `LiveService` (livecart/live/service.py) registers the event handlers,
the composition root (livecart/services.py) builds both, and `create_app` attaches the server at
`/socket.io/`."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from livecart.config import Settings, fanout_url
from livecart.http.websecurity import socketio_origin_check
from livecart.live.engine import POLICY_VIOLATION, LiveEngineServer
from livecart.live.manager import FastManager, FastRedisManager
from livecart.live.packets import CheckedMsgPackPacket, MalformedPacket

MAX_CLIENT_MESSAGE_BYTES = 16 * 1024
FANOUT_CHANNEL = "lc:live:fanout"

log = logging.getLogger(__name__)


class LiveSocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server on our Engine.IO server (bounded outboxes, uncompressed websockets)."""

    def __init__(self, *, backlog_limit: int, cutoff_s: float, max_sockets: int = 0, **kwargs: Any) -> None:
        self._engine_options: dict[str, Any] = {
            "backlog_limit": backlog_limit, "cutoff_s": cutoff_s, "max_sockets": max_sockets,
        }
        super().__init__(**kwargs)

    def _engineio_server_class(self) -> Any:
        options = self._engine_options

        def build(**kwargs: Any) -> LiveEngineServer:
            return LiveEngineServer(**options, **kwargs)

        return build

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            if not data:  # python-socketio would read an empty message as an event without data
                raise MalformedPacket("empty packet")
            await super()._handle_eio_message(eio_sid, data)
        except MalformedPacket as error:
            log.info("closing live connection %s: %s", eio_sid, error)
            await self.eio.close_websocket(eio_sid, POLICY_VIOLATION, str(error))


def create_manager(settings: Settings) -> socketio.AsyncManager:
    url = fanout_url(settings)
    if url:
        return FastRedisManager(url, channel=FANOUT_CHANNEL, timeout_s=settings.redis_timeout_s)
    return FastManager()


def create_socket_server(settings: Settings) -> LiveSocketServer:
    """The Socket.IO server (not yet attached to an app); the live service registers its handlers."""
    return LiveSocketServer(
        client_manager=create_manager(settings),
        serializer=CheckedMsgPackPacket,
        async_mode="aiohttp",
        transports=["websocket"],
        async_handlers=False,
        cors_allowed_origins=socketio_origin_check(settings),
        max_http_buffer_size=MAX_CLIENT_MESSAGE_BYTES,
        backlog_limit=settings.live_backlog,
        cutoff_s=10.0,
        max_sockets=settings.max_sockets,
        logger=False,
        engineio_logger=False,
    )
