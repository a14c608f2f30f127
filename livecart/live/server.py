"""Building the Socket.IO server: msgpack or JSON per connection, long-polling and websocket, our engine
and manager.

Parsers: a connection's first Socket.IO packet tells its parser (binary: msgpack, as the pages use;
text: Socket.IO's default JSON parser, as every stock client uses); the connection keeps it, and every
packet the server sends it (handshake answers, acks, room events) is encoded in it.
Transports: HTTP long-polling (a stock client's default start, upgraded to websocket when it can) and
websocket. Polling needs every request of a session on the same process: several nodes behind one
address need sticky sessions for it (docs/operations.md); websocket-only clients do not.

The server is only the transport: `LiveService` (livecart/live/service.py) registers the event handlers,
the composition root (livecart/services.py) builds both, and `create_app` attaches the server at
`/socket.io/`."""

from __future__ import annotations

import logging
from typing import Any, cast

import socketio
from socketio import packet as sio_packet

from livecart.config import Settings, fanout_url
from livecart.http.websecurity import socketio_origin_check
from livecart.live.engine import POLICY_VIOLATION, LiveEngineServer
from livecart.live.manager import FastManager, FastRedisManager
from livecart.live.packets import JSON, PARSERS, CheckedMsgPackPacket, MalformedPacket, parser_for_frame

MAX_CLIENT_MESSAGE_BYTES = 16 * 1024
FANOUT_CHANNEL = "lc:live:fanout"

log = logging.getLogger(__name__)


class LiveSocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server on our Engine.IO server (bounded outboxes, uncompressed websockets).

    With `json_parser`, a connection whose first packet is text speaks JSON (`CheckedJsonPacket`) and
    one whose first packet is binary speaks the server's serializer (msgpack); without it, every
    connection speaks the serializer. `max_sockets` caps the Engine.IO connections (0: no cap)."""

    def __init__(
        self,
        *,
        backlog_limit: int,
        cutoff_s: float,
        max_sockets: int = 0,
        json_parser: type[sio_packet.Packet] | None = None,
        **kwargs: Any,
    ) -> None:
        self._engine_options: dict[str, Any] = {
            "backlog_limit": backlog_limit,
            "cutoff_s": cutoff_s,
            "max_sockets": max_sockets,
        }
        super().__init__(**kwargs)
        self.json_parser = json_parser
        self.parsers: dict[str, type[sio_packet.Packet]] = {}  # eio sid → its parser, from its first packet

    def parser_of(self, eio_sid: str) -> type[sio_packet.Packet]:
        """The parser of a connection (the serializer until it sent its first packet)."""
        parser = self.parsers.get(eio_sid)
        return parser if parser is not None else cast("type[sio_packet.Packet]", self.packet_class)

    def parser_counts(self) -> dict[str, int]:
        """How many connections use each parser ("msgpack", "json")."""
        counts: dict[str, int] = {}
        for parser in self.parsers.values():
            name = JSON if parser is self.json_parser else "msgpack"
            counts[name] = counts.get(name, 0) + 1
        return counts

    async def _send_packet(self, eio_sid: str, pkt: sio_packet.Packet) -> None:
        parser = self.parser_of(eio_sid)
        if type(pkt) is not parser:  # built by python-socketio in the serializer: re-encode in the connection's
            pkt = parser(pkt.packet_type, data=pkt.data, namespace=pkt.namespace, id=pkt.id)
        await super()._send_packet(eio_sid, pkt)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        try:
            await super()._handle_eio_disconnect(eio_sid, reason)
        finally:
            self.parsers.pop(eio_sid, None)

    def _dispatch_parser(self, eio_sid: str, data: Any) -> type[sio_packet.Packet]:
        parser = self.parsers.get(eio_sid)
        if parser is None:
            if self.json_parser is not None and parser_for_frame(data) == JSON:
                parser = self.json_parser
            else:
                parser = self.packet_class
            self.parsers[eio_sid] = parser
        return parser

    def _engineio_server_class(self) -> Any:
        options = self._engine_options

        def build(**kwargs: Any) -> LiveEngineServer:
            return LiveEngineServer(**options, **kwargs)

        return build

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            if not data:  # python-socketio would read an empty message as an event without data
                raise MalformedPacket("empty packet")
            pkt = self._dispatch_parser(eio_sid, data)(encoded_packet=data)
            if pkt.packet_type == sio_packet.CONNECT:
                await self._handle_connect(eio_sid, pkt.namespace, pkt.data)
            elif pkt.packet_type == sio_packet.DISCONNECT:
                await self._handle_disconnect(eio_sid, pkt.namespace, self.reason.CLIENT_DISCONNECT)
            elif pkt.packet_type == sio_packet.EVENT:
                await self._handle_event(eio_sid, pkt.namespace, pkt.id, pkt.data)
            else:  # ACK: the checked parsers let nothing else through
                await self._handle_ack(eio_sid, pkt.namespace, pkt.id, pkt.data)
        except MalformedPacket as error:
            log.info("closing live connection %s: %s", eio_sid, error)
            if eio_sid in self.eio.websockets:
                await self.eio.close_websocket(eio_sid, POLICY_VIOLATION, str(error))
            else:  # long-polling: no close code to give; the session ends
                await self.eio.disconnect(eio_sid)


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
        json_parser=PARSERS[JSON],
        async_mode="aiohttp",
        transports=["polling", "websocket"],
        async_handlers=False,
        cors_allowed_origins=socketio_origin_check(settings),
        max_http_buffer_size=MAX_CLIENT_MESSAGE_BYTES,
        backlog_limit=settings.live_backlog,
        cutoff_s=10.0,
        max_sockets=settings.max_sockets,
        logger=False,
        engineio_logger=False,
    )
