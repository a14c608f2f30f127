"""Liveness and metrics."""

from __future__ import annotations

from aiohttp import web

from livecart import __version__, keys

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": __version__})


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    metrics = request.app[keys.METRICS]
    response = web.Response(body=metrics.render())
    response.headers["Content-Type"] = metrics.content_type
    return response
