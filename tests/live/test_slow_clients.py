"""A viewer that stops reading is cut off; everyone else still gets every undroppable event."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import msgpack
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from livecart import keys
from livecart.config import Settings
from livecart.domain import events
from tests.live.clients import LiveClient
from tests.support import ADMIN_TOKEN, Api

BIG_PIN_BYTES = 64 * 1024
PINS = 120  # ≈ 7.5 MiB: more than the loopback socket buffers hold


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store=f"sqlite:///{tmp_path / 'livecart.db'}", admin_token=ADMIN_TOKEN, live_backlog=16)


async def stalled_viewer(session: aiohttp.ClientSession, base_url: str, show_id: str) -> Any:
    """An Engine.IO/Socket.IO (msgpack) client that joins and then never reads again."""
    ws = await session.ws_connect(base_url.replace("http", "ws", 1) + "socket.io/?EIO=4&transport=websocket")
    opened = await ws.receive_str()
    assert opened.startswith("0")
    await ws.send_bytes(msgpack.packb({"type": 0, "nsp": "/"}))
    assert msgpack.unpackb(await ws.receive_bytes())["type"] == 0
    await ws.send_bytes(msgpack.packb({"type": 2, "nsp": "/", "data": ["join", {"show_id": show_id}], "id": 1}))
    ack = msgpack.unpackb(await ws.receive_bytes())
    while ack["type"] != 3:  # a room frame (the viewer count) may come before the join's ack
        ack = msgpack.unpackb(await ws.receive_bytes())
    assert ack["id"] == 1
    assert ack["data"][0]["ok"] is True
    return ws


async def test_a_stalled_viewer_is_cut_off_and_others_get_everything(
    app: web.Application, client: TestClient[Any, Any], api: Api
) -> None:
    host = await api.create_account("host", "Mia")
    show = await api.create_show(host["token"])
    base_url = str(client.make_url("/"))
    watcher = await LiveClient(base_url).connect()
    await watcher.join(show["id"])
    async with aiohttp.ClientSession() as session:
        stalled = await stalled_viewer(session, base_url, show["id"])
        await watcher.wait_for(lambda: {"count": 2} in watcher.events("viewers"))
        bus = app[keys.SERVICES].bus
        engine = app[keys.SERVICES].live.sio.eio
        most_queued = 0
        for n in range(PINS):
            product = {"id": f"prd_{n}", "description": "x" * BIG_PIN_BYTES}
            bus.publish(events.Pinned(show_id=show["id"], product=product, pinned_at="2026-11-23T20:00:00Z"))
            await asyncio.sleep(0.01)  # a steady stream a reading client keeps up with
            most_queued = max([most_queued, *(socket.queue.qsize() for socket in engine.sockets.values())])
        # memory held for the stalled viewer is bounded: never more than the backlog queued for anyone
        assert 0 < most_queued <= app[keys.SETTINGS].live_backlog
        await watcher.wait_for(lambda: len(watcher.events("pin")) == PINS, within_s=60)
        assert [p["product"]["id"] for p in watcher.events("pin")] == [f"prd_{n}" for n in range(PINS)]
        # the stalled viewer was disconnected: the room counts one viewer again
        await watcher.wait_for(lambda: watcher.events("viewers")[-1] == {"count": 1}, within_s=30)
        await stalled.close()
    await watcher.close()
