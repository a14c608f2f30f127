"""CORS only for configured origins (API and Socket.IO handshake); security headers on every response;
chat text is data, never rendered by the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from livecart.config import Settings
from tests.live.clients import LiveClient
from tests.support import ADMIN_TOKEN, Api

ALLOWED = "https://shop.example.com"
FOREIGN = "https://evil.example.net"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store=f"sqlite:///{tmp_path / 'livecart.db'}", admin_token=ADMIN_TOKEN, cors_origins=(ALLOWED,))


def same_origin(client: TestClient[Any, Any]) -> str:
    return str(client.make_url("/")).rstrip("/")


async def test_a_configured_origin_gets_cors_headers_and_a_preflight(client: TestClient[Any, Any]) -> None:
    response = await client.get("/api/shows", headers={"Origin": ALLOWED})
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Origin" in response.headers["Vary"]
    preflight = await client.options(
        "/api/shows/shw_x/checkout",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Idempotency-Key" in preflight.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("method", ["GET", "POST", "OPTIONS"])
async def test_another_origin_is_refused_without_cors_headers(client: TestClient[Any, Any], method: str) -> None:
    response = await client.request(
        method,
        "/api/viewers",
        json={"name": "Eve"} if method == "POST" else None,
        headers={"Origin": FOREIGN, "Access-Control-Request-Method": "POST"},
    )
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_the_same_origin_and_non_browser_clients_need_no_configuration(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    from livecart.app import create_app

    plain = await aiohttp_client(create_app(Settings(store=f"sqlite:///{tmp_path / 'o.db'}", admin_token=ADMIN_TOKEN)))
    mine = {"Origin": same_origin(plain)}
    assert (await plain.post("/api/viewers", json={"name": "Ann"}, headers=mine)).status == 201
    assert (await plain.post("/api/viewers", json={"name": "Bob"})).status == 201  # no Origin: curl, servers
    refused = await plain.get("/api/shows", headers={"Origin": ALLOWED})  # empty list: same origin only
    assert refused.status == 403
    assert "Access-Control-Allow-Origin" not in refused.headers


async def socketio_handshake(base_url: str, origin: str) -> tuple[int, bytes | str | None]:
    """Open the Socket.IO websocket with an Origin header: (HTTP status, first message or None)."""
    url = base_url.replace("http", "ws", 1) + "socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(url, headers={"Origin": origin})
        except aiohttp.WSServerHandshakeError as refused:
            return refused.status, None
        opened = (await ws.receive()).data
        await ws.close()
        return 101, opened


async def test_the_socketio_handshake_follows_the_same_origin_rule(client: TestClient[Any, Any]) -> None:
    base_url = str(client.make_url("/"))
    assert (await socketio_handshake(base_url, FOREIGN))[0] == 400
    for origin in (ALLOWED, same_origin(client)):
        status, opened = await socketio_handshake(base_url, origin)
        assert status == 101
        assert isinstance(opened, str)
        assert opened.startswith("0")


async def test_every_response_carries_the_security_headers(client: TestClient[Any, Any], api: Api) -> None:
    viewer = await api.create_account("viewer", "Ann")
    responses = [
        await client.get("/api/shows"),
        await client.get("/api/me", headers={"Authorization": f"Bearer {viewer['token']}"}),
        await client.get("/api/shows/shw_missing"),  # 404 from a handler
        await client.get("/api/nothing/here"),  # 404 from the router
        await client.post("/api/viewers", data=b"{"),  # 400
        await client.get("/healthz"),
        await client.get("/metrics"),
    ]
    for response in responses:
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.url
        assert response.headers["Referrer-Policy"] == "no-referrer", response.url
    for response in responses[:5]:
        assert response.headers["Cache-Control"] == "no-store", response.url
        assert response.content_type == "application/json"


async def test_chat_text_is_data_the_server_never_renders(client: TestClient[Any, Any], api: Api) -> None:
    """Markup in chat and names comes back byte for byte inside msgpack/JSON, never as HTML."""
    host = await api.create_account("host", "Mia")
    show = await api.create_show(host["token"])
    name = '<img src=x onerror="alert(1)">'
    viewer = await api.create_account("viewer", name)
    script = "<script>alert(document.cookie)</script> & <b>bold</b>"
    speaker = await LiveClient(str(client.make_url("/"))).connect()
    await speaker.join(show["id"], viewer["token"])
    ack = await speaker.call("chat", {"text": script})
    assert ack["ok"], ack
    await speaker.wait_for(lambda: script in speaker.chat_texts())
    message = speaker.events("chat")[-1][-1]
    assert (message["text"], message["name"]) == (script, name)
    await speaker.close()
    # the REST API returns it as JSON (never text/html) with nosniff, so a browser cannot render it
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {viewer['token']}"})
    assert me.content_type == "application/json"
    assert (await me.json())["name"] == name
