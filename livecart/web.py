"""The web pages: index, watch page, host studio, brand console, their static files and the browser
Socket.IO bundle (from node_modules, never a CDN). The pages carry a Content-Security-Policy; every
response of the app carries nosniff and Referrer-Policy.

Each page is a static HTML file, read once; the one thing filled in (at start-up, when every route is
known) is the list of services this server offers (`<meta name="livecart-services">`), read from the
app's own routes, so a page never calls a service the server does not have (no failed requests, no
console errors) and says so instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from livecart import keys

log = logging.getLogger(__name__)


PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
# A built wheel carries the front-end bundle in static/vendor/ (copied from node_modules/ by setup.py's
# build hook); a checkout (editable install) serves it from its node_modules/.
VENDOR_DIR = STATIC_DIR / "vendor"
NODE_MODULES_DIR = PACKAGE_DIR.parent / "node_modules"


def _vendored(name: str, in_node_modules: str) -> Path:
    """The package's static/vendor/ copy when it has one, else the file in the checkout's node_modules/."""
    packaged = VENDOR_DIR / name
    return packaged if packaged.is_file() else NODE_MODULES_DIR / in_node_modules


SOCKET_IO_BUNDLE = _vendored("socket.io.msgpack.min.js", "socket.io-client/dist/socket.io.msgpack.min.js")
VENDOR_FILES = {"socket.io.msgpack.min.js": SOCKET_IO_BUNDLE}

EMBED_SCRIPT = STATIC_DIR / "embed.js"
PAGES = {
    "index": "index.html",
    "watch": "watch.html",
    "studio": "studio.html",
    "brand": "brand.html",
    "replay": "replay.html",
    "host": "host.html",
    "product": "product.html",
}
SERVICES_PLACEHOLDER = 'content="@services@"'

# Exactly what the pages use: our own scripts and styles, images from us (products may point at https
# images), video from MediaStreams, and fetch/WebSocket to this origin ('self' covers ws:/wss: of it).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=()",
}

# A service is offered when the app has a route whose path starts with its prefix.
SERVICE_ROUTES = {
    "live": ("/socket.io",),
    "video": ("/whip/", "/whep/"),
    "commerce": ("/api/shows/{show_id}/pins", "/api/shows/{show_id}/checkout"),
    "earnings": ("/api/hosts/{host_id}/earnings",),
    "stats": ("/api/shows/{show_id}/stats",),
    "orders": ("/api/shows/{show_id}/orders",),
    "connect": ("/api/campaigns",),
    "payouts": ("/api/payouts",),
    "reviews": ("/api/products/{product_id}/reviews",),
    "replay": ("/api/shows/{show_id}/replay",),
    "address": ("/api/me/address",),
    "wallet": ("/api/me/payment-method",),
    "posters": ("/api/shows/{show_id}/poster",),
}


def setup_web(app: web.Application) -> None:
    """Add the page routes, /static/ and /vendor/, and the security headers on their responses."""
    if not (STATIC_DIR / "index.html").is_file():
        log.warning("no web pages: %s is missing (a broken install?); the API still works", STATIC_DIR)
        return
    if not SOCKET_IO_BUNDLE.is_file():
        log.warning("%s is missing: run `npm ci` (or `make setup`); the pages cannot connect live", SOCKET_IO_BUNDLE)
    templates = {name: (STATIC_DIR / file).read_text(encoding="utf-8") for name, file in PAGES.items()}
    # the embeddable player: the watch page, compact (css: body.embed) and framable by the listed sites
    templates["embed"] = templates["watch"].replace('<body class="watch-page">', '<body class="watch-page embed">', 1)
    app[keys.WEB_PAGES] = templates
    app.router.add_get("/", _page("index"), name="page_index")
    app.router.add_get("/watch/{show_id}", _page("watch"), name="page_watch")
    app.router.add_get("/studio/{show_id}", _page("studio"), name="page_studio")
    app.router.add_get("/replay/{show_id}", _page("replay"), name="page_replay")
    app.router.add_get("/brand", _page("brand"), name="page_brand")
    app.router.add_get("/host", _page("host"), name="page_host")
    app.router.add_get("/p/{product_id}", _page("product"), name="page_product")
    settings = app.get(keys.SETTINGS)
    embed_origins = settings.embed_origins if settings is not None else ()
    app.router.add_get("/embed/{show_id}", _page("embed", embed_policy(embed_origins)), name="page_embed")
    app.router.add_get("/embed.js", embed_script, name="embed_script")
    app.router.add_get("/vendor/{name}", vendor_file, name="vendor")
    app.router.add_static("/static/", STATIC_DIR, name="static", append_version=False)
    app.on_response_prepare.append(add_security_headers)
    app.on_startup.append(_fill_in_services)


def offered_services(app: web.Application) -> str:
    """Space-separated names of the services this app serves (see SERVICE_ROUTES)."""
    paths = [resource.canonical for resource in app.router.resources()]
    names = [
        name
        for name, prefixes in SERVICE_ROUTES.items()
        if any(path.startswith(prefix) for path in paths for prefix in prefixes)
    ]
    return " ".join(names)


async def _fill_in_services(app: web.Application) -> None:
    """At start-up every route is known: write the services into each page once."""
    services = f'content="{offered_services(app)}"'
    pages = app[keys.WEB_PAGES]
    for name, html in pages.items():
        pages[name] = html.replace(SERVICES_PLACEHOLDER, services, 1)


def _page(name: str, policy: str = CONTENT_SECURITY_POLICY) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def page(request: web.Request) -> web.Response:
        html = request.app[keys.WEB_PAGES][name]
        response = web.Response(text=html, content_type="text/html", charset="utf-8")
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Content-Security-Policy"] = policy
        return response

    return page


def embed_policy(origins: tuple[str, ...]) -> str:
    """The pages' CSP with `frame-ancestors` opened to this site and LIVECART_EMBED_ORIGINS (only for
    the embed page: every other page keeps 'none')."""
    ancestors = " ".join(["'self'", *(origin.rstrip("/") for origin in origins)])
    return CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")


async def embed_script(request: web.Request) -> web.FileResponse:
    """`<script src="{livecart}/embed.js" data-show="{id}" async>`: the script that makes the iframe."""
    return web.FileResponse(
        EMBED_SCRIPT, headers={"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"}
    )


async def vendor_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = VENDOR_FILES.get(name)
    if path is None:
        raise web.HTTPNotFound()
    if not path.is_file():
        message = f"{path} is missing: run `npm ci` (or `make setup`) in {NODE_MODULES_DIR.parent}"
        log.error("%s", message)
        return web.Response(status=503, text=f"livecart: {message}\n")
    return web.FileResponse(path, headers={"Content-Type": "text/javascript; charset=utf-8"})


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """nosniff, Referrer-Policy and friends on every response (the CSP is set by the page handler: it
    describes what our pages need, not what any other HTML the app may serve needs)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
