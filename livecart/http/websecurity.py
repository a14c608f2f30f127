"""Browser-facing protections: CORS only for configured origins, and security headers on every response.

- `/api/`, `/whip/`, `/whep/`: a request carrying an `Origin` that is neither this site nor one of
  `LIVECART_CORS_ORIGINS` is refused with 403 `origin_not_allowed` (preflights too); an allowed
  cross-site origin gets the CORS headers of its prefix (`CORS_POLICIES`). WHIP and WHEP expose the
  headers RFC 9725 clients read (`Location`, `Link`, `ETag`, `Retry-After`). The Socket.IO handshake
  uses the same rule (`origin_allowed`, passed to python-socketio).
- API responses are `Cache-Control: no-store` (they carry tokens, carts and orders). `nosniff`,
  `Referrer-Policy` and the rest on every response, and the pages' CSP, are set by livecart/web.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from livecart import keys
from livecart.config import Settings
from livecart.http.errors import error_body

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

API_PREFIX = "/api/"
PREFLIGHT_MAX_AGE_S = "600"


@dataclass(frozen=True)
class CorsPolicy:
    """What a cross-site page may send to, and read from, the routes under one prefix."""

    methods: str
    headers: str
    exposed: str


CORS_POLICIES: dict[str, CorsPolicy] = {
    API_PREFIX: CorsPolicy(
        methods="GET, POST, PATCH, DELETE",
        headers="Authorization, Content-Type, Idempotency-Key",
        exposed="Idempotent-Replayed, Retry-After, WWW-Authenticate",
    ),
    # RFC 9725 (WHIP) and the WHEP draft: the offer is POSTed with a bearer token as application/sdp,
    # the session URL comes back in Location, ICE servers in Link, the ICE session's ETag, and
    # Retry-After with a 503; the session is ended with DELETE. OPTIONS (a client's probe) and PATCH
    # (trickle ICE) pass the preflight so that they reach their answers, 204 and 405 (livecart does no
    # trickle ICE: candidates are in the offer and answer).
    **dict.fromkeys(
        ("/whip/", "/whep/"),
        CorsPolicy(
            methods="OPTIONS, POST, PATCH, DELETE",
            headers="Authorization, Content-Type",
            exposed="Location, Link, ETag, Retry-After, WWW-Authenticate, Allow, Accept-Post",
        ),
    ),
}


def cors_policy(path: str) -> CorsPolicy | None:
    return next((policy for prefix, policy in CORS_POLICIES.items() if path.startswith(prefix)), None)


API_RESPONSE = {"Cache-Control": "no-store"}


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def origin_allowed(origin: str | None, host: str | None, settings: Settings) -> bool:
    """May a page from `origin` call us? Same site (the Host it asked for, or the public URL) or configured."""
    if origin is None:
        return True  # not a browser's cross-site request
    origin = origin.strip().lower()
    if origin in {o.lower().rstrip("/") for o in settings.cors_origins}:
        return True
    if settings.public_url and origin == _origin_of(settings.public_url):
        return True
    return bool(host) and urlsplit(origin).netloc == str(host).lower() and origin.startswith(("http://", "https://"))


def socketio_origin_check(settings: Settings) -> Callable[[str | None, dict[str, Any]], bool]:
    """python-socketio's `cors_allowed_origins` callable: the same rule for the websocket handshake."""

    def check(origin: str | None, environ: dict[str, Any]) -> bool:
        return origin_allowed(origin, environ.get("HTTP_HOST"), settings)

    return check


def _cors_headers(origin: str, policy: CorsPolicy) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": policy.exposed, "Vary": "Origin"}


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    policy = cors_policy(request.path)
    if policy is None:
        return await handler(request)
    origin = request.headers.get("Origin")
    settings = request.app[keys.SETTINGS]
    if not origin_allowed(origin, request.host, settings):
        return web.json_response(
            error_body("origin_not_allowed", "this origin may not call the API", origin=(origin or "")[:200]),
            status=403,
            headers={"Vary": "Origin"},
        )
    if origin is None:
        return await handler(request)
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        return web.Response(
            status=204,
            headers={
                **_cors_headers(origin, policy),
                "Access-Control-Allow-Methods": policy.methods,
                "Access-Control-Allow-Headers": policy.headers,
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE_S,
            },
        )
    try:
        response = await handler(request)
    except web.HTTPException as passed_on:  # redirects (a WHEP 307 to the show's origin node)
        passed_on.headers.update(_cors_headers(origin, policy))
        raise
    if not response.prepared:
        response.headers.update(_cors_headers(origin, policy))
    return response


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: runs for every response, including errors from the router."""
    if request.path.startswith(API_PREFIX):
        for name, value in API_RESPONSE.items():
            response.headers.setdefault(name, value)
