"""The page routes: each page is served with its security headers, the Socket.IO bundle comes from
node_modules, a missing bundle is a clear error, and no page carries inline script or handlers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livecart import web as livecart_web
from livecart.web import CONTENT_SECURITY_POLICY, PAGES, SOCKET_IO_BUNDLE, STATIC_DIR

PAGE_PATHS = ["/", "/watch/shw_anything", "/studio/shw_anything", "/brand"]


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


async def test_the_page_says_which_services_the_server_offers(client: TestClient[Any, Any]) -> None:
    html = await (await client.get("/watch/shw_x")).text()
    match = re.search(r'<meta name="livecart-services" content="([^"]*)">', html)
    assert match is not None
    assert "@services@" not in html
    offered = set(match.group(1).split())
    routes = {resource.canonical for resource in client.app.router.resources()}
    assert ("live" in offered) == any(path.startswith("/socket.io") for path in routes)
    assert ("video" in offered) == any(path.startswith("/whep/") for path in routes)


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


def test_the_pages_live_inside_the_package() -> None:
    assert Path(livecart_web.__file__).resolve().parent / "static" == STATIC_DIR
    assert (STATIC_DIR / "watch.html").is_file()


async def test_api_responses_carry_nosniff_and_no_referrer_too(client: TestClient[Any, Any]) -> None:
    response = await client.get("/api/shows")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Content-Security-Policy" not in response.headers
