"""FastManager keeps python-socketio's protocol for any serializer: JSON text frames, binary
attachments (the stock path), msgpack binary frames, and emits to one client or to everyone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import socketio
from aiohttp import web

from livecart.live.manager import FastManager
from livecart.live.packets import CheckedJsonPacket, CheckedMsgPackPacket
from livecart.live.server import LiveSocketServer

AiohttpClient = Callable[..., Any]


@pytest.mark.parametrize("serializer", ["default", "msgpack"])
async def test_room_emits_reach_stock_clients(serializer: str, aiohttp_client: AiohttpClient) -> None:
    sio = LiveSocketServer(
        client_manager=FastManager(),
        serializer=serializer,
        async_mode="aiohttp",
        transports=["websocket"],
        backlog_limit=64,
        cutoff_s=10.0,
    )

    async def join(sid: str, room: str) -> str:
        await sio.enter_room(sid, room)
        return "joined"

    sio.on("join", join)
    app = web.Application()
    sio.attach(app)
    server = await aiohttp_client(app)
    received: dict[str, list[tuple[str, Any]]] = {"a": [], "b": []}
    clients = []
    for room in ("a", "b"):
        client = socketio.AsyncClient(serializer=serializer, reconnection=False)
        client.on("*", lambda event, data, room=room: received[room].append((event, data)))
        await client.connect(str(server.make_url("/")), transports=["websocket"])
        assert await client.call("join", room) == "joined"
        clients.append(client)

    await sio.emit("news", {"text": "héllo"}, to="a")
    await sio.emit("blob", {"raw": b"\x00\x01"}, to="b")
    await sio.emit("all", [1, 2])
    expected = {
        "a": [("news", {"text": "héllo"}), ("all", [1, 2])],
        "b": [("blob", {"raw": b"\x00\x01"}), ("all", [1, 2])],
    }
    for _ in range(100):
        if received == expected:
            break
        await asyncio.sleep(0.02)
    assert received == expected
    for client in clients:
        await client.disconnect()


async def test_a_mixed_room_encodes_each_event_once_per_parser_in_use(aiohttp_client: AiohttpClient) -> None:
    """JSON and msgpack clients in one room: each gets the event in its own parser, and the event is
    encoded twice (once per parser), not once per client."""
    manager = FastManager()
    sio = LiveSocketServer(
        client_manager=manager,
        serializer=CheckedMsgPackPacket,
        json_parser=CheckedJsonPacket,
        async_mode="aiohttp",
        transports=["polling", "websocket"],
        backlog_limit=64,
        cutoff_s=10.0,
    )

    async def join(sid: str, room: str) -> str:
        await sio.enter_room(sid, room)
        return "joined"

    sio.on("join", join)
    app = web.Application()
    sio.attach(app)
    server = await aiohttp_client(app)
    received: list[list[tuple[str, Any]]] = []
    clients = []
    for serializer in ["msgpack", "default"] * 3:
        client = socketio.AsyncClient(serializer=serializer, reconnection=False)
        got: list[tuple[str, Any]] = []
        received.append(got)
        client.on("*", lambda event, data, got=got: got.append((event, data)))
        await client.connect(str(server.make_url("/")))
        assert await client.call("join", "room") == "joined"
        clients.append(client)
    assert sio.parser_counts() == {"msgpack": 3, "json": 3}

    before = manager.encodings
    await sio.emit("news", {"text": "héllo"}, to="room")
    assert manager.encodings - before == 2
    await sio.emit("msgpack only", [1], to=clients[0].get_sid())
    assert manager.encodings - before == 3
    for _ in range(100):
        if len(received[0]) == 2 and all(got for got in received):
            break
        await asyncio.sleep(0.02)
    assert received[0] == [("news", {"text": "héllo"}), ("msgpack only", [1])]
    assert received[1:] == [[("news", {"text": "héllo"})]] * 5
    for client in clients:
        await client.disconnect()
