"""Stock Socket.IO clients on their default options (long-polling first, the JSON parser) share a room
with msgpack-over-websocket clients (the pages): connect, join, chat, and receive room events."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web
from aiohttp.test_utils import TestClient

from livecart import keys
from tests.live.clients import LiveClient
from tests.support import Api, need_binary

ROOT = Path(__file__).resolve().parents[2]
NODE_CLIENT = Path(__file__).with_name("node_stock_client.js")


class StockClient(LiveClient):
    """python-socketio's AsyncClient as a stock app would make it: no serializer, no transports given."""

    def __init__(self, base_url: str, transports: list[str] | None = None) -> None:
        super().__init__(base_url)
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("*", self._record)
        self.transports = transports

    async def connect(self) -> StockClient:
        await self.sio.connect(self.base_url, transports=self.transports)
        return self


async def test_stock_clients_on_default_options_chat_with_msgpack_clients_in_one_room(
    app: web.Application, client: TestClient[Any, Any], api: Api
) -> None:
    node = need_binary("node", "nodejs")
    assert (ROOT / "node_modules" / "socket.io-client").is_dir(), "run `npm ci` (make setup)"
    url = str(client.make_url("/"))
    host = await api.create_account("host", "Mia")
    brand = await api.create_account("brand", "Glow")
    show = await api.create_show(host["token"])
    product = await api.create_product(brand["token"])
    lineup = f"/api/shows/{show['id']}/lineup"
    await api.call("POST", lineup, 201, token=host["token"], json={"product_id": product["id"]})
    pete, jo, nora = [await api.create_account("viewer", name) for name in ("Pete", "Jo", "Nora")]

    page = await LiveClient(url).connect()  # msgpack over websocket, as the pages
    await page.join(show["id"], pete["token"])
    stock = await StockClient(url).connect()  # python-socketio, default options
    assert stock.sio.transport() == "websocket"  # polled first, upgraded during connect
    await stock.join(show["id"], jo["token"])

    plan = {
        "url": url,
        "show_id": show["id"],
        "token": nora["token"],
        "text": "from node",
        "expect": ["from the page", "from python"],
    }
    process = await asyncio.create_subprocess_exec(
        node,
        str(NODE_CLIENT),
        json.dumps(plan),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    joined = await asyncio.wait_for(process.stdout.readline(), 30)
    assert json.loads(joined) == {"joined": True}
    assert (await page.call("chat", {"text": "from the page"}))["ok"]
    assert (await stock.call("chat", {"text": "from python"}))["ok"]
    pins = f"/api/shows/{show['id']}/pins"
    pinned = await api.call("POST", pins, 201, token=host["token"], json={"product_id": product["id"]})
    assert pinned["pinned"] is True

    stdout, stderr = await asyncio.wait_for(process.communicate(), 40)
    assert process.returncode == 0, stderr.decode()
    report = json.loads(stdout)
    assert report["first_transport"] == "polling"
    assert report["upgraded_to"] == "websocket"
    assert report["join"]["ok"] is True
    assert report["join"]["you"]["name"] == "Nora"
    assert report["chat_ack"]["ok"] is True
    assert report["pins"] == [product["id"]]

    everyone = {"from the page", "from python", "from node"}
    for member in (page, stock):

        def heard_all(m: LiveClient = member) -> bool:
            return everyone <= set(m.chat_texts()) and bool(m.events("pin"))

        await member.wait_for(heard_all)
        assert [pin["product"]["id"] for pin in member.events("pin")] == [product["id"]]
    sio = app[keys.SERVICES].live.sio
    assert sio.parser_counts() == {"msgpack": 1, "json": 1}  # the Node client has left
    await page.close()
    await stock.close()


async def test_a_client_that_can_only_poll_joins_chats_and_gets_room_events(
    client: TestClient[Any, Any], api: Api
) -> None:
    """A corporate proxy that blocks websockets: long-polling alone works."""
    url = str(client.make_url("/"))
    host = await api.create_account("host", "Mia")
    show = await api.create_show(host["token"])
    poller = await StockClient(url, transports=["polling"]).connect()
    page = await LiveClient(url).connect()
    await poller.join(show["id"])
    await page.join(show["id"])
    ack = await poller.call("chat", {"text": "through the proxy"})
    assert ack["ok"] is False
    assert ack["error"]["code"] == "unauthorized"
    viewer = await api.create_account("viewer", "Ola")
    await poller.join(show["id"], viewer["token"])
    assert (await poller.call("chat", {"text": "through the proxy"}))["ok"]
    await page.wait_for(lambda: "through the proxy" in page.chat_texts())
    await poller.wait_for(lambda: "through the proxy" in poller.chat_texts())
    assert poller.sio.transport() == "polling"
    await poller.close()
    await page.close()
