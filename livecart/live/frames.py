"""Room frames: a Socket.IO event encoded once, sent as the same bytes to every member of a room.

A frame carries the Engine.IO message (the Socket.IO packet as encoded by the server's serializer)
and, built on first use, the complete WebSocket frame that carries it (RFC 6455 section 5.2: a
server's frames are not masked, so the bytes are the same for every connection).
"""

from __future__ import annotations

from engineio import packet as eio_packet

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

    def __init__(self, event: str, encoded: bytes | str) -> None:
        super().__init__(eio_packet.MESSAGE, encoded)
        self.event = event
        self.droppable = event in DROPPABLE_EVENTS


class RoomFrame:
    """One encoded event for many recipients."""

    __slots__ = ("_wire", "encoded", "event", "packet")

    def __init__(self, event: str, encoded: bytes | str) -> None:
        self.event = event
        self.encoded = encoded
        self.packet = RoomPacket(event, encoded)
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
