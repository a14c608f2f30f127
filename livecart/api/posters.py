"""Show posters: the studio uploads a still of its camera every 30 s (`PUT /api/shows/{id}/poster`, an
image only, size-limited); the index shows it (`GET`)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from livecart import keys
from livecart.api.shows import ensure_show_host, poster_url, show_or_404
from livecart.domain.errors import BadRequest, NotFound, PayloadTooLarge, RequestTimeout, UnsupportedMediaType
from livecart.domain.models import Role, rfc3339
from livecart.domain.profiles import POSTER_TYPES, Poster, looks_like
from livecart.http.auth import require

routes = web.RouteTableDef()


async def read_image(request: web.Request, limit: int) -> bytes:
    """The body, at most `limit` bytes (413 beyond, as soon as it is known), within the body timeout."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"a poster may be at most {limit} bytes", limit=limit)
    try:
        async with asyncio.timeout(request.app[keys.SETTINGS].http_body_timeout_s):
            data = await request.content.read(limit + 1)
            while len(data) <= limit:
                more = await request.content.read(limit + 1 - len(data))
                if not more:
                    break
                data += more
    except TimeoutError:
        raise RequestTimeout("the request body did not arrive in time") from None
    if len(data) > limit:
        raise PayloadTooLarge(f"a poster may be at most {limit} bytes", limit=limit)
    return data


@routes.put("/api/shows/{show_id}/poster")
async def put_poster(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST)
    show = await show_or_404(request)
    await ensure_show_host(request, account, show)
    content_type = request.content_type
    if content_type not in POSTER_TYPES:
        raise UnsupportedMediaType(
            "a poster is a JPEG, PNG or WebP image", content_type=content_type, accepted=sorted(POSTER_TYPES)
        )
    services = request.app[keys.SERVICES]
    data = await read_image(request, request.app[keys.SETTINGS].poster_max_bytes)
    if not looks_like(content_type, data):
        raise BadRequest(f"the body is not a {content_type} image")
    poster = Poster(content_type=content_type, data=data, updated_at=services.clock.now())
    await services.store.save_show_poster(show.id, poster)
    updated = rfc3339(poster.updated_at) or ""
    return web.json_response(
        {"show_id": show.id, "poster_url": poster_url(show.id, str(int(poster.updated_at.timestamp()))),
         "updated_at": updated, "bytes": len(data)}
    )  # fmt: skip


@routes.get("/api/shows/{show_id}/poster")
async def get_poster(request: web.Request) -> web.Response:
    show = await show_or_404(request)
    poster = await request.app[keys.SERVICES].store.show_poster(show.id)
    if poster is None:
        raise NotFound("this show has no poster yet", show_id=show.id)
    return web.Response(
        body=poster.data,
        content_type=poster.content_type,
        headers={"Cache-Control": "public, max-age=30", "Content-Security-Policy": "default-src 'none'"},
    )
