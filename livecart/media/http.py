"""What WHIP and WHEP handlers share: SDP request bodies, `201 Created` answers, media error bodies."""

from __future__ import annotations

from aiohttp import web

from livecart import keys
from livecart.http.errors import error_body
from livecart.media.ice import link_headers
from livecart.media.sdp import SDP_CONTENT_TYPE, OfferError

OFFER_ERROR_CODES = {400: "bad_request", 422: "unsupported_offer"}


def require_sdp(request: web.Request) -> None:
    """RFC 9725 section 4.2: the offer is sent as `application/sdp`."""
    if request.content_type != SDP_CONTENT_TYPE:
        raise web.HTTPUnsupportedMediaType(reason=f"the offer must be sent as {SDP_CONTENT_TYPE}")


def offer_error(error: OfferError) -> web.Response:
    return web.json_response(error_body(OFFER_ERROR_CODES[error.status], str(error)), status=error.status)


def sdp_created(request: web.Request, location: str, answer: str) -> web.Response:
    response = web.Response(status=201, text=answer, content_type=SDP_CONTENT_TYPE)
    if request.app[keys.SERVICES].cluster.registry is not None:  # the session lives on this process: say where
        location = request.app[keys.SETTINGS].node_base_url + location
    response.headers["Location"] = location
    for link in link_headers(request.app[keys.SETTINGS]):
        response.headers.add("Link", link)
    return response


ENDPOINT_METHODS = "OPTIONS, POST"
SESSION_METHODS = "DELETE"


def endpoint_options(request: web.Request) -> web.Response:
    """`OPTIONS` on a WHIP/WHEP endpoint (RFC 9725 section 4.1): 204 with the methods and the offer type."""
    return web.Response(status=204, headers={"Allow": ENDPOINT_METHODS, "Accept-Post": SDP_CONTENT_TYPE})


def no_trickle(request: web.Request) -> web.Response:
    """`PATCH` on a session (trickle ICE, ICE restart): livecart does neither, so 405 (RFC 9725 section 4.3)."""
    return web.json_response(
        error_body("method_not_allowed", "livecart does no trickle ICE or ICE restart: candidates are in the SDP"),
        status=405,
        headers={"Allow": SESSION_METHODS},
    )
