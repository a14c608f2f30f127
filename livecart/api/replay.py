"""The replay's routes: `GET /api/shows/{id}/replay` (the timeline on the recording's clock) and
`GET /media/{show_id}` (the recorded file, with range requests and caching headers)."""

from __future__ import annotations

import re

from aiohttp import web

from livecart import keys
from livecart.api.shows import show_or_404
from livecart.domain.errors import NotFound
from livecart.domain.models import ShowStatus

routes = web.RouteTableDef()

# A show id as the recorder names files after it; anything else (`..`, `/`, `%2e`, ...) is a 404
# before the disk is touched, and files are only ever found by listing the recordings directory.
SHOW_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
IMMUTABLE = "public, max-age=31536000, immutable"  # a finished show's file never changes
GROWING = "no-cache"  # revalidate (ETag) every time: the file grows while the show is recorded


def nothing_recorded(show_id: str) -> NotFound:
    return NotFound("nothing was recorded for this show", show_id=show_id)


@routes.get("/api/shows/{show_id}/replay")
async def get_replay(request: web.Request) -> web.Response:
    show = await show_or_404(request)
    document = await request.app[keys.SERVICES].replays.replay(show)
    if document is None:
        raise nothing_recorded(show.id)
    return web.json_response(document)


@routes.get("/media/{show_id}")
async def get_media(request: web.Request) -> web.StreamResponse:
    show_id = request.match_info["show_id"]
    if not SHOW_ID.fullmatch(show_id):
        raise NotFound("no such show", show_id=show_id)
    services = request.app[keys.SERVICES]
    show = await services.store.get_show(show_id)
    if show is None:
        raise NotFound("no such show", show_id=show_id)
    recorded = await services.replays.file(show_id)
    if recorded is None:
        raise nothing_recorded(show_id)
    finished = show.status is ShowStatus.ENDED and not recorded.growing
    # aiohttp's FileResponse answers Range (206, Content-Range; 416 past the end), If-Range,
    # If-None-Match / If-Modified-Since (304) from the file's ETag and Last-Modified. It reads the
    # size when it starts: a growing file is served as far as it was written then.
    return web.FileResponse(
        recorded.path,
        headers={
            "Content-Type": recorded.content_type,
            "Cache-Control": IMMUTABLE if finished else GROWING,
            "Accept-Ranges": "bytes",
        },
    )
