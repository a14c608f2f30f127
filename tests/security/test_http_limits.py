"""Hostile HTTP clients against a real `livecart serve` process: slowloris headers and bodies are cut off
by the configured timeouts, oversized bodies and headers are refused, odd bytes get a 4xx, and the
server keeps answering everyone else throughout."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import aiohttp

from tests.conftest import ServerProcess
from tests.support import ADMIN_TOKEN

IDLE_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.0
TIMEOUTS = {"LIVECART_HTTP_IDLE_TIMEOUT": str(IDLE_TIMEOUT_S), "LIVECART_HTTP_BODY_TIMEOUT": str(BODY_TIMEOUT_S)}


async def trickle(port: int, data: bytes, *, every_s: float, for_s: float) -> tuple[float, bytes]:
    """Send `data` one byte per `every_s` (repeating it) until the server closes: (seconds it took, reply)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    reply = b""
    try:
        for n in range(int(for_s / every_s)):
            writer.write(data[n % len(data) : n % len(data) + 1])
            try:
                chunk = await asyncio.wait_for(reader.read(65536), every_s)
            except TimeoutError:
                continue
            reply += chunk
            if not chunk:
                break
            reply += await reader.read()  # the rest, up to the close
            break
    except ConnectionError:
        pass
    finally:
        writer.close()
    return time.monotonic() - started, reply


async def healthz_ms(url: str) -> float:
    async with aiohttp.ClientSession() as session:
        started = time.monotonic()
        async with session.get(f"{url}/healthz") as response:
            assert response.status == 200
        return (time.monotonic() - started) * 1000


async def test_slowloris_headers_are_cut_off_by_the_idle_timeout(
    server_process: Callable[..., ServerProcess],
) -> None:
    server = server_process(TIMEOUTS)
    request = b"GET /api/shows HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 4000
    attackers = [trickle(server.port, request, every_s=0.1, for_s=20) for _ in range(20)]
    results = asyncio.gather(*attackers)
    await asyncio.sleep(0.5)
    during = await healthz_ms(server.url)  # others are still served while 20 connections trickle
    for took, reply in await results:
        assert reply == b"", reply[:200]  # closed without an answer: the request never completed
        assert IDLE_TIMEOUT_S * 0.8 <= took < IDLE_TIMEOUT_S + 5, took
    print(f"20 slowloris connections closed after ≈{took:.1f} s; /healthz meanwhile took {during:.0f} ms")
    assert server.process.poll() is None


async def test_a_body_that_trickles_gets_408_and_the_connection_closes(
    server_process: Callable[..., ServerProcess],
) -> None:
    server = server_process(TIMEOUTS)
    head = b"POST /api/viewers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(head)
    started = time.monotonic()
    reply = b""
    while not reply and time.monotonic() - started < 10:
        writer.write(b" ")
        try:
            reply = await asyncio.wait_for(reader.read(65536), 0.2)
        except TimeoutError:
            continue
    rest = await asyncio.wait_for(reader.read(), 5)  # the server closes after answering
    writer.close()
    status_line, _, body = (reply + rest).partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout"
    assert json.loads(body.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "request_timeout"
    assert BODY_TIMEOUT_S * 0.8 <= time.monotonic() - started < BODY_TIMEOUT_S + 5


def post(body: bytes, path: bytes = b"/api/viewers") -> bytes:
    return b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (path, len(body), body)


async def raw_request(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    reply = await asyncio.wait_for(reader.read(65536), 10)
    writer.close()
    return reply


async def test_oversized_and_odd_requests_get_a_4xx_and_the_server_stays_up(
    server_process: Callable[..., ServerProcess],
) -> None:
    server = server_process(TIMEOUTS)
    big = b"{" + b" " * 70_000 + b"}"
    cases: dict[str, tuple[bytes, bytes]] = {
        "body over LIVECART_MAX_BODY_BYTES": (
            b"POST /api/viewers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(big) + big,
            b"413",
        ),
        "declared body over the limit, never sent": (
            b"POST /api/viewers HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n",
            b"413",
        ),
        "a 100 KB header": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n", b"4"),
        "a bearer token that is not UTF-8": (
            b"GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\xc3\r\n\r\n",
            b"401",
        ),
        "a body that is not UTF-8": (post(b'{"name":"\xff"}'), b"400"),
        "an integer of 5,000 digits": (post(b'{"name":' + b"1" * 5000 + b"}"), b"400"),
        "JSON nested 30,000 deep": (post(b"[" * 30000), b"400"),
        "a request line that is not HTTP": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", b"400"),
    }
    for name, (request, expected) in cases.items():
        reply = await raw_request(server.port, request)
        status = reply.split(b" ", 2)[1] if reply.startswith(b"HTTP/1.") else reply[:40]
        assert status.startswith(expected), f"{name}: {reply[:300]!r}"
    assert await healthz_ms(server.url) < 5000
    log = server.log.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert "unhandled error" not in log, log[-3000:]
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(  # and it still works for real clients
            f"{server.url}/api/hosts", json={"name": "Mia"}, headers=headers
        ) as response,
    ):
        assert response.status == 201
