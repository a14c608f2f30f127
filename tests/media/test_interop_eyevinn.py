"""Eyevinn's web clients from npm in headless Chromium, with their default options: `@eyevinn/whip-web-client`
publishes the fake camera over WHIP and `@eyevinn/webrtc-player` plays it over WHEP, from a page on
livecart's own origin and from a page on another origin (CORS: its probing OPTIONS, the POST, the
session's own requests). The page's script is bundled at test time from node_modules with esbuild."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from playwright.async_api import ConsoleMessage, Page, Request, async_playwright

from livecart.app import create_app
from livecart.config import Settings
from tests.media.conftest import ShowUnderTest
from tests.support import ADMIN_TOKEN, free_port, need_binary

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ENTRY = Path(__file__).with_name("interop") / "eyevinn_entry.js"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
OTHER_PORT = free_port()
OTHER_ORIGIN = f"http://127.0.0.1:{OTHER_PORT}"
PAGE = (
    '<!doctype html><html><head><link rel="icon" href="data:,"></head><body>'
    '<video id="v" autoplay muted playsinline></video><script src="/eyevinn.js"></script></body></html>'
)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Eyevinn's clients and the entry script, bundled for the browser from node_modules."""
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    assert esbuild.is_file(), "run `npm ci` (make setup): esbuild and @eyevinn/* are devDependencies"
    out = tmp_path_factory.mktemp("eyevinn") / "eyevinn.js"
    subprocess.run(
        [str(esbuild), str(ENTRY), "--bundle", "--format=iife", "--platform=browser", f"--outfile={out}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out.read_bytes()


def page_routes(app: web.Application, bundle: bytes) -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def script(request: web.Request) -> web.Response:
        return web.Response(body=bundle, content_type="text/javascript")

    app.router.add_get("/eyevinn.html", page)
    app.router.add_get("/eyevinn.js", script)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    database = f"sqlite:///{tmp_path / 'livecart.db'}"
    return Settings(store=database, admin_token=ADMIN_TOKEN, cors_origins=(OTHER_ORIGIN,))


@pytest.fixture
def app(settings: Settings, bundle: bytes) -> web.Application:
    application = create_app(settings)
    page_routes(application, bundle)  # the same-origin page
    return application


@pytest.fixture
async def other_site(bundle: bytes) -> AsyncIterator[str]:
    """The same page on another origin (another port), listed in LIVECART_CORS_ORIGINS."""
    site_app = web.Application()
    page_routes(site_app, bundle)
    runner = web.AppRunner(site_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", OTHER_PORT).start()
    yield OTHER_ORIGIN
    await runner.cleanup()


@pytest.mark.parametrize("origin", ["same-origin", "cross-origin"])
async def test_eyevinn_whip_client_publishes_and_webrtc_player_plays(
    client: TestClient[Any, Any], show: ShowUnderTest, other_site: str, origin: str
) -> None:
    chromium = need_binary("chromium", "chromium-browser")
    base = str(client.make_url("")).rstrip("/") if origin == "same-origin" else other_site
    errors: list[str] = []
    whip_requests: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            host_page = await browser.new_page()
            host_page.on("console", lambda m: console_error(errors, "host", m))
            host_page.on("requestfinished", lambda r: whip_request(whip_requests, r))
            await host_page.goto(f"{base}/eyevinn.html")
            resource = await host_page.evaluate(f"publish({json.dumps(show.whip_url)}, {json.dumps(show.host_token)})")
            assert f"/whip/{show.id}/" in resource
            viewer_page = await browser.new_page()
            viewer_page.on("console", lambda m: console_error(errors, "viewer", m))
            await viewer_page.goto(f"{base}/eyevinn.html")
            await viewer_page.evaluate(f"play({json.dumps(show.whep_url)})")
            first = await wait_playing(viewer_page)
            await asyncio.sleep(1.5)
            later = await viewer_page.evaluate("playing()")
            await host_page.evaluate("whip.destroy()")
        finally:
            await browser.close()
    assert first["width"] == 640
    assert later["time"] > first["time"] + 1.0, (first, later)
    assert not [e for e in errors if "CORS" in e or "Access-Control" in e], errors
    assert whip_requests[:2] == ["OPTIONS", "POST"]  # its probe reaches its 204, then the offer


def console_error(errors: list[str], who: str, message: ConsoleMessage) -> None:
    if message.type == "error":
        errors.append(f"{who}: {message.text}")


def whip_request(methods: list[str], request: Request) -> None:
    if "/whip/" in request.url:
        methods.append(request.method)


async def wait_playing(page: Page, within_s: float = 25.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        state: dict[str, Any] = await page.evaluate("playing()")
        if state["width"] > 0 and state["time"] > 0.5:
            return state
        assert asyncio.get_running_loop().time() < deadline, f"not playing: {state}"
        await asyncio.sleep(0.2)
