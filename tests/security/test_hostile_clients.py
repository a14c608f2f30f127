"""What anonymous and hostile clients could do to a real `livecart serve` process (issue 19, findings
10, 11, 12): tokens in the log, Socket.IO frames that logged tracebacks, and state that grew without
limit. Every test ends with the process up and its log free of tracebacks."""

from __future__ import annotations

import asyncio
import inspect
import socket
from collections.abc import Callable

import aiohttp
import engineio
import msgpack
import pytest

from livecart.live.engine import LiveEngineServer
from tests.conftest import ServerProcess
from tests.security.raw_live import CLOSED, RawLive
from tests.support import ADMIN_TOKEN

POLICY_VIOLATION = 1008


def assert_clean_log(server: ServerProcess) -> str:
    assert server.process.poll() is None, "the server process died"
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-4000:]
    assert " ERROR " not in log, log[-4000:]
    return log


def raw_request(server: ServerProcess, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(data)
        return conn.recv(4096)


async def post(session: aiohttp.ClientSession, url: str, token: str | None = None, **json: object) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(url, json=json, headers=headers) as response:
        return response.status


def test_a_token_in_a_request_aiohttp_cannot_parse_never_reaches_the_log(
    server_process: Callable[..., ServerProcess],
) -> None:
    server = server_process({"LIVECART_LOG_LEVEL": "DEBUG"})
    token = "tok-" + "s3cr3t" * 6
    refused = [
        raw_request(server, f"GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\x01\r\n\r\n".encode()),
        raw_request(server, f"GET /api/me?{token} HTTP/1.1\x01\r\nHost: x\r\n\r\n".encode()),
        raw_request(server, f"GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization\x7f: Bearer {token}\r\n\r\n".encode()),
        raw_request(server, f"GE\x00T /{token} HTTP/1.1\r\n\r\n".encode()),
    ]
    assert all(answer.split(b" ", 2)[1] == b"400" for answer in refused), refused
    log = assert_clean_log(server)
    assert "s3cr3t" not in log, [line for line in log.splitlines() if "s3cr3t" in line]
    assert "400" in log or "Bad" in log or "Invalid" in log, "the refusals are still logged, without the token"


@pytest.mark.parametrize("frame", ["7", "8", "9", "72"])
async def test_engineio_frames_of_unknown_types_are_closed_with_a_reason(
    server_process: Callable[..., ServerProcess], frame: str
) -> None:
    server = server_process()
    async with aiohttp.ClientSession() as session:
        live = await RawLive(session, server.url).connect()
        await live.send(frame)
        assert await live.ack(0, within_s=5) == CLOSED
        assert live.close_code == POLICY_VIOLATION
        assert live.close_reason
        other = await RawLive(session, server.url).connect()
        assert await other.alive()
        await other.close()
    await asyncio.sleep(0.2)
    assert_clean_log(server)


@pytest.mark.parametrize("event", [["disconnect", 1, 2, 3], ["connect"], ["connect_error", {}]])
async def test_reserved_event_names_are_closed_with_a_reason(
    server_process: Callable[..., ServerProcess], event: list[object]
) -> None:
    server = server_process()
    async with aiohttp.ClientSession() as session:
        live = await RawLive(session, server.url).connect()
        await live.send(msgpack.packb({"type": 2, "nsp": "/", "data": event, "id": 7}))
        assert await live.ack(7, within_s=5) == CLOSED
        assert live.close_code == POLICY_VIOLATION
        assert "reserved" in live.close_reason
    await asyncio.sleep(0.2)
    assert_clean_log(server)


async def test_socket_connections_beyond_the_cap_are_refused_until_one_leaves(
    server_process: Callable[..., ServerProcess],
) -> None:
    server = server_process({"LIVECART_MAX_SOCKETS": "3"})
    async with aiohttp.ClientSession() as session:
        held = [await RawLive(session, server.url).connect() for _ in range(3)]
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await RawLive(session, server.url).connect()
        assert refused.value.status == 503
        await held[0].close()
        await asyncio.sleep(0.3)
        again = await RawLive(session, server.url).connect()
        assert await again.alive()
        for live in [*held[1:], again]:
            await live.close()
    assert_clean_log(server)


async def test_anonymous_accounts_and_cart_adds_are_rate_limited_per_address(
    server_process: Callable[..., ServerProcess],
) -> None:
    server = server_process({"LIVECART_ACCOUNT_RATE": "5/60", "LIVECART_CART_ADD_RATE": "4/60"})
    async with aiohttp.ClientSession() as session:
        statuses = [await post(session, f"{server.url}/api/viewers", name=f"Viewer {n}") for n in range(8)]
        assert statuses == [201] * 5 + [429] * 3
        async with session.post(f"{server.url}/api/viewers", json={"name": "Late"}) as response:
            body = await response.json()
            assert body["error"]["code"] == "rate_limited"
            assert int(response.headers["Retry-After"]) >= 1

        async with session.post(
            f"{server.url}/api/hosts", json={"name": "Mia"}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as response:
            host = await response.json()
        async with session.post(
            f"{server.url}/api/shows", json={"title": "Glow"}, headers={"Authorization": f"Bearer {host['token']}"}
        ) as response:
            show = await response.json()
        adds = []
        for _ in range(6):  # no viewer token: each still counts against the address
            async with session.post(
                f"{server.url}/api/shows/{show['id']}/cart/items", json={"product_id": "prd_0000000000000000", "qty": 1}
            ) as response:
                adds.append(response.status)
        assert adds[:4] == [401] * 4
        assert adds[4:] == [429, 429]
    assert_clean_log(server)


async def test_setting_a_cart_lines_quantity_counts_against_the_cart_add_rate(
    server_process: Callable[..., ServerProcess],
) -> None:
    server = server_process({"LIVECART_CART_ADD_RATE": "3/60"})
    path = f"{server.url}/api/shows/shw_0000000000000000/cart/items"
    async with aiohttp.ClientSession() as session:
        statuses = []
        async with session.post(path, json={"product_id": "prd_0000000000000000"}) as response:
            statuses.append(response.status)
        for qty in (2, 1, 0):  # no viewer token: each still counts against the address
            async with session.patch(f"{path}/prd_0000000000000000", json={"qty": qty}) as response:
                statuses.append(response.status)
                if response.status == 429:
                    assert (await response.json())["error"]["code"] == "rate_limited"
        assert statuses == [401, 401, 401, 429]
    assert_clean_log(server)


def test_the_engineio_handshake_we_override_has_the_signature_we_call() -> None:
    ours = inspect.signature(LiveEngineServer._handle_connect)
    theirs = inspect.signature(engineio.AsyncServer._handle_connect)
    assert list(theirs.parameters) == list(ours.parameters) == ["self", "environ", "transport", "jsonp_index"]
