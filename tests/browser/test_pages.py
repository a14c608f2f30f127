"""The pages in a real Chromium against a real server: what works with the foundation alone (shows,
accounts, catalog). Any console error or uncaught page error fails a test (see conftest.pages)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Dialog, Route, expect

from livecart import keys
from livecart.demo import DemoSeed
from livecart.domain.models import ShowStatus
from tests.browser.harness import PHONE, Pages, screenshots, wait_until
from tests.support import Api

pytestmark = pytest.mark.browser

XSS = '<img src=x onerror="window.__xss=1">'


async def test_index_lists_live_and_upcoming_shows(client: TestClient[Any, Any], api: Api, pages: Pages) -> None:
    store = client.app[keys.SERVICES].store
    host = await api.create_account("host", "Mia Live")
    live = await api.create_show(host["token"], "Sneaker Drop Live")
    upcoming = await api.create_show(host["token"], "Sunday Skincare")
    ended = await api.create_show(host["token"], "Last Week's Show")
    await store.set_show_status(live["id"], ShowStatus.LIVE)
    await store.set_show_status(ended["id"], ShowStatus.ENDED)

    page = await pages.open("/")
    live_list = page.locator("#live-shows")
    await expect(live_list.locator("li")).to_have_count(1)
    await expect(live_list).to_contain_text("Sneaker Drop Live")
    await expect(live_list.get_by_role("link", name="Watch Sneaker Drop Live")).to_have_attribute(
        "href", f"/watch/{live['id']}"
    )
    await expect(page.locator("#upcoming-shows")).to_contain_text("Sunday Skincare")
    await expect(page.locator("body")).not_to_contain_text("Last Week's Show")
    assert upcoming["id"] in await page.locator("#upcoming-shows a").get_attribute("href")  # type: ignore[operator]
    await screenshots(page, "index")


async def test_the_watch_page_shows_a_scheduled_show(demo: DemoSeed, pages: Pages) -> None:
    page = await pages.open(f"/watch/{demo.show_id}", viewport=PHONE)
    await expect(page.locator("#show-title")).to_have_text("Friday Glow-Up with Mia")
    await expect(page.locator("#status")).to_have_text("Scheduled")
    await expect(page.locator("#stage-text")).to_contain_text("starts")
    await expect(page.get_by_label("Pick a display name to chat and shop")).to_be_visible()
    await screenshots(page, "watch-scheduled")


async def test_the_viewer_picks_a_name_once_and_the_token_is_kept(demo: DemoSeed, api: Api, pages: Pages) -> None:
    page = await pages.open(f"/watch/{demo.show_id}")
    await page.get_by_label("Pick a display name to chat and shop").fill("Sam Buyer")
    await page.get_by_role("button", name="Join").click()
    await expect(page.locator("#signed-in")).to_have_text("Chatting as Sam Buyer.")
    await expect(page.locator("#name-form")).to_be_hidden()

    saved = json.loads(await page.evaluate("localStorage.getItem('livecart.viewer')"))
    me = await api.call("GET", "/api/me", 200, token=saved["token"])
    assert me == {**me, "id": saved["id"], "role": "viewer", "name": "Sam Buyer"}

    await page.reload()
    await expect(page.locator("#signed-in")).to_have_text("Chatting as Sam Buyer.")
    await expect(page.locator("#name-form")).to_be_hidden()
    assert json.loads(await page.evaluate("localStorage.getItem('livecart.viewer')"))["token"] == saved["token"]


async def test_an_empty_name_is_refused_next_to_the_field(demo: DemoSeed, pages: Pages) -> None:
    page = await pages.open(f"/watch/{demo.show_id}")
    await page.get_by_role("button", name="Join").click()
    await expect(page.locator("#viewer-name-error")).to_contain_text("Type a name")
    await expect(page.get_by_label("Pick a display name to chat and shop")).to_have_attribute("aria-invalid", "true")
    assert await page.evaluate("localStorage.getItem('livecart.viewer')") is None


async def test_the_studio_takes_the_token_from_the_fragment_and_previews_the_camera(
    demo: DemoSeed, pages: Pages
) -> None:
    page = await pages.open(f"/studio/{demo.show_id}#token={demo.host_token}")
    await expect(page.locator("#show-title")).to_have_text("Friday Glow-Up with Mia")
    assert "token" not in page.url
    assert await page.evaluate("sessionStorage.getItem('livecart.host.token')") == demo.host_token
    await expect(page.locator("#lineup li")).to_have_count(3)
    await expect(page.locator("#lineup")).to_contain_text("Cloudstep Sneakers")
    await wait_until(page, "document.querySelector('#preview').videoWidth > 0")
    assert await page.get_by_label("Camera", exact=True).locator("option").count() >= 1
    assert await page.get_by_label("Microphone", exact=True).locator("option").count() >= 1
    await screenshots(page, "studio")

    await page.reload()  # the token stays for this tab, out of the address bar
    await expect(page.locator("#lineup li")).to_have_count(3)


async def test_the_studio_asks_for_a_token_when_there_is_none(demo: DemoSeed, pages: Pages) -> None:
    page = await pages.open(f"/studio/{demo.show_id}")
    await expect(page.get_by_label("Host token")).to_be_visible()
    await page.get_by_label("Host token").fill(demo.host_token)
    await page.get_by_role("button", name="Open the studio").click()
    await expect(page.locator("#lineup li")).to_have_count(3)


async def test_the_brand_console_lists_and_edits_the_catalog(demo: DemoSeed, api: Api, pages: Pages) -> None:
    page = await pages.open(f"/brand#token={demo.brand_token}")
    await expect(page.locator("#brand-name")).to_contain_text("Aurora Beauty")
    await expect(page.locator("#catalog tr")).to_have_count(3)
    await expect(page.locator("#shows")).to_contain_text("Friday Glow-Up with Mia")
    await screenshots(page, "brand")

    serum = demo.product_ids[2]
    await page.get_by_label("Stock of Glow Serum 30 ml").fill("7")
    await page.get_by_label("Commission % for Glow Serum 30 ml").fill("12.5")
    await page.get_by_role("button", name="Save Glow Serum 30 ml").click()
    await expect(page.locator("#catalog-ok")).to_contain_text("Saved Glow Serum 30 ml")
    product = await api.call("GET", f"/api/products/{serum}", 200)
    assert (product["stock"], product["commission_bps"]) == (7, 1250)

    await page.get_by_label("Stock of Glow Serum 30 ml").fill("-2")
    await page.get_by_role("button", name="Save Glow Serum 30 ml").click()
    await expect(page.locator("#catalog-error")).to_contain_text("Stock of Glow Serum 30 ml must be a whole number")
    await expect(page.get_by_label("Stock of Glow Serum 30 ml")).to_have_attribute("aria-invalid", "true")
    assert (await api.call("GET", f"/api/products/{serum}", 200))["stock"] == 7


async def test_the_brand_console_shows_the_show_panel(demo: DemoSeed, pages: Pages) -> None:
    page = await pages.open(f"/brand#token={demo.brand_token}", viewport=PHONE)
    await page.get_by_role("button", name="Open Friday Glow-Up with Mia").click()
    await expect(page.locator("#live-title")).to_have_text("Friday Glow-Up with Mia")
    await expect(page.locator("#pins li")).to_have_count(3)
    await expect(page.locator("#pins-hint")).to_have_text("Pinning opens when the show is live.")
    await screenshots(page, "brand-show")


async def test_text_from_users_renders_literally(client: TestClient[Any, Any], api: Api, pages: Pages) -> None:
    brand = await api.create_account("brand", f"Evil {XSS}")
    host = await api.create_account("host", "Host")
    product = await api.create_product(brand["token"], title=f"Lipstick {XSS}")
    show = await api.create_show(host["token"], title=f"Show {XSS}")
    lineup = {"product_id": product["id"]}
    await api.call("POST", f"/api/shows/{show['id']}/lineup", 201, token=host["token"], json=lineup)

    page_dialogs: list[str] = []

    async def on_dialog(dialog: Dialog) -> None:
        page_dialogs.append(dialog.message)
        await dialog.dismiss()

    index = await pages.open("/")
    index.on("dialog", on_dialog)
    await expect(index.locator("#upcoming-shows")).to_contain_text(f"Show {XSS}")

    console = await pages.open(f"/brand#token={brand['token']}")
    console.on("dialog", on_dialog)
    await expect(console.locator("#catalog")).to_contain_text(f"Lipstick {XSS}")
    await expect(console.locator("#brand-name")).to_contain_text(f"Evil {XSS}")

    watch = await pages.open(f"/watch/{show['id']}")
    await expect(watch.locator("#show-title")).to_have_text(f"Show {XSS}")
    for page in (index, console, watch):
        assert await page.locator('img[src="x"]').count() == 0
        assert await page.evaluate("window.__xss") is None
    assert page_dialogs == []


async def test_the_console_guard_sees_errors_and_failed_requests(demo: DemoSeed, pages: Pages) -> None:
    page = await pages.open("/")
    await page.evaluate("console.error('boom')")
    await page.evaluate("fetch('/api/no-such-thing').catch(() => null)")
    await page.wait_for_timeout(300)
    recorded = list(pages.errors)
    pages.errors.clear()  # this test provoked them on purpose
    assert any("boom" in error for error in recorded), recorded
    assert any("404" in error for error in recorded), recorded


async def test_a_forgotten_viewer_token_asks_for_a_name_again(demo: DemoSeed, pages: Pages) -> None:
    page = await pages.open(f"/watch/{demo.show_id}")
    stale = json.dumps({"id": "vwr_gone", "name": "Ghost", "token": "no-such-token-0123456789"})
    await page.evaluate(f"localStorage.setItem('livecart.viewer', {json.dumps(stale)})")
    await page.reload()
    await expect(page.locator("#viewer-name-error")).to_contain_text("Pick a name again")
    await expect(page.locator("#name-form")).to_be_visible()
    assert await page.evaluate("localStorage.getItem('livecart.viewer')") is None


async def test_a_reply_unlike_protocol_js_fails_the_test(demo: DemoSeed, pages: Pages) -> None:
    page = await pages.open("/")
    await expect(page.locator("#upcoming-shows")).to_contain_text("Friday Glow-Up with Mia")
    assert pages.checked >= 1  # the real GET /api/shows, read as protocol.js says
    assert pages.shape_errors == []

    async def renamed(route: Route) -> None:  # a server that renamed `shows`
        await route.fulfill(status=200, content_type="application/json", body=json.dumps({"items": []}))

    await page.route("**/api/shows", renamed)
    await page.reload()
    await expect(page.locator("#error")).to_contain_text("Could not load the shows")
    for _ in range(50):  # the recorder reads the body in the background
        if pages.shape_errors:
            break
        await asyncio.sleep(0.1)
    recorded = list(pages.shape_errors)
    pages.shape_errors.clear()  # provoked on purpose
    assert recorded == [
        "page: GET /api/shows: ShowList.items: sent by the server, missing from ShowList",
        "page: GET /api/shows: ShowList.shows: in ShowList, not sent by the server",
    ]
