"""Browser-facing protections: CORS only for configured origins, and security headers on every response.

- `/api/`: a request carrying an `Origin` that is neither this site nor one of `LIVECART_CORS_ORIGINS`
  is refused with 403 `origin_not_allowed` (preflights too); an allowed cross-site origin gets the CORS
  headers. The Socket.IO handshake uses the same rule (`origin_allowed`, passed to python-socketio).
- API responses are `Cache-Control: no-store` (they carry tokens, carts and orders). `nosniff`,
  `Referrer-Policy` and the rest on every response, and the pages' CSP, are set by livecart/web.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from livecart import keys
from livecart.api.errors import error_body
from livecart.config import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

API_PREFIX = "/api/"
ALLOWED_METHODS = "GET, POST, PATCH, DELETE"
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"
EXPOSED_HEADERS = "Idempotent-Replayed, Retry-After, WWW-Authenticate"
PREFLIGHT_MAX_AGE_S = "600"

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


def _cors_headers(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSED_HEADERS}


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(API_PREFIX):
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
                **_cors_headers(origin),
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE_S,
                "Vary": "Origin",
            },
        )
    response = await handler(request)
    if not response.prepared:
        response.headers.update(_cors_headers(origin))
        response.headers["Vary"] = "Origin"
    return response


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: runs for every response, including errors from the router."""
    if request.path.startswith(API_PREFIX):
        for name, value in API_RESPONSE.items():
            response.headers.setdefault(name, value)


def setup_web_security(app: web.Application) -> None:
    app.middlewares.insert(0, cors_middleware)
    app.on_response_prepare.append(security_headers)
