"""Websocket connections after the upgrade (livecart/live/engine.py): no task per idle connection,
Engine.IO's ping and ping timeout, the client's address kept for the room, close codes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import socketio
from aiohttp import web
from aiohttp.test_utils import TestClient

from livecart.live.engine import PEER, LiveConnection
from livecart.live.manager import FastManager
from livecart.live.packets import CheckedJsonPacket, CheckedMsgPackPacket
from livecart.live.server import LiveSocketServer

MakeClient = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
WS_PATH = "/socket.io/?EIO=4&transport=websocket"


def live_app(**engine_options: Any) -> tuple[web.Application, LiveSocketServer]:
    sio = LiveSocketServer(
        client_manager=FastManager(),
        serializer=CheckedMsgPackPacket,
        json_parser=CheckedJsonPacket,
        async_mode="aiohttp",
        transports=["polling", "websocket"],
        async_handlers=False,
        max_http_buffer_size=16 * 1024,
        backlog_limit=256,
        cutoff_s=10.0,
        **engine_options,
    )

    async def echo(sid: str, data: Any) -> Any:
        return data

    sio.on("echo", echo)
    app = web.Application()
    sio.attach(app, socketio_path="socket.io")
    return app, sio


async def open_socket(client: TestClient[Any, Any], **headers: str) -> aiohttp.ClientWebSocketResponse:
    """A websocket-only Engine.IO client, connected to the `/` namespace with the JSON parser."""
    ws = await client.ws_connect(WS_PATH, headers=headers, autoping=True)
    opened = await ws.receive_str()
    assert opened.startswith("0"), opened
    await ws.send_str("40")
    connected = await ws.receive_str()
    assert connected.startswith("40"), connected
    return ws


async def test_an_idle_websocket_connection_holds_no_task(aiohttp_client: MakeClient) -> None:
    app, sio = live_app()
    client = await aiohttp_client(app)
    await open_socket(client)  # the first one starts Engine.IO's service task
    await asyncio.sleep(0.05)
    before = len(asyncio.all_tasks())
    sockets = [await open_socket(client) for _ in range(20)]
    await asyncio.sleep(0.05)
    assert len(asyncio.all_tasks()) - before < 5  # was 4 tasks per connection on the server alone
    assert len(sio.eio.websockets) == 21
    assert all(isinstance(c, LiveConnection) for c in sio.eio.websockets.values())
    await sockets[0].send_str('420["echo",{"n":1}]')
    assert await sockets[0].receive_str() == '430[{"n":1}]'  # still answering
    for ws in sockets:
        await ws.close()


async def test_the_server_pings_and_closes_a_client_that_does_not_answer(aiohttp_client: MakeClient) -> None:
    app, sio = live_app(ping_interval=0.2, ping_timeout=0.3)
    client = await aiohttp_client(app)
    silent = await client.ws_connect(WS_PATH, autoping=True)
    assert (await silent.receive_str()).startswith("0")
    await silent.send_str("40")
    assert (await silent.receive_str()).startswith("40")
    answering = await open_socket(client)

    async def pong_forever() -> int:
        pings = 0
        async for message in answering:
            if message.type == aiohttp.WSMsgType.TEXT and message.data == "2":
                pings += 1
                await answering.send_str("3")
        return pings

    ponger = asyncio.ensure_future(pong_forever())
    received: list[str] = []
    while True:
        message = await asyncio.wait_for(silent.receive(), 3)
        if message.type != aiohttp.WSMsgType.TEXT:
            break
        received.append(message.data)
    assert received[0] == "2"  # pinged, never answered …
    assert received[-1] == "1"  # … then Engine.IO's CLOSE
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    await asyncio.sleep(0.1)
    assert len(sio.eio.sockets) == 1  # only the one that answers is left
    assert not ponger.done()
    await answering.close()
    assert await asyncio.wait_for(ponger, 3) >= 2


async def test_the_room_keeps_the_client_address_not_the_request(aiohttp_client: MakeClient) -> None:
    app, sio = live_app()
    client = await aiohttp_client(app)
    ws = await open_socket(client, **{"X-Forwarded-For": "203.0.113.7"})
    environs = list(sio.environ.values())
    assert len(environs) == 1
    environ = environs[0]
    assert "aiohttp.request" not in environ
    assert environ[PEER] == ("127.0.0.1", ("203.0.113.7",))
    await ws.close()


async def test_bad_frames_close_with_the_same_codes_as_before(aiohttp_client: MakeClient) -> None:
    app, sio = live_app()
    client = await aiohttp_client(app)
    too_big = await open_socket(client)
    await too_big.send_str("4" + json.dumps(["x" * 20000]))
    closed = await asyncio.wait_for(too_big.receive(), 3)
    assert closed.type == aiohttp.WSMsgType.CLOSE
    assert closed.data == 1009
    assert "exceeds limit of 16384 bytes" in str(closed.extra)
    malformed = await open_socket(client)
    await malformed.send_str("9")
    closed = await asyncio.wait_for(malformed.receive(), 3)
    assert (closed.data, closed.extra) == (1008, "malformed Engine.IO packet")
    await asyncio.sleep(0.1)
    assert sio.eio.sockets == {}
    assert sio.eio.websockets == {}


async def test_polling_and_upgraded_clients_answer_pings_and_stay(aiohttp_client: MakeClient) -> None:
    """Stock python-socketio clients, one kept on long-polling and one on its defaults (polling, then
    the upgrade), live through several ping cycles of 0.2 s and keep answering."""
    app, sio = live_app(ping_interval=0.2, ping_timeout=0.3)
    client = await aiohttp_client(app)
    url = str(client.make_url("/"))
    polling, upgraded = socketio.AsyncClient(), socketio.AsyncClient()
    await polling.connect(url, transports=["polling"])
    await upgraded.connect(url)
    try:
        await asyncio.sleep(1.2)
        assert polling.connected
        assert upgraded.connected
        assert polling.transport() == "polling"
        assert upgraded.transport() == "websocket"
        assert await polling.call("echo", {"n": 1}, timeout=3) == {"n": 1}
        assert await upgraded.call("echo", {"n": 2}, timeout=3) == {"n": 2}
        assert len(sio.eio.sockets) == 2
        assert len(sio.eio.websockets) == 1
    finally:
        await polling.disconnect()
        await upgraded.disconnect()
    await asyncio.sleep(0.2)
    assert sio.eio.websockets == {}
