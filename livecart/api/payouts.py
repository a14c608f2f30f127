"""Payouts over HTTP: a host's balance, payouts and statement; the admin's payout run (`POST /api/payouts`,
Idempotency-Key required). The service is livecart/commerce/payouts.py."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from livecart import keys
from livecart.api.checkout import idempotency_key
from livecart.api.connect import own_host
from livecart.domain.errors import BadRequest, Forbidden
from livecart.domain.models import Role
from livecart.domain.statement import statement_csv
from livecart.http.auth import require

routes = web.RouteTableDef()


@routes.get("/api/hosts/{host_id}/balance")
async def balance(request: web.Request) -> web.Response:
    host = await own_host(request)
    balances = await request.app[keys.SERVICES].payouts.balances(host.id)
    return web.json_response({"host_id": host.id, "balances": [one.public() for one in balances]})


@routes.get("/api/hosts/{host_id}/payouts")
async def host_payouts(request: web.Request) -> web.Response:
    host = await own_host(request)
    found = await request.app[keys.SERVICES].store.host_payouts(host.id)
    return web.json_response({"host_id": host.id, "payouts": [one.public() for one in found]})


def moment(request: web.Request, name: str) -> datetime | None:
    text = request.query.get(name)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise BadRequest(f"{name} is not valid", fields={name: "an RFC 3339 time with an offset (…T00:00:00Z)"})
    return parsed


@routes.get("/api/hosts/{host_id}/statement.csv")
async def host_statement(request: web.Request) -> web.Response:
    host = await own_host(request)
    since, until = moment(request, "from"), moment(request, "to")
    if since is not None and until is not None and until <= since:
        raise BadRequest("to must be after from", fields={"to": "after from"})
    lines = await request.app[keys.SERVICES].payouts.statement(host.id, since=since, until=until)
    response = web.Response(text=statement_csv(lines), content_type="text/csv", charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="statement-{host.id}.csv"'
    return response


@routes.post("/api/payouts")
async def run_payouts(request: web.Request) -> web.Response:
    account = await require(request, Role.ADMIN)
    if account.role is not Role.ADMIN:
        raise Forbidden("only admin runs payouts")
    key = idempotency_key(request)
    paid = await request.app[keys.SERVICES].payouts.run(key)
    return web.json_response({"key": key, "payouts": [one.public() for one in paid]})
