"""Accounts: admin creates hosts and brands; anyone becomes a viewer with a display name."""

from __future__ import annotations

from aiohttp import web

from livecart import keys
from livecart.api.schemas import AccountCreate
from livecart.domain.errors import NotFound, Unauthorized
from livecart.domain.models import Role
from livecart.http.auth import optional_account, require
from livecart.http.parsing import parse
from livecart.http.ratelimit import client_address

routes = web.RouteTableDef()


async def _create(request: web.Request, role: Role) -> web.Response:
    body = await parse(request, AccountCreate)
    account, token = await request.app[keys.SERVICES].store.create_account(role, body.name)
    return web.json_response({**account.public(), "token": token}, status=201)


@routes.post("/api/hosts")
async def create_host(request: web.Request) -> web.Response:
    await require(request, Role.ADMIN)
    return await _create(request, Role.HOST)


@routes.post("/api/brands")
async def create_brand(request: web.Request) -> web.Response:
    await require(request, Role.ADMIN)
    return await _create(request, Role.BRAND)


@routes.post("/api/viewers")
async def create_viewer(request: web.Request) -> web.Response:
    """Anyone may sign up as a viewer, a few times a minute per client address (LIVECART_ACCOUNT_RATE)."""
    request.app[keys.SERVICES].limits.anonymous_accounts.take(client_address(request))
    return await _create(request, Role.VIEWER)


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    account = await optional_account(request)
    if account is None:
        raise Unauthorized("this needs a bearer token")
    return web.json_response(account.public())


@routes.delete("/api/accounts/{account_id}")
async def delete_account(request: web.Request) -> web.Response:
    """Admin deletes an account; its token is rejected from then on, its shows end (their publisher and
    viewers are closed) and its products are no longer sold (livecart/commerce/carts.py `Owners`)."""
    await require(request, Role.ADMIN)
    account_id = request.match_info["account_id"]
    if await request.app[keys.SERVICES].store.get_account(account_id) is None:
        raise NotFound("no such account", account_id=account_id)
    await request.app[keys.SERVICES].store.delete_account(account_id)
    request.app[keys.SERVICES].carts.owners.forget(account_id)
    await request.app[keys.SERVICES].lifecycle.end_shows_of(account_id)
    return web.Response(status=204)
