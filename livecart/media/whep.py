"""WHEP playback (draft-ietf-wish-whep): anyone may watch a live show with `POST /whep/{show_id}`."""

from __future__ import annotations

import logging

from aiohttp import web

from livecart import keys
from livecart.domain.errors import Conflict, NotFound
from livecart.domain.models import ShowStatus
from livecart.http.auth import optional_account
from livecart.http.errors import error_body
from livecart.http.parsing import read_text
from livecart.http.ratelimit import client_address
from livecart.media.edge import PullFailed
from livecart.media.http import endpoint_options, no_trickle, offer_error, require_sdp, sdp_created
from livecart.media.hub import CAPACITY_RETRY_AFTER_SECONDS, AtCapacity, NotLive
from livecart.media.sdp import OfferError

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.post("/whep/{show_id}")
async def watch(request: web.Request) -> web.Response:
    await optional_account(request)  # a viewer token is optional, but a wrong one is refused
    request.app[keys.SERVICES].limits.whep_offers.take(client_address(request))
    show_id = request.match_info["show_id"]
    show = await request.app[keys.SERVICES].store.get_show(show_id)
    if show is None:
        raise NotFound("no such show", show_id=show_id)
    require_sdp(request)
    if show.status not in (ShowStatus.LIVE, ShowStatus.PAUSED):  # paused: viewers wait for the host's return
        raise Conflict("the show is not live", show_id=show_id, status=show.status.value)
    origin = await request.app[keys.SERVICES].cluster.origin_elsewhere(show_id)
    hub, edge = request.app[keys.SERVICES].media, request.app[keys.SERVICES].edge
    try:
        if origin is not None and edge is not None:  # an edge: serve it here from one pull of the origin
            viewer = await edge.watch(
                show_id, origin.url, await read_text(request), other_viewers=hub.connected_viewer_count
            )
        elif origin is not None:  # the publisher is on another node: the client re-sends its offer there
            raise web.HTTPTemporaryRedirect(f"{origin.url}/whep/{show_id}")
        else:
            if edge is not None and hub.connected_viewer_count + edge.viewer_count >= hub.max_viewers:
                raise AtCapacity(show_id)  # this node's own viewers and its edge viewers share one limit
            viewer = await hub.watch(show_id, await read_text(request))
    except PullFailed as error:  # the origin could not be pulled from: let the client try it directly
        assert origin is not None
        log.warning("edge: %s; redirecting the viewer to the origin", error)
        raise web.HTTPTemporaryRedirect(f"{origin.url}/whep/{show_id}") from None
    except NotLive:
        raise Conflict("the show is not being broadcast right now", show_id=show_id, status="live") from None
    except AtCapacity:
        response = web.json_response(
            error_body("at_capacity", "this node is serving as many viewers as it can"), status=503
        )
        response.headers["Retry-After"] = str(CAPACITY_RETRY_AFTER_SECONDS)
        return response
    except OfferError as error:
        return offer_error(error)
    return sdp_created(request, f"/whep/{show_id}/{viewer.session_id}", viewer.answer)


@routes.delete("/whep/{show_id}/{session_id}")
async def leave(request: web.Request) -> web.Response:
    hub = request.app[keys.SERVICES].media
    show_id, session_id = request.match_info["show_id"], request.match_info["session_id"]
    edge = request.app[keys.SERVICES].edge
    if not await hub.leave(show_id, session_id) and not (edge is not None and await edge.leave(show_id, session_id)):
        raise NotFound("no such viewing session")
    return web.Response(status=200)


@routes.options("/whep/{show_id}")
async def probe(request: web.Request) -> web.Response:
    return endpoint_options(request)


@routes.patch("/whep/{show_id}/{session_id}")
async def trickle(request: web.Request) -> web.Response:
    return no_trickle(request)
