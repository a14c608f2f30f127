"""Checking what clients send before python-socketio acts on it, in either parser a client may use.

python-socketio trusts the shape of a decoded packet (a map with an integer `type`, a string `nsp`, an
event as a list starting with its name); anything else raised deep inside it and was logged as an
error with a traceback, once per message a client chose to send. Here every packet is checked as it is
decoded; a malformed one raises `MalformedPacket`, and the server closes that connection with
WebSocket code 1008 and the reason (server.py). Engine.IO text frames are checked in engine.py.

Two parsers are accepted, chosen per connection by its first packet (server.py): msgpack
(socket.io-msgpack-parser, binary frames; livecart's pages) and Socket.IO's default JSON parser (text
frames; every stock client). JSON packets with binary attachments are refused: no event takes bytes.
"""

from __future__ import annotations

from typing import Any

import msgpack
from socketio import packet
from socketio.msgpack_packet import MsgPackPacket

CLIENT_TYPES = {packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK}
# Event names Socket.IO keeps for itself (its clients refuse to emit them); python-socketio would call
# its own connect/disconnect handlers with the client's arguments (`["disconnect", 1, 2, 3]` was a
# TypeError, `["connect"]` went unanswered).
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
MAX_PACKET_ID = 2**53


class MalformedPacket(ValueError):
    """A client sent something that is not a Socket.IO packet this server accepts; the text is the reason."""


def _check(decoded: Any) -> tuple[int, str, Any, int | None]:
    if not isinstance(decoded, dict):
        raise MalformedPacket("a packet must be a msgpack map")
    kind, nsp, data, ack_id = decoded.get("type"), decoded.get("nsp"), decoded.get("data"), decoded.get("id")
    if not isinstance(kind, int) or isinstance(kind, bool) or kind not in CLIENT_TYPES:
        raise MalformedPacket("unknown packet type")
    if not isinstance(nsp, str):
        raise MalformedPacket("nsp must be a string")
    bad_id = isinstance(ack_id, bool) or not isinstance(ack_id, int) or not 0 <= ack_id < MAX_PACKET_ID
    if ack_id is not None and bad_id:
        raise MalformedPacket("id must be a non-negative integer")
    if kind in (packet.EVENT, packet.ACK) and not isinstance(data, list):
        raise MalformedPacket("event data must be a list")
    if kind == packet.EVENT and (not data or not isinstance(data[0], str)):
        raise MalformedPacket("an event must start with its name")
    if kind == packet.EVENT and isinstance(data, list) and data[0] in RESERVED_EVENTS:
        raise MalformedPacket(f"{data[0]!r} is a reserved event name")
    return kind, nsp, data, ack_id


class CheckedMsgPackPacket(MsgPackPacket):  # type: ignore[misc]
    """python-socketio's msgpack packet, refusing what it would otherwise crash on (see module doc)."""

    def decode(self, encoded_packet: Any) -> None:
        if not isinstance(encoded_packet, bytes):
            raise MalformedPacket("this connection speaks msgpack: send binary frames")
        try:
            decoded = msgpack.loads(encoded_packet)
        except Exception as error:  # invalid msgpack, bad UTF-8 (lone surrogates), too deep, …
            raise MalformedPacket(f"not msgpack: {type(error).__name__}") from None
        self.packet_type, self.namespace, self.data, self.id = _check(decoded)


class CheckedJsonPacket(packet.Packet):  # type: ignore[misc]
    """python-socketio's default (JSON) packet, with the same checks as the msgpack one."""

    def decode(self, encoded_packet: Any) -> int:
        if not isinstance(encoded_packet, str):
            raise MalformedPacket("this connection speaks JSON: send text frames")
        try:
            attachments = super().decode(encoded_packet)
        except Exception as error:  # not a digit first, bad JSON, an id too long, …
            raise MalformedPacket(f"not a Socket.IO JSON packet: {type(error).__name__}") from None
        if attachments:
            raise MalformedPacket("binary attachments are not accepted")
        fields = vars(self)  # set by the base decode
        decoded = {
            "type": fields["packet_type"],
            "nsp": fields["namespace"] or "/",
            "data": fields["data"],
            "id": fields["id"],
        }
        self.packet_type, self.namespace, self.data, self.id = _check(decoded)
        return 0


MSGPACK = "msgpack"
JSON = "json"
PARSERS: dict[str, type[packet.Packet]] = {MSGPACK: CheckedMsgPackPacket, JSON: CheckedJsonPacket}


def parser_for_frame(data: bytes | str) -> str:
    """The parser a connection uses, told by its first Socket.IO packet: binary is msgpack, text is JSON."""
    return MSGPACK if isinstance(data, bytes) else JSON
