"""Shows: hosts create them and feature brands' products in their lineup; anyone reads."""

from __future__ import annotations

from aiohttp import web

from livecart import keys
from livecart.api.catalog import product_or_404
from livecart.api.schemas import LineupAdd, ShowCreate
from livecart.commerce.connect import may_host
from livecart.domain.calendar import show_event
from livecart.domain.errors import Conflict, Forbidden, NotFound
from livecart.domain.models import Account, Role, Show, ShowStatus
from livecart.http.auth import require
from livecart.http.parsing import parse

routes = web.RouteTableDef()


def poster_url(show_id: str, version: str) -> str:
    """A show's poster URL; `v` changes with each upload, so a browser never shows a stale frame."""
    return f"/api/shows/{show_id}/poster?v={version}"


async def show_or_404(request: web.Request) -> Show:
    show_id = request.match_info["show_id"]
    show = await request.app[keys.SERVICES].store.get_show(show_id)
    if show is None:
        raise NotFound("no such show", show_id=show_id)
    return show


async def ensure_show_host(request: web.Request, account: Account, show: Show) -> None:
    """The show's host, an active co-host, or admin (livecart/commerce/connect.may_host)."""
    if not await may_host(request.app[keys.SERVICES].store, show, account):
        raise Forbidden("only the show's host may do this")


@routes.post("/api/shows")
async def create_show(request: web.Request) -> web.Response:
    host = await require(request, Role.HOST)
    if host.role is not Role.HOST:
        raise Forbidden("only a host may create shows")
    body = await parse(request, ShowCreate)
    show = await request.app[keys.SERVICES].store.create_show(host.id, body.title, body.scheduled_at)
    return web.json_response(show.public(), status=201)


@routes.get("/api/shows")
async def list_shows(request: web.Request) -> web.Response:
    store = request.app[keys.SERVICES].store
    shows = await store.list_shows()
    posters = await store.show_poster_times([show.id for show in shows])
    return web.json_response(
        {
            "shows": [
                {
                    **show.public(),
                    "poster_url": poster_url(show.id, str(int(posters[show.id].timestamp())))
                    if show.id in posters
                    else None,
                }
                for show in shows
            ]
        }
    )


@routes.get("/api/shows/{show_id}.ics")
async def show_calendar(request: web.Request) -> web.Response:
    """The show as an iCalendar event, to add to a calendar; 409 when it has no start time or has ended."""
    show = await show_or_404(request)
    services = request.app[keys.SERVICES]
    start = show.started_at if show.status in (ShowStatus.LIVE, ShowStatus.PAUSED) else show.scheduled_at
    if show.status is ShowStatus.ENDED or start is None:
        raise Conflict("this show has no start time to put in a calendar", show_id=show.id, status=show.status.value)
    host = await services.store.get_account(show.host_id)
    settings = request.app[keys.SETTINGS]
    base = settings.public_url.rstrip("/") or str(request.url.origin())
    text = show_event(
        show_id=show.id, title=show.title, host=host.name if host else "", start=start,
        watch_url=f"{base}/watch/{show.id}", stamp=services.clock.now(),
    )  # fmt: skip
    return web.Response(
        body=text.encode(),
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{show.id}.ics"'},
    )


@routes.get("/api/shows/{show_id}")
async def get_show(request: web.Request) -> web.Response:
    show = await show_or_404(request)
    store = request.app[keys.SERVICES].store
    host = await store.get_account(show.host_id)
    lineup = await store.lineup(show.id)
    return web.json_response(
        {
            **show.public(),
            "host": {"id": show.host_id, "name": host.name if host else None},
            "lineup": [product.public() for product in lineup],
        }
    )


@routes.get("/api/shows/{show_id}/lineup")
async def get_lineup(request: web.Request) -> web.Response:
    show = await show_or_404(request)
    lineup = await request.app[keys.SERVICES].store.lineup(show.id)
    return web.json_response({"products": [product.public() for product in lineup]})


@routes.post("/api/shows/{show_id}/lineup")
async def add_to_lineup(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST)
    show = await show_or_404(request)
    await ensure_show_host(request, account, show)
    body = await parse(request, LineupAdd)
    product = await product_or_404(request, body.product_id)
    added = await request.app[keys.SERVICES].connect.add_to_lineup(account, show, product, body.campaign_id)
    return web.json_response(
        {"show_id": show.id, "product": product.public(), "added": added}, status=201 if added else 200
    )


@routes.post("/api/shows/{show_id}/end")
async def end_show(request: web.Request) -> web.Response:
    """The show's host or admin ends the show for good: its publisher and viewers are closed, and the
    live path stops selling in it. Ending an ended show answers the same show."""
    account = await require(request, Role.HOST)
    show = await show_or_404(request)
    if not show.hosted_by(account):  # the host's own decision: co-hosts do not end the show
        raise Forbidden("only the show's host may end it")
    ended = await request.app[keys.SERVICES].lifecycle.end(show.id)
    return web.json_response((ended or show).public())
