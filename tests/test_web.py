"""The page routes: each page is served with its security headers, the Socket.IO bundle comes from
node_modules, a missing bundle is a clear error, and no page carries inline script or handlers."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from livecart import web as livecart_web
from livecart.app import create_app
from livecart.config import Settings
from livecart.web import CONTENT_SECURITY_POLICY, PAGES, SOCKET_IO_BUNDLE, STATIC_DIR, setup_web

AiohttpClient = Callable[..., Any]  # pytest-aiohttp's aiohttp_client fixture

PAGE_PATHS = [
    "/",
    "/watch/shw_anything",
    "/replay/shw_anything",
    "/studio/shw_anything",
    "/brand",
    "/host",
    "/p/prd_anything",
]


@pytest.mark.parametrize("path", PAGE_PATHS)
async def test_pages_carry_the_security_headers(client: TestClient[Any, Any], path: str) -> None:
    response = await client.get(path)
    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_policy_allows_only_our_own_scripts_styles_and_connections() -> None:
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["media-src"] == "'self' blob:"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY


def offered(html: str) -> set[str]:
    match = re.search(r'<meta name="livecart-services" content="([^"]*)">', html)
    assert match is not None, "no livecart-services meta"
    return set(match.group(1).split())


async def test_the_full_app_announces_every_service_on_every_page(client: TestClient[Any, Any]) -> None:
    for path in [*PAGE_PATHS, "/embed/shw_anything"]:
        html = await (await client.get(path)).text()
        assert "@services@" not in html
        assert offered(html) == {
            "live",
            "video",
            "commerce",
            "earnings",
            "stats",
            "orders",
            "reviews",
            "replay",
            "address",
            "wallet",
            "posters",
            "connect",
            "payouts",
        }, path


async def test_the_embed_page_may_be_framed_by_the_listed_sites_only(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    settings = Settings(store=f"sqlite:///{tmp_path / 'embed.db'}", embed_origins=("https://shop.example",))
    embedding: TestClient[Any, Any] = await aiohttp_client(create_app(settings))
    page = await embedding.get("/embed/shw_anything")
    assert page.status == 200
    assert '<body class="watch-page embed">' in await page.text()
    directives = dict(part.split(" ", 1) for part in page.headers["Content-Security-Policy"].split("; "))
    assert directives["frame-ancestors"] == "'self' https://shop.example"
    assert directives["script-src"] == "'self'"
    watch = await embedding.get("/watch/shw_anything")
    assert "frame-ancestors 'none'" in watch.headers["Content-Security-Policy"]  # other pages stay unframable
    snippet = await embedding.get("/embed.js")
    assert snippet.status == 200
    assert snippet.headers["Content-Type"].startswith("text/javascript")


async def test_a_server_with_only_some_areas_announces_only_those(aiohttp_client: AiohttpClient) -> None:
    async def nothing(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/whep/{show_id}", nothing)
    app.router.add_get("/api/shows/{show_id}/stats", nothing)
    app.router.add_get("/api/shows/{show_id}/cart", nothing)  # a cart alone is not commerce: no pins, no checkout
    setup_web(app)
    pages_only: TestClient[Any, Any] = await aiohttp_client(app)
    assert offered(await (await pages_only.get("/watch/shw_x")).text()) == {"video", "stats"}

    bare = web.Application()
    setup_web(bare)
    bare_client: TestClient[Any, Any] = await aiohttp_client(bare)
    assert offered(await (await bare_client.get("/studio/shw_x")).text()) == set()


async def test_static_files_and_the_socket_io_bundle_are_served(client: TestClient[Any, Any]) -> None:
    for path in ("/static/js/watch.js", "/static/css/livecart.css", "/static/img/lipstick.svg"):
        response = await client.get(path)
        assert response.status == 200, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    if not SOCKET_IO_BUNDLE.is_file():
        pytest.fail(f"{SOCKET_IO_BUNDLE} is missing: run `npm ci` (make setup)")
    bundle = await client.get("/vendor/socket.io.msgpack.min.js")
    assert bundle.status == 200
    assert bundle.headers["Content-Type"].startswith("text/javascript")
    assert (await bundle.read()) == SOCKET_IO_BUNDLE.read_bytes()
    assert (await client.get("/vendor/other.js")).status == 404


async def test_a_missing_node_modules_is_a_clear_error(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(livecart_web.VENDOR_FILES, "socket.io.msgpack.min.js", tmp_path / "missing.js")
    response = await client.get("/vendor/socket.io.msgpack.min.js")
    assert response.status == 503
    assert "npm ci" in await response.text()


@pytest.mark.parametrize("page", sorted(PAGES.values()))
def test_pages_have_no_inline_script_or_event_handlers(page: str) -> None:
    html = (STATIC_DIR / page).read_text()
    for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S):
        assert script.strip() == "", f"inline script in {page}"
    assert not re.search(r"\son[a-z]+\s*=", html), f"inline event handler in {page}"
    assert not re.search(r"\sstyle\s*=", html), f"inline style in {page}"


def test_scripts_never_parse_user_text_as_html() -> None:
    for script in (STATIC_DIR / "js").glob("*.js"):
        source = script.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert sink not in source, f"{script.name} uses {sink}"


async def test_the_pages_are_served_from_any_working_directory(
    settings: Settings, aiohttp_client: AiohttpClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    served: TestClient[Any, Any] = await aiohttp_client(create_app(settings))
    assert "<title>" in await (await served.get("/")).text()
    for path in ("/static/js/watch.js", "/static/js/protocol.js", "/static/css/livecart.css"):
        assert (await served.get(path)).status == 200, path


async def test_api_responses_carry_nosniff_and_no_referrer_too(client: TestClient[Any, Any]) -> None:
    response = await client.get("/api/shows")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Content-Security-Policy" not in response.headers
