"""A host's earnings from the ledger, as JSON or CSV."""

from __future__ import annotations

from aiohttp import web

from livecart import keys
from livecart.domain.earnings import earnings_csv, earnings_rows, earnings_summary
from livecart.domain.errors import BadRequest, Forbidden, NotFound
from livecart.domain.models import Role
from livecart.http.auth import require

routes = web.RouteTableDef()


async def _earnings(request: web.Request, csv: bool) -> web.Response:
    account = await require(request, Role.HOST)
    host_id = request.match_info["host_id"]
    if account.role is not Role.ADMIN and account.id != host_id:
        raise Forbidden("a host may read only their own earnings")
    store = request.app[keys.SERVICES].store
    host = await store.get_account(host_id)
    if host is None or host.role is not Role.HOST:
        raise NotFound("no such host", host_id=host_id)
    entries = await store.ledger_entries(party_id=host_id)
    titles = {}
    for show_id in dict.fromkeys(entry.show_id for entry in entries):
        show = await store.get_show(show_id)
        titles[show_id] = show.title if show else ""
    rows = earnings_rows(entries, host_id, titles)
    if csv:
        response = web.Response(text=earnings_csv(rows), content_type="text/csv", charset="utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="earnings-{host_id}.csv"'
        return response
    return web.json_response(earnings_summary(host_id, rows))


@routes.get("/api/hosts/{host_id}/earnings")
async def earnings(request: web.Request) -> web.Response:
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadRequest("format must be json or csv", fields={"format": "json or csv"})
    return await _earnings(request, csv=fmt == "csv")


@routes.get("/api/hosts/{host_id}/earnings.csv")
async def earnings_as_csv(request: web.Request) -> web.Response:
    return await _earnings(request, csv=True)
