"""Building the Socket.IO server: msgpack serializer, websocket transport, our engine and manager."""

from __future__ import annotations

import logging
from typing import Any

import socketio
from aiohttp import web

from livecart import keys
from livecart.api.auth import account_for_token
from livecart.api.websecurity import socketio_origin_check
from livecart.config import Settings
from livecart.domain.models import Account
from livecart.live.engine import POLICY_VIOLATION, LiveEngineServer
from livecart.live.manager import FastManager, FastRedisManager
from livecart.live.packets import CheckedMsgPackPacket, MalformedPacket
from livecart.live.service import LiveService

MAX_CLIENT_MESSAGE_BYTES = 16 * 1024
FANOUT_CHANNEL = "lc:live:fanout"

log = logging.getLogger(__name__)


class LiveSocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server on our Engine.IO server (bounded outboxes, uncompressed websockets)."""

    def __init__(self, *, backlog_limit: int, cutoff_s: float, **kwargs: Any) -> None:
        self._engine_options: dict[str, Any] = {"backlog_limit": backlog_limit, "cutoff_s": cutoff_s}
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


def fanout_url(settings: Settings) -> str:
    """Where rooms meet across processes: LIVECART_FANOUT_URL, else the store when it is Redis."""
    if settings.fanout_url:
        return "" if settings.fanout_url == "local" else settings.fanout_url
    if settings.store.startswith(("redis://", "rediss://", "unix://")):
        return settings.store
    return ""


def create_manager(settings: Settings) -> socketio.AsyncManager:
    url = fanout_url(settings)
    if url:
        return FastRedisManager(url, channel=FANOUT_CHANNEL, timeout_s=settings.redis_timeout_s)
    return FastManager()


def create_live_server(app: web.Application, settings: Settings) -> tuple[LiveSocketServer, LiveService]:
    sio = LiveSocketServer(
        client_manager=create_manager(settings),
        serializer=CheckedMsgPackPacket,
        async_mode="aiohttp",
        transports=["websocket"],
        async_handlers=False,
        cors_allowed_origins=socketio_origin_check(settings),
        max_http_buffer_size=MAX_CLIENT_MESSAGE_BYTES,
        backlog_limit=settings.live_backlog,
        cutoff_s=10.0,
        logger=False,
        engineio_logger=False,
    )
    sio.attach(app, socketio_path="socket.io")

    async def authenticate(token: str) -> Account | None:
        return await account_for_token(app, token)

    rate_messages, rate_seconds = settings.chat_rate
    service = LiveService(
        sio,
        lambda: app[keys.STORE],
        authenticate=authenticate,
        rate_messages=rate_messages,
        rate_seconds=rate_seconds,
        frame_interval_s=settings.chat_frame_ms / 1000,
    )
    return sio, service
