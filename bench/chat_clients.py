"""Load worker for bench/chat.py: many lightweight websocket clients in one process.

`python -m bench.chat_clients --url URL --mode eio|eio-json|raw --clients N [--show ID] [--sender-token T]`
- `eio`: a minimal Engine.IO v4 / Socket.IO v5 client with the msgpack parser (what socket.io-client
  with socket.io-msgpack-parser sends): open, CONNECT `/`, `join {show_id}`, answer pings.
- `eio-json`: the same with Socket.IO's default JSON parser (text frames), as stock clients send.
- `raw`: a plain websocket that just receives.
Every received message carries the sender's `time.time()` in its text (`bench <ts>`), so the worker
records delivery latency. JSON lines: `{"ready": n}` once all are in; then it answers stdin commands
`status` → `{"messages", "frames"}`, `chat {"count", "interval_ms"}` (sender only) → `{"sent"}`,
`report` → `{"messages", "frames", "latencies_ms": [...]}` and `quit`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

import aiohttp
import msgpack

CONNECT_CONCURRENCY = 100
LATENCY_SAMPLE_LIMIT = 200_000


class Stats:
    def __init__(self) -> None:
        self.messages = 0
        self.frames = 0
        self.latencies_ms: list[float] = []

    def record(self, items: Any) -> None:
        now = time.time()
        self.frames += 1
        for item in items if isinstance(items, list) else [items]:
            self.messages += 1
            text = item.get("text", "") if isinstance(item, dict) else ""
            if text.startswith("bench ") and len(self.latencies_ms) < LATENCY_SAMPLE_LIMIT:
                self.latencies_ms.append((now - float(text[6:])) * 1000)


def sio_packet(packet: dict[str, Any]) -> bytes:
    data: bytes = msgpack.packb(packet)
    return data


def json_packet(packet: dict[str, Any]) -> str:
    """The packet in Socket.IO's default parser: type, ack id, JSON data (namespace `/` left out)."""
    text = str(packet["type"]) + (str(packet["id"]) if "id" in packet else "")
    return text + (json.dumps(packet["data"], separators=(",", ":")) if "data" in packet else "")


def parse_json_packet(text: str) -> dict[str, Any]:
    kind, rest = int(text[0]), text[1:]
    digits = len(rest) - len(rest.lstrip("0123456789"))
    packet: dict[str, Any] = {"type": kind}
    if digits:
        packet["id"] = int(rest[:digits])
    if rest[digits:]:
        packet["data"] = json.loads(rest[digits:])
    return packet


async def send_packet(ws: aiohttp.ClientWebSocketResponse, packet: dict[str, Any], use_json: bool) -> None:
    if use_json:
        await ws.send_str("4" + json_packet(packet))
    else:
        await ws.send_bytes(sio_packet(packet))


async def eio_client(
    session: aiohttp.ClientSession,
    url: str,
    show_id: str,
    stats: Stats,
    token: str | None,
    ready: asyncio.Event,
    sender: list[tuple[aiohttp.ClientWebSocketResponse, bool]],
    use_json: bool = False,
) -> None:
    ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    async with session.ws_connect(ws_url, autoping=True, compress=0, max_msg_size=0) as ws:
        opened = await ws.receive()
        if opened.type != aiohttp.WSMsgType.TEXT or not opened.data.startswith("0"):
            raise RuntimeError(f"expected an Engine.IO OPEN packet, got {opened}")
        await send_packet(ws, {"type": 0, "nsp": "/"}, use_json)
        if use_json:
            connected = parse_json_packet((await ws.receive_str())[1:])
        else:
            connected = msgpack.unpackb(await ws.receive_bytes())
        assert connected["type"] == 0, connected
        join: dict[str, Any] = {"show_id": show_id}
        if token:
            join["token"] = token
        await send_packet(ws, {"type": 2, "nsp": "/", "data": ["join", join], "id": 1}, use_json)
        if token:
            sender.append((ws, use_json))
        joined = False
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                if message.data == "2":
                    await ws.send_str("3")
                    continue
                if not (use_json and message.data.startswith("4")):
                    continue
                packet = parse_json_packet(message.data[1:])
            elif message.type == aiohttp.WSMsgType.BINARY:
                packet = msgpack.unpackb(message.data)
            else:
                break
            if packet.get("type") == 3 and not joined:
                joined = True
                ack = packet["data"][0]
                assert ack.get("ok"), ack
                ready.set()
            elif packet.get("type") == 2 and packet["data"][0] == "chat":
                stats.record(packet["data"][1])


async def raw_client(session: aiohttp.ClientSession, url: str, stats: Stats, ready: asyncio.Event) -> None:
    async with session.ws_connect(url.replace("http", "ws", 1) + "/raw", compress=0, max_msg_size=0) as ws:
        ready.set()
        async for message in ws:
            if message.type != aiohttp.WSMsgType.BINARY:
                break
            stats.record(msgpack.unpackb(message.data)["data"][1])


async def send_chats(sender: tuple[aiohttp.ClientWebSocketResponse, bool], count: int, interval_s: float) -> int:
    ws, use_json = sender
    for n in range(count):
        text = f"bench {time.time():.6f}"
        await send_packet(ws, {"type": 2, "nsp": "/", "data": ["chat", {"text": text}], "id": 100 + n}, use_json)
        await asyncio.sleep(interval_s)
    return count


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--mode", choices=("eio", "eio-json", "raw"), required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--show", default="")
    parser.add_argument("--sender-token", default="")
    args = parser.parse_args(argv)
    stats = Stats()
    connector = aiohttp.TCPConnector(limit=0)
    sender: list[tuple[aiohttp.ClientWebSocketResponse, bool]] = []
    async with aiohttp.ClientSession(connector=connector) as session:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        tasks: list[asyncio.Task[None]] = []

        async def start_one(token: str | None) -> None:
            ready = asyncio.Event()
            async with gate:
                if args.mode in ("eio", "eio-json"):
                    use_json = args.mode == "eio-json"
                    coro = eio_client(session, args.url, args.show, stats, token, ready, sender, use_json)
                else:
                    coro = raw_client(session, args.url, stats, ready)
                task = asyncio.ensure_future(coro)
                tasks.append(task)
                waiter = asyncio.ensure_future(ready.wait())
                await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED, timeout=60)
                if task.done():
                    task.result()
                waiter.cancel()

        starters = [start_one(None) for _ in range(args.clients)]
        if args.sender_token:
            starters.append(start_one(args.sender_token))
        await asyncio.gather(*starters)
        print(json.dumps({"ready": args.clients}), flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := await reader.readline():
            command, _, rest = line.decode().strip().partition(" ")
            if command == "status":
                print(json.dumps({"messages": stats.messages, "frames": stats.frames}), flush=True)
            elif command == "chat":
                options = json.loads(rest)
                sent = await send_chats(sender[0], options["count"], options["interval_ms"] / 1000)
                print(json.dumps({"sent": sent}), flush=True)
            elif command == "report":
                print(
                    json.dumps(
                        {"messages": stats.messages, "frames": stats.frames, "latencies_ms": stats.latencies_ms}
                    ),
                    flush=True,
                )
            elif command == "quit":
                break
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
