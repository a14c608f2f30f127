"""The embeddable player on a brand's own site: the one-line snippet makes an iframe of the compact
watch page that plays the show, shows the pinned product and adds it to the cart; a site that is not
in LIVECART_EMBED_ORIGINS cannot frame it (CSP frame-ancestors), and the other pages stay unframable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from aiortc.mediastreams import AudioStreamTrack
from playwright.async_api import Frame, Page, expect

from livecart.config import Settings
from livecart.demo import DemoSeed
from livecart.media.clients import WhipPublisher
from livecart.media.synthetic import PatternTrack
from tests.browser.harness import PLAYING, Pages, screenshots, wait_until
from tests.support import ADMIN_TOKEN, free_port

SERUM = "Glow Serum 30 ml"
ALLOWED_PORT, REFUSED_PORT = free_port(), free_port()
ALLOWED = f"http://127.0.0.1:{ALLOWED_PORT}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store=f"sqlite:///{tmp_path / 'livecart.db'}", admin_token=ADMIN_TOKEN, embed_origins=(ALLOWED,))


@pytest.fixture
async def brand_sites(base_url: str) -> AsyncIterator[dict[str, str]]:
    """Two brand sites on other origins (other ports), each a page with the snippet; only the first is
    listed in LIVECART_EMBED_ORIGINS."""

    async def shop(request: web.Request) -> web.Response:
        show_id = request.match_info["show_id"]
        html = (
            '<!doctype html><html><head><title>Aurora Beauty</title><link rel="icon" href="data:,"></head>'
            "<body><h1>Aurora Beauty live</h1>"
            f'<script src="{base_url}/embed.js" data-show="{show_id}" async></script></body></html>'
        )
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/live/{show_id}", shop)
    runner = web.AppRunner(app)
    await runner.setup()
    sites = [web.TCPSite(runner, "127.0.0.1", port) for port in (ALLOWED_PORT, REFUSED_PORT)]
    for site in sites:
        await site.start()
    yield {"allowed": ALLOWED, "refused": f"http://127.0.0.1:{REFUSED_PORT}"}
    await runner.cleanup()


async def player(page: Page) -> Frame:
    await expect(page.locator("iframe[data-livecart-show]")).to_have_count(1)
    handle = await page.locator("iframe[data-livecart-show]").element_handle()
    assert handle is not None
    frame = await handle.content_frame()
    assert frame is not None
    return frame


async def test_the_snippet_plays_the_show_on_a_listed_site_and_is_refused_elsewhere(
    demo: DemoSeed, pages: Pages, brand_sites: dict[str, str], client: TestClient[Any, Any]
) -> None:
    async with aiohttp.ClientSession() as http:
        publisher = await WhipPublisher.start(
            http, str(client.make_url(f"/whip/{demo.show_id}")), demo.host_token, PatternTrack(), AudioStreamTrack()
        )
        try:
            async with http.post(
                str(client.make_url(f"/api/shows/{demo.show_id}/pins")),
                json={"product_id": demo.product_ids[2]},
                headers={"Authorization": f"Bearer {demo.brand_token}"},
            ) as pinned:
                assert pinned.status == 201

            shop = await pages.open(f"{brand_sites['allowed']}/live/{demo.show_id}", who="brand site")
            frame = await player(shop)
            assert frame.url.endswith(f"/embed/{demo.show_id}")
            await wait_until(frame, PLAYING, timeout_s=30)
            card = frame.get_by_role("article", name=SERUM)
            await expect(card).to_contain_text("€34.50")
            await expect(frame.locator("#chat")).to_be_hidden()  # compact: no chat
            await frame.get_by_label("Pick a display name to chat and shop").fill("Sam Buyer")
            await frame.get_by_role("button", name="Join").click()
            await card.get_by_role("button", name=f"Add to cart: {SERUM}").click()
            await expect(frame.locator("#cart-count")).to_have_text("1")
            await screenshots(shop, "embed-on-brand-site")

            pages.expect_console_error("frame-ancestors")
            elsewhere = await pages.open(f"{brand_sites['refused']}/live/{demo.show_id}", who="unlisted site")
            refused = await player(elsewhere)
            await elsewhere.wait_for_timeout(1500)
            assert await refused.locator("#video").count() == 0  # the frame was blocked: no player in it
        finally:
            await publisher.stop()

        async with (
            http.get(str(client.make_url(f"/embed/{demo.show_id}"))) as embed,
            http.get(str(client.make_url(f"/watch/{demo.show_id}"))) as watch,
        ):
            assert f"frame-ancestors 'self' {ALLOWED}" in embed.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in watch.headers["Content-Security-Policy"]
