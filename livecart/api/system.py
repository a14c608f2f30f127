"""Health and metrics."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from livecart import __version__, keys

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

PING_TIMEOUT_S = 1.0


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """`200 {status: "ok"}`, or `503 {status: "degraded"}` naming what is unreachable: the store, or the
    Redis fan-out (live rooms then reach only this node's viewers)."""
    body: dict[str, Any] = {"status": "ok", "version": __version__, "store": "ok", "fanout": "local"}
    try:
        async with asyncio.timeout(PING_TIMEOUT_S):
            await request.app[keys.SERVICES].store.ping()
    except Exception as error:
        log.warning("healthz: store unreachable: %s", error or type(error).__name__)
        body["store"] = "unreachable"
    body["fanout"] = request.app[keys.SERVICES].live.fanout_health
    degraded = "unreachable" in (body["store"], body["fanout"])
    if degraded:
        body["status"] = "degraded"
    return web.json_response(body, status=503 if degraded else 200)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    metrics = request.app[keys.SERVICES].metrics
    response = web.Response(body=metrics.render())
    response.headers["Content-Type"] = metrics.content_type
    return response
