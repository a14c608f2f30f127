"""WHIP ingest (RFC 9725): the show's host publishes with `POST /whip/{show_id}`, ends with `DELETE`."""

from __future__ import annotations

from aiohttp import web

from livecart import keys
from livecart.domain.errors import Conflict, Forbidden, NotFound, Unauthorized
from livecart.domain.models import Show, ShowStatus
from livecart.http.auth import bearer_token
from livecart.http.parsing import read_text
from livecart.media.http import endpoint_options, no_trickle, offer_error, require_sdp, sdp_created
from livecart.media.hub import PublisherBusy
from livecart.media.sdp import OfferError

routes = web.RouteTableDef()


async def _own_show(request: web.Request) -> Show:
    """The show in the path, which the bearer token's host must own (admin may act for the host)."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("publishing needs the host's bearer token")
    account = await request.app[keys.SERVICES].auth.account_for_token(token)
    if account is None:
        raise Unauthorized("the bearer token is not valid")
    show_id = request.match_info["show_id"]
    show = await request.app[keys.SERVICES].store.get_show(show_id)
    if show is None:
        raise NotFound("no such show", show_id=show_id)
    if not show.hosted_by(account):
        raise Forbidden("only the show's host may publish it", role=account.role.value)
    return show


@routes.post("/whip/{show_id}")
async def publish(request: web.Request) -> web.Response:
    show = await _own_show(request)
    require_sdp(request)
    if show.status is ShowStatus.ENDED:
        raise Conflict("the show has ended", show_id=show.id, status=show.status.value)
    origin = await request.app[keys.SERVICES].cluster.origin_elsewhere(show.id)
    if origin is not None:  # RFC 9725 section 4.5: publish where the show's broadcast already is
        raise web.HTTPTemporaryRedirect(f"{origin.url}/whip/{show.id}")
    try:
        publisher = await request.app[keys.SERVICES].media.publish(show.id, show.host_id, await read_text(request))
    except OfferError as error:
        return offer_error(error)
    except PublisherBusy:
        raise Conflict("the show already has a live publisher", show_id=show.id) from None
    return sdp_created(request, f"/whip/{show.id}/{publisher.session_id}", publisher.answer)


@routes.delete("/whip/{show_id}/{session_id}")
async def unpublish(request: web.Request) -> web.Response:
    show = await _own_show(request)
    if not await request.app[keys.SERVICES].media.unpublish(show.id, request.match_info["session_id"]):
        raise NotFound("no such publishing session", show_id=show.id)
    return web.Response(status=200)


@routes.options("/whip/{show_id}")
async def probe(request: web.Request) -> web.Response:
    return endpoint_options(request)


@routes.patch("/whip/{show_id}/{session_id}")
async def trickle(request: web.Request) -> web.Response:
    return no_trickle(request)
