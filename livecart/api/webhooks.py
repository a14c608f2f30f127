"""Webhook endpoints: a brand (its own orders and shows) or the admin (everything) registers URLs for
events, lists them and their deliveries, redelivers, deletes (the service is livecart/webhooks/)."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import Field

from livecart import keys
from livecart.domain.models import Role
from livecart.http.auth import require
from livecart.http.parsing import Body, parse

routes = web.RouteTableDef()


class WebhookCreate(Body):
    url: Annotated[str, Field(min_length=1, max_length=2000)]
    events: Annotated[list[Annotated[str, Field(max_length=40)]], Field(min_length=1, max_length=10)]


@routes.post("/api/webhooks")
async def create(request: web.Request) -> web.Response:
    account = await require(request, Role.BRAND)
    body = await parse(request, WebhookCreate)
    hook = await request.app[keys.SERVICES].webhooks.register(account, body.url, body.events)
    return web.json_response({**hook.public(), "secret": hook.secret}, status=201)


@routes.get("/api/webhooks")
async def list_webhooks(request: web.Request) -> web.Response:
    account = await require(request, Role.BRAND)
    hooks = await request.app[keys.SERVICES].webhooks.endpoints(account)
    return web.json_response({"webhooks": [hook.public() for hook in hooks]})


@routes.delete("/api/webhooks/{webhook_id}")
async def delete(request: web.Request) -> web.Response:
    account = await require(request, Role.BRAND)
    await request.app[keys.SERVICES].webhooks.delete(account, request.match_info["webhook_id"])
    return web.Response(status=204)


@routes.get("/api/webhooks/{webhook_id}/deliveries")
async def deliveries(request: web.Request) -> web.Response:
    account = await require(request, Role.BRAND)
    found = await request.app[keys.SERVICES].webhooks.deliveries(account, request.match_info["webhook_id"])
    return web.json_response({"deliveries": [delivery.public() for delivery in found]})


@routes.post("/api/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(request: web.Request) -> web.Response:
    account = await require(request, Role.BRAND)
    webhook_id, delivery_id = request.match_info["webhook_id"], request.match_info["delivery_id"]
    again = await request.app[keys.SERVICES].webhooks.redeliver(account, webhook_id, delivery_id)
    return web.json_response(again.public(), status=202)
