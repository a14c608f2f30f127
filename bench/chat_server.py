"""Fan-out server for bench/chat.py's comparisons: the same room frame sent three ways.

`python -m bench.chat_server --variant raw|socketio|fast --port P`
- `raw`: aiohttp websockets at `/raw`, a loop of `await ws.send_bytes(frame)` (the floor).
- `socketio`: stock python-socketio `AsyncServer` (msgpack, websocket) with its `AsyncManager`.
- `fast`: livecart's `LiveSocketServer` + `FastManager` (the mechanism livecart serves with), msgpack
  or JSON per connection as livecart serves.
Clients `join` to enter the room. `POST /emit?n=N&interval_ms=I` emits N chat frames (each a list
with one message whose text is `bench <time.time()>`) and answers when the last one is sent.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import msgpack
import socketio
from aiohttp import web

from livecart.live.manager import FastManager
from livecart.live.packets import CheckedJsonPacket, CheckedMsgPackPacket
from livecart.live.server import LiveSocketServer

ROOM = "bench"


def chat_batch(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"msg_{n}",
            "viewer_id": "vwr_bench",
            "name": "Bench",
            "text": f"bench {time.time():.6f}",
            "at": "2026-11-23T20:00:00Z",
        }
    ]


def build(variant: str) -> web.Application:
    app = web.Application()
    clients: set[web.WebSocketResponse] = set()
    sio: socketio.AsyncServer | None = None
    if variant == "raw":

        async def raw(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse(compress=False)
            await ws.prepare(request)
            clients.add(ws)
            try:
                async for _ in ws:
                    pass
            finally:
                clients.discard(ws)
            return ws

        app.router.add_get("/raw", raw)
    else:
        options: dict[str, Any] = {"serializer": "msgpack", "async_mode": "aiohttp", "transports": ["websocket"]}
        if variant == "fast":
            options["serializer"] = CheckedMsgPackPacket
            sio = LiveSocketServer(
                client_manager=FastManager(),
                backlog_limit=256,
                cutoff_s=10.0,
                async_handlers=False,
                json_parser=CheckedJsonPacket,
                **options,
            )
        else:
            sio = socketio.AsyncServer(**options)
        server = sio

        async def join(sid: str, data: Any) -> dict[str, Any]:
            await server.enter_room(sid, ROOM)
            return {"ok": True}

        server.on("join", join)
        server.attach(app, socketio_path="socket.io")

    async def emit(request: web.Request) -> web.Response:
        count = int(request.query.get("n", "20"))
        interval = int(request.query.get("interval_ms", "50")) / 1000
        for n in range(count):
            batch = chat_batch(n)
            if sio is not None:
                await sio.emit("chat", batch, to=ROOM)
            else:
                frame = msgpack.packb({"type": 2, "nsp": "/", "data": ["chat", batch]})
                for ws in list(clients):
                    await ws.send_bytes(frame)
            await asyncio.sleep(interval)
        return web.json_response({"emitted": count})

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_post("/emit", emit)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=("raw", "socketio", "fast"), required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(build(args.variant), host="127.0.0.1", port=args.port, print=None, access_log=None, backlog=1024)


if __name__ == "__main__":
    main()
