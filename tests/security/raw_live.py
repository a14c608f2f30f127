"""A bare Engine.IO/Socket.IO (msgpack) client on one aiohttp websocket, able to send anything at all."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import msgpack

CLOSED = "closed"


class RawLive:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.url = base_url.rstrip("/").replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.next_id = 0
        self.close_code: int | None = None
        self.close_reason = ""

    async def connect(self) -> RawLive:
        self.ws = await self.session.ws_connect(self.url, max_msg_size=0)
        opened = await self.ws.receive_str()
        assert opened.startswith("0"), opened
        await self.ws.send_bytes(msgpack.packb({"type": 0, "nsp": "/"}))
        connected = msgpack.unpackb(await self.ws.receive_bytes())
        assert connected["type"] == 0, connected
        return self

    @property
    def closed(self) -> bool:
        return self.ws is None or self.ws.closed or self.close_code is not None

    async def send(self, frame: bytes | str) -> None:
        assert self.ws is not None
        if isinstance(frame, bytes):
            await self.ws.send_bytes(frame)
        else:
            await self.ws.send_str(frame)

    async def emit(self, event: Any, *args: Any) -> Any:
        """Send an event with an ack id and return the ack's first value, or CLOSED if the server closed."""
        self.next_id += 1
        packet = {"type": 2, "nsp": "/", "data": [event, *args], "id": self.next_id}
        await self.send(msgpack.packb(packet))
        return await self.ack(self.next_id)

    async def ack(self, ack_id: int, within_s: float = 10.0) -> Any:
        assert self.ws is not None
        deadline = time.monotonic() + within_s
        while True:
            message = await self.ws.receive(timeout=max(0.01, deadline - time.monotonic()))
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                self.close_code = self.ws.close_code or (message.data if isinstance(message.data, int) else None)
                self.close_reason = message.extra or ""
                return CLOSED
            if message.type is aiohttp.WSMsgType.TEXT:
                if message.data == "2":  # Engine.IO ping
                    await self.ws.send_str("3")
                continue
            packet = msgpack.unpackb(message.data)
            if packet.get("type") == 3 and packet.get("id") == ack_id:
                return packet["data"][0]

    async def alive(self) -> bool:
        """Does the connection still answer an event (an unknown one is answered with an error ack)?"""
        if self.closed:
            return False
        try:
            answer = await self.emit("ping?")
        except (TimeoutError, ConnectionError):
            return False
        return bool(answer != CLOSED)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def wait_closed(live: RawLive, within_s: float = 5.0) -> None:
    """Read until the server closes the connection (recording its close code and reason)."""
    assert live.ws is not None
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline and not live.closed:
        message = await live.ws.receive(timeout=max(0.01, deadline - time.monotonic()))
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
            live.close_code = live.ws.close_code or (message.data if isinstance(message.data, int) else None)
            live.close_reason = message.extra or ""
