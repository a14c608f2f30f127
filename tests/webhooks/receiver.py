"""A brand's webhook receiver on 127.0.0.1, as a brand would write it: it checks the signature with
nothing but the standard library, then records the event. Tests tell it how to answer."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOLERANCE_S = 300


def verify(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """The brand's check of `livecart-signature: t=...,v1=...`: HMAC-SHA256(secret, t + "." + body),
    compared in constant time, and a timestamp no older than five minutes (replays)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    timestamp, given = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE_S:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


@dataclass
class Received:
    delivery_id: str
    event: dict[str, Any]
    signed: bool


@dataclass
class Receiver:
    secret: str = ""
    answers: list[int] = field(default_factory=list)  # statuses to answer, in turn; then 200
    hold: asyncio.Event | None = None  # while set to an unset event, requests wait (a hung receiver)
    received: list[Received] = field(default_factory=list)
    requests: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.arrived.set()
        body = await request.read()
        if self.hold is not None:
            await self.hold.wait()
        status = self.answers.pop(0) if self.answers else 200
        if status == 302:
            raise web.HTTPFound("/elsewhere")
        if 200 <= status < 300:
            signed = verify(self.secret, request.headers.get("livecart-signature", ""), body)
            self.received.append(Received(request.headers["livecart-delivery"], json.loads(body), signed))
        return web.Response(status=status)

    async def elsewhere(self, request: web.Request) -> web.Response:
        raise AssertionError("a redirect was followed")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hooks", self.handle)
        app.router.add_post("/elsewhere", self.elsewhere)
        return app

    async def wait_for(self, count: int, within_s: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + within_s
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} of {count} deliveries after {within_s} s")
            await asyncio.sleep(0.05)
        return self.received
