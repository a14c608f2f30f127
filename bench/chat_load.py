"""Load worker for bench/chat_cluster.py: many cheap Socket.IO clients in one process, receivers or senders.

`python -m bench.chat_load --role receive --urls U1,U2 --show ID --clients N [--sample-every K]`
`python -m bench.chat_load --role send --urls U1,U2 --show ID --tokens T1,T2`

The clients speak Engine.IO v4 / Socket.IO v5 with the msgpack parser over a plain `asyncio.Protocol`
(HTTP upgrade, then WebSocket frames parsed in place) instead of aiohttp's websocket client: on a
small machine the load generator competes with the servers for the same cores, and this parser costs
a fraction of a full client per frame. A receiver counts `chat` frames and the chat messages in them
(`bench <time>` texts counted in the raw bytes); every K-th receiver also decodes its frames and keeps
the delivery latency of each message (from the time the sender was *scheduled* to send it, so a late
sender shows as latency, not as a lower rate). Client i connects to URL i mod len(URLs).

Senders are open-loop: `send {"rate": R, "seconds": D}` makes the senders together offer R chat
messages per second for D seconds (each sender R / senders, on its own schedule, whatever the acks
do), and answers `{"sent", "acked", "errors", "lag_ms"}` when the time is up.

JSON lines on stdout: `{"ready": n}` once every client has joined; then stdin commands
`status` → `{"messages", "frames", "open"}` (receivers) or `{"sent", "acked", "errors"}` (senders),
`reset` (forget latencies), `latencies` → `{"latencies_ms": [...]}`, `send {...}`, `quit`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import msgpack

CONNECT_CONCURRENCY = 100
MARK = b"bench "
CHAT_EVENT = b"\xa4chat"  # msgpack fixstr "chat": the event name near the start of a chat packet
OPCODE_TEXT, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG = 1, 2, 8, 9, 10


def ws_frame(opcode: int, payload: bytes) -> bytes:
    """A client→server WebSocket frame. The mask key is zero (valid per RFC 6455), so masking is a copy."""
    length = len(payload)
    if length < 126:
        header = bytes((0x80 | opcode, 0x80 | length))
    elif length < 1 << 16:
        header = bytes((0x80 | opcode, 0x80 | 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + length.to_bytes(8, "big")
    return header + b"\x00\x00\x00\x00" + payload


def sio_packet(packet: dict[str, Any]) -> bytes:
    data: bytes = msgpack.packb(packet)
    return ws_frame(OPCODE_BINARY, data)


class Counters:
    def __init__(self) -> None:
        self.messages = 0
        self.frames = 0
        self.open = 0
        self.latencies_ms: list[float] = []
        self.sent = 0
        self.acked = 0
        self.errors = 0


class Client(asyncio.Protocol):
    """One Socket.IO client: handshake, `join`, then count chat frames (and send chat when a sender)."""

    def __init__(self, url: str, show_id: str, counters: Counters, *, sample: bool, token: str = "") -> None:
        parts = urlsplit(url)
        self.host = parts.netloc
        self.show_id = show_id
        self.counters = counters
        self.sample = sample
        self.token = token
        self.buffer = bytearray()
        self.state = "http"
        self.transport: asyncio.Transport | None = None
        self.joined: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.next_id = 100

    # -- connection ------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: {self.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if self.state == "live":
            self.counters.open -= 1
        self.state = "closed"
        if not self.joined.done():
            self.joined.set_exception(ConnectionError(f"connection lost before join: {exc}"))

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    # -- frames ----------------------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        if self.state == "http":
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            if b" 101 " not in status:
                self._fail(f"no websocket upgrade: {status!r}")
                return
            del buf[: end + 4]
            self.state = "open"
        pos, size = 0, len(buf)
        while size - pos >= 2:
            length = buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            end = pos + head + length
            if end > size:
                break
            self._frame(buf[pos] & 0x0F, buf, pos + head, end)
            pos = end
        del buf[:pos]

    def _frame(self, opcode: int, buf: bytearray, start: int, end: int) -> None:
        if self.state == "live" and opcode == OPCODE_BINARY:
            if buf.find(CHAT_EVENT, start, min(end, start + 32)) < 0:
                return  # another room event (viewers, reactions …)
            counters = self.counters
            counters.frames += 1
            if self.sample:
                self._sample(bytes(buf[start:end]))
            else:
                counters.messages += buf.count(MARK, start, end)
            return
        payload = bytes(buf[start:end])
        if opcode == OPCODE_TEXT:
            if payload == b"2":  # Engine.IO ping
                self.write(ws_frame(OPCODE_TEXT, b"3"))
            elif self.state == "open" and payload.startswith(b"0"):
                self.write(sio_packet({"type": 0, "nsp": "/"}))
                self.state = "connect"
        elif opcode == OPCODE_BINARY:
            self._packet(msgpack.unpackb(payload))
        elif opcode == OPCODE_PING:
            self.write(ws_frame(OPCODE_PONG, payload))
        elif opcode == OPCODE_CLOSE:
            self._fail("closed by the server")

    def _packet(self, packet: dict[str, Any]) -> None:
        kind = packet.get("type")
        if self.state == "connect" and kind == 0:
            join: dict[str, Any] = {"show_id": self.show_id}
            if self.token:
                join["token"] = self.token
            self.write(sio_packet({"type": 2, "nsp": "/", "data": ["join", join], "id": 1}))
            self.state = "join"
        elif self.state == "join" and kind == 3 and packet.get("id") == 1:
            ack = packet["data"][0]
            if not (isinstance(ack, dict) and ack.get("ok")):
                self._fail(f"join refused: {ack}")
                return
            self.state = "live"
            self.counters.open += 1
            if not self.joined.done():
                self.joined.set_result(None)
        elif self.state == "live" and kind == 3:  # a chat ack (senders)
            ack = packet["data"][0]
            if isinstance(ack, dict) and "error" in ack:
                self.counters.errors += 1
            else:
                self.counters.acked += 1

    def _sample(self, payload: bytes) -> None:
        now = time.time()
        packet = msgpack.unpackb(payload)
        counters = self.counters
        for item in packet["data"][1]:
            text = item.get("text", "") if isinstance(item, dict) else ""
            if text.startswith("bench "):
                counters.messages += 1
                counters.latencies_ms.append((now - float(text[6:])) * 1000)

    def _fail(self, reason: str) -> None:
        if not self.joined.done():
            self.joined.set_exception(ConnectionError(reason))
        if self.transport is not None:
            self.transport.close()

    # -- sending ---------------------------------------------------------------------------------------
    def chat(self, scheduled_at: float) -> None:
        self.next_id += 1
        text = f"bench {scheduled_at:.6f}"
        self.write(sio_packet({"type": 2, "nsp": "/", "data": ["chat", {"text": text}], "id": self.next_id}))
        self.counters.sent += 1


async def open_clients(
    urls: list[str], show_id: str, count: int, counters: Counters, sample_every: int, tokens: list[str]
) -> list[Client]:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    clients: list[Client] = []

    async def one(i: int) -> None:
        url = urls[i % len(urls)]
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        client = Client(
            url, show_id, counters, sample=sample_every > 0 and i % sample_every == 0, token=tokens[i] if tokens else ""
        )
        async with gate:
            await loop.create_connection(lambda: client, host, port)
            await asyncio.wait_for(client.joined, timeout=60)
        clients.append(client)

    await asyncio.gather(*(one(i) for i in range(count)))
    return clients


async def send_open_loop(senders: list[Client], rate: float, seconds: float) -> float:
    """Every sender sends rate/len(senders) messages per second on its own schedule; returns the
    largest lag (ms) behind the schedule, which says whether the load generator kept up."""
    loop = asyncio.get_running_loop()
    per_sender = rate / len(senders)
    total = max(1, round(per_sender * seconds))
    interval = 1 / per_sender
    start_mono, start_wall = loop.time(), time.time()
    lag = 0.0

    async def run(index: int, sender: Client) -> None:
        nonlocal lag
        offset = index * interval / len(senders)  # senders interleaved, not in step
        for k in range(total):
            due = offset + k * interval
            wait = start_mono + due - loop.time()
            if wait > 0.001:
                await asyncio.sleep(wait)
            else:
                lag = max(lag, -wait)
                if k % 64 == 0:
                    await asyncio.sleep(0)  # let acks and frames in while catching up
            sender.chat(start_wall + due)

    await asyncio.gather(*(run(i, s) for i, s in enumerate(senders)))
    return lag * 1000


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=("receive", "send"), required=True)
    parser.add_argument("--urls", required=True, help="comma-separated node URLs; client i uses URL i mod n")
    parser.add_argument("--show", required=True)
    parser.add_argument("--clients", type=int, default=0, help="receivers")
    parser.add_argument("--tokens", default="", help="senders: one viewer token per sender")
    parser.add_argument("--sample-every", type=int, default=10, help="every K-th receiver records latency")
    args = parser.parse_args(argv)
    urls = args.urls.split(",")
    tokens = [t for t in args.tokens.split(",") if t]
    counters = Counters()
    count = len(tokens) if args.role == "send" else args.clients
    clients = await open_clients(
        urls,
        args.show,
        count,
        counters,
        args.sample_every if args.role == "receive" else 0,
        tokens if args.role == "send" else [],
    )
    print(json.dumps({"ready": len(clients)}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        command, _, rest = line.decode().strip().partition(" ")
        answer: dict[str, Any]
        if command == "status":
            answer = {
                "messages": counters.messages,
                "frames": counters.frames,
                "open": counters.open,
                "sent": counters.sent,
                "acked": counters.acked,
                "errors": counters.errors,
            }
        elif command == "reset":
            counters.latencies_ms = []
            answer = {"ok": True}
        elif command == "latencies":
            answer = {"latencies_ms": counters.latencies_ms}
        elif command == "send":
            options = json.loads(rest)
            before = counters.sent
            lag_ms = await send_open_loop(clients, float(options["rate"]), float(options["seconds"]))
            answer = {"sent": counters.sent - before, "lag_ms": lag_ms}
        elif command == "quit":
            break
        else:
            answer = {"error": f"unknown command {command!r}"}
        print(json.dumps(answer), flush=True)
    for client in clients:
        if client.transport is not None:
            client.transport.close()


if __name__ == "__main__":
    asyncio.run(main())
