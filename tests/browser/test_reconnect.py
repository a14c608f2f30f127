"""The watch page reconnects by itself and says so while it does (the network taken away and given
back with Playwright's offline mode, which drops the page's websocket)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from livecart.demo import DemoSeed
from tests.browser.harness import PLAYING, Pages, wait_until

pytestmark = pytest.mark.browser


async def test_the_live_room_reconnects_and_says_so(demo: DemoSeed, pages: Pages) -> None:
    pages.expect_console_error("ERR_INTERNET_DISCONNECTED")  # requests while the network is away
    page = await pages.open(f"/watch/{demo.show_id}")
    await page.get_by_label("Pick a display name to chat and shop").fill("Sam Buyer")
    await page.get_by_role("button", name="Join").click()
    await expect(page.locator("#notice")).to_be_empty()
    await page.context.set_offline(True)  # the network drops
    await expect(page.locator("#notice")).to_contain_text(re.compile("Reconnecting|Retrying"), timeout=60_000)
    await page.context.set_offline(False)
    await expect(page.locator("#notice")).to_be_empty(timeout=30_000)
    await page.get_by_role("textbox", name="Chat message").fill("still here")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#chat")).to_contain_text("still here")


@pytest.mark.timeout(240)
async def test_the_video_comes_back_when_the_host_publishes_again(demo: DemoSeed, pages: Pages) -> None:
    studio = await pages.open(f"/studio/{demo.show_id}#token={demo.host_token}", who="host")
    await wait_until(studio, "document.querySelector('#preview').videoWidth > 0")
    await studio.get_by_role("button", name="Go live").click()
    await expect(studio.locator("#health")).to_have_text("connected", timeout=20_000)
    viewer = await pages.open(f"/watch/{demo.show_id}", who="viewer")
    await wait_until(viewer, PLAYING, timeout_s=30)

    await studio.reload()  # the host's browser loses the broadcast, within the grace period
    await wait_until(studio, "document.querySelector('#preview').videoWidth > 0")
    await studio.get_by_role("button", name="Resume streaming").click()
    await expect(studio.locator("#health")).to_have_text("connected", timeout=20_000)

    before = await viewer.evaluate("document.querySelector('#video').currentTime")
    await wait_until(viewer, f"document.querySelector('#video').currentTime > {before} + 2", timeout_s=45)
    await expect(viewer.locator("#status")).to_have_text("Live")
