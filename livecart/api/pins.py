"""Pins: the show's host or the brand owning a lineup product puts it on screen and takes it down
(the use case is livecart/commerce/pins.py)."""

from __future__ import annotations

from aiohttp import web

from livecart import keys
from livecart.api.catalog import product_or_404
from livecart.api.schemas import Id
from livecart.api.shows import show_or_404
from livecart.domain.models import Role
from livecart.http.auth import require
from livecart.http.parsing import Body, parse

routes = web.RouteTableDef()


class PinCreate(Body):
    product_id: Id


@routes.get("/api/shows/{show_id}/pins")
async def list_pins(request: web.Request) -> web.Response:
    show = await show_or_404(request)
    pins = await request.app[keys.SERVICES].store.active_pins(show.id)
    return web.json_response({"pins": [pin.public() for pin in pins]})


@routes.post("/api/shows/{show_id}/pins")
async def pin(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST, Role.BRAND)
    show = await show_or_404(request)
    body = await parse(request, PinCreate)
    product = await product_or_404(request, body.product_id)
    pinned, new = await request.app[keys.SERVICES].pins.pin(account, show, product)
    return web.json_response({**pinned.public(), "pinned": new}, status=201 if new else 200)


@routes.delete("/api/shows/{show_id}/pins/{product_id}")
async def unpin(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST, Role.BRAND)
    show = await show_or_404(request)
    product = await product_or_404(request, request.match_info["product_id"])
    await request.app[keys.SERVICES].pins.unpin(account, show, product)
    return web.Response(status=204)
