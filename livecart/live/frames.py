"""Room frames: a Socket.IO event encoded once per parser in use, sent as the same bytes to every
member of a room that uses that parser.

A frame carries the Engine.IO message (the Socket.IO packet as encoded by the server's serializer)
and, built on first use, the complete WebSocket frame that carries it (RFC 6455 section 5.2: a
server's frames are not masked, so the bytes are the same for every connection).
"""

from __future__ import annotations

from typing import Any

from engineio import packet as eio_packet
from socketio import packet as sio_packet

OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
FIN = 0x80

# Events a slow client may lose: newer frames of the same kind supersede them.
DROPPABLE_EVENTS = frozenset({"chat", "reactions", "viewers"})


def websocket_frame(payload: bytes, opcode: int) -> bytes:
    """One final, unmasked WebSocket frame (RFC 6455 section 5.2) carrying `payload`."""
    size = len(payload)
    if size < 126:
        header = bytes((FIN | opcode, size))
    elif size < 1 << 16:
        header = bytes((FIN | opcode, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((FIN | opcode, 127)) + size.to_bytes(8, "big")
    return header + payload


class RoomPacket(eio_packet.Packet):  # type: ignore[misc]
    """An Engine.IO MESSAGE packet that knows which event it carries (so a backlog can drop it)."""

    def __init__(self, event: str, encoded: bytes | str, frame: RoomFrame) -> None:
        super().__init__(eio_packet.MESSAGE, encoded)
        self.event = event
        self.droppable = event in DROPPABLE_EVENTS
        self.frame = frame  # its WebSocket frame, built once for every member (outbox.packet_wire)


class RoomFrame:
    """One encoded event for many recipients."""

    __slots__ = ("_wire", "encoded", "event", "packet")

    def __init__(self, event: str, encoded: bytes | str) -> None:
        self.event = event
        self.encoded = encoded
        self.packet = RoomPacket(event, encoded, self)
        self._wire: bytes | None = None

    @property
    def wire(self) -> bytes:
        """The WebSocket frame as it goes on the wire (Engine.IO v4 over websocket: a binary message is
        the raw payload, a text message is `4` + the payload)."""
        if self._wire is None:
            raw = self.packet.encode()
            if isinstance(raw, bytes):
                self._wire = websocket_frame(raw, OPCODE_BINARY)
            else:
                self._wire = websocket_frame(raw.encode(), OPCODE_TEXT)
        return self._wire


class RoomEvent:
    """One event for a room whose members may use different parsers: each parser's `RoomFrame` is
    built the first time a member using it is reached, so a frame is encoded at most once per parser.
    `encodings` counts the encodings done (the chat bench reports it)."""

    __slots__ = ("_args", "_frames", "_known", "encodings", "event", "namespace")

    def __init__(self, event: str, args: list[Any] | None, namespace: str) -> None:
        self.event = event
        self.namespace = namespace
        self._args = args
        self._frames: dict[type[sio_packet.Packet], RoomFrame | None] = {}
        self._known: tuple[type[sio_packet.Packet], bytes | str] | None = None
        self.encodings = 0

    @classmethod
    def encoded(cls, event: str, encoded: bytes | str, namespace: str, parser: type[sio_packet.Packet]) -> RoomEvent:
        """An event that arrives already encoded by `parser` (from another node): other parsers decode
        it once when they first need it. Nothing is built before a local member needs it (a node
        receives every room's events, members here or not)."""
        room_event = cls(event, None, namespace)
        room_event._known = (parser, encoded)
        return room_event

    def packet(self, parser: type[sio_packet.Packet]) -> sio_packet.Packet:
        """The Socket.IO packet in `parser` (for the stock path: binary attachments, other engines)."""
        return parser(sio_packet.EVENT, namespace=self.namespace, data=[self.event, *self.args()])

    def args(self) -> list[Any]:
        if self._args is None:
            assert self._known is not None
            known_parser, encoded = self._known
            data = known_parser(encoded_packet=encoded).data
            self._args = list(data[1:]) if isinstance(data, list) else []
        return self._args

    def frame(self, parser: type[sio_packet.Packet]) -> RoomFrame | None:
        """The frame for members using `parser`; None when that parser needs binary attachments (several
        Engine.IO messages), which take the stock path."""
        try:
            return self._frames[parser]
        except KeyError:
            pass
        known = self._known
        if known is not None and known[0] is parser:  # as it arrived from another node
            arrived = self._frames[parser] = RoomFrame(self.event, known[1])
            return arrived
        encoded = self.packet(parser).encode()
        self.encodings += 1
        frame = RoomFrame(self.event, encoded) if isinstance(encoded, bytes | str) else None
        self._frames[parser] = frame
        return frame
