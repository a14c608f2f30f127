"""The rough edges issue 17 found, each driven in Chromium as a user met it: the studio's chat at laptop
width, "one more" past the per-buyer limit, ending a show (confirm, camera off, nothing left on screen),
and a second studio tab while the first one is live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Page, expect

from livecart import keys
from livecart.config import Settings
from livecart.demo import DemoSeed
from livecart.domain.models import ShowStatus
from tests.browser.harness import DESKTOP, PHONE, PLAYING, Pages, wait_until
from tests.support import ADMIN_TOKEN, Api

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

SERUM = "Glow Serum 30 ml"
LIMIT = 2


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store=f"sqlite:///{tmp_path / 'livecart.db'}", admin_token=ADMIN_TOKEN, max_qty_per_buyer=LIMIT)


async def join_as(page: Page, name: str) -> None:
    await page.get_by_label("Pick a display name to chat and shop").fill(name)
    await page.get_by_role("button", name="Join").click()
    await expect(page.locator("#signed-in")).to_have_text(f"Chatting as {name}.")


async def go_live(pages: Pages, demo: DemoSeed, who: str = "host") -> Page:
    studio = await pages.open(f"/studio/{demo.show_id}#token={demo.host_token}", who=who)
    await wait_until(studio, "document.querySelector('#preview').videoWidth > 0")
    await studio.get_by_role("button", name="Go live").click()
    await expect(studio.locator("#status")).to_have_text("Live", timeout=20_000)
    await expect(studio.locator("#health")).to_have_text("connected", timeout=20_000)
    return studio


async def test_the_studio_chat_is_readable_at_laptop_width(demo: DemoSeed, pages: Pages) -> None:
    studio = await pages.open(f"/studio/{demo.show_id}#token={demo.host_token}", viewport=DESKTOP)
    await expect(studio.locator("#lineup li")).to_have_count(3)
    await studio.get_by_role("textbox", name="Message to your viewers").fill("Welcome, everyone!")
    await studio.get_by_role("button", name="Send").click()
    message = studio.locator("#chat li", has_text="Welcome, everyone!")
    await expect(message).to_be_visible()
    height = await studio.evaluate("document.querySelector('#chat').getBoundingClientRect().height")
    assert height >= 200, f"the studio chat is {height} px tall at 1280 px"


async def test_one_more_past_the_limit_keeps_the_line_and_says_why(
    client: TestClient[Any, Any], demo: DemoSeed, api: Api, pages: Pages
) -> None:
    pages.expect_http_error(409)  # the refused third unit, on purpose
    serum = demo.product_ids[2]
    await client.app[keys.SERVICES].store.set_show_status(demo.show_id, ShowStatus.LIVE)
    await api.call("POST", f"/api/shows/{demo.show_id}/pins", 201, token=demo.host_token, json={"product_id": serum})

    page = await pages.open(f"/watch/{demo.show_id}", viewport=PHONE, who="viewer")
    await join_as(page, "Sam Buyer")
    await page.get_by_role("button", name=f"Add to cart: {SERUM}").click()
    await expect(page.locator("#cart-count")).to_have_text("1")
    await page.locator("#cart-button").click()
    quantity = page.get_by_label(f"Quantity of {SERUM}")
    await page.get_by_role("button", name=f"One more {SERUM}").click()
    await expect(quantity).to_have_text("2")
    await page.get_by_role("button", name=f"One more {SERUM}").click()  # a third one: over the limit
    await expect(page.locator("#cart-error")).to_contain_text(f"at most {LIMIT}")
    await expect(page.locator("#cart-error")).to_contain_text(SERUM)
    await page.wait_for_timeout(500)  # the cart is read back after the refusal
    await expect(quantity).to_have_text("2")
    await expect(page.locator("#cart-error")).to_contain_text(f"at most {LIMIT}")
    await expect(page.locator("#cart-count")).to_have_text("2")


async def test_one_less_sets_the_quantity_in_one_request_and_the_line_keeps_its_place(
    client: TestClient[Any, Any], demo: DemoSeed, api: Api, pages: Pages
) -> None:
    pages.expect_http_error(409)  # WHEP: the show is live with no camera yet
    lipstick, serum = demo.product_ids[0], demo.product_ids[2]
    await client.app[keys.SERVICES].store.set_show_status(demo.show_id, ShowStatus.LIVE)
    for product_id in (serum, lipstick):
        await api.call("POST", f"/api/shows/{demo.show_id}/pins", 201, token=demo.host_token,
                       json={"product_id": product_id})  # fmt: skip
    page = await pages.open(f"/watch/{demo.show_id}", viewport=PHONE, who="viewer")
    await join_as(page, "Sam Buyer")
    await page.get_by_role("button", name=f"Add to cart: {SERUM}").click()
    await expect(page.locator("#cart-count")).to_have_text("1")
    await page.get_by_role("button", name="Add to cart: Ruby Velvet Lipstick").click()
    await expect(page.locator("#cart-count")).to_have_text("2")
    await page.locator("#cart-button").click()
    await page.get_by_role("button", name=f"One more {SERUM}").click()
    quantity = page.get_by_label(f"Quantity of {SERUM}")
    await expect(quantity).to_have_text("2")

    sent: list[tuple[str, str, str | None]] = []
    page.on("request", lambda request: sent.append((request.method, request.url, request.post_data)))
    await page.get_by_role("button", name=f"One less {SERUM}").click()
    await expect(quantity).to_have_text("1")
    changes = [(method, body) for method, url, body in sent if "/cart/items" in url]
    assert changes == [("PATCH", '{"qty":1}')], changes  # not a removal and an add
    lines = page.locator("#cart-lines .cart-line")
    await expect(lines).to_have_count(2)
    assert await lines.nth(0).get_attribute("data-product-id") == serum  # still first: the line was never removed
    await page.get_by_role("button", name=f"One less {SERUM}").click()
    await expect(lines).to_have_count(1)
    assert await lines.nth(0).get_attribute("data-product-id") == lipstick


async def test_ending_a_show_asks_first_turns_the_camera_off_and_clears_the_screen(
    demo: DemoSeed, pages: Pages
) -> None:
    studio = await go_live(pages, demo)
    await studio.get_by_role("button", name=f"Pin {SERUM}").click()
    await expect(studio.locator("#lineup .badge-live")).to_have_count(1)
    viewer = await pages.open(f"/watch/{demo.show_id}", viewport=PHONE, who="viewer")
    await wait_until(viewer, PLAYING, timeout_s=30)
    await expect(viewer.get_by_role("article", name=SERUM)).to_be_visible()

    # One click only asks; "Keep streaming" (or Escape) leaves the show as it was.
    await studio.get_by_role("button", name="End show").click()
    confirm = studio.get_by_role("group", name="End the show for everyone?")
    await expect(confirm).to_be_visible()
    await expect(studio.get_by_role("button", name="Keep streaming")).to_be_focused()
    await studio.get_by_role("button", name="Keep streaming").click()
    await expect(confirm).to_be_hidden()
    await studio.wait_for_timeout(500)
    await expect(viewer.locator("#status")).to_have_text("Live")
    await expect(studio.locator("#health")).to_have_text("connected")

    await studio.get_by_role("button", name="End show").click()
    await studio.get_by_role("button", name="Yes, end the show").click()
    await expect(viewer.locator("#status")).to_have_text("Ended", timeout=20_000)
    await expect(viewer.get_by_role("article", name=SERUM)).to_have_count(0)
    await expect(studio.locator("#status")).to_have_text("Ended", timeout=20_000)
    await expect(studio.locator("#lineup .badge-live")).to_have_count(0)
    assert await studio.evaluate("document.querySelector('#preview').srcObject") is None
    await expect(studio.get_by_role("button", name="Show ended")).to_be_disabled()

    # A viewer who opens the page afterwards sees no product either.
    late = await pages.open(f"/watch/{demo.show_id}", viewport=PHONE, who="late viewer")
    await expect(late.locator("#status")).to_have_text("Ended")
    await late.wait_for_timeout(500)
    await expect(late.get_by_role("article", name=SERUM)).to_have_count(0)


async def test_a_second_studio_tab_shows_that_the_show_is_live(demo: DemoSeed, pages: Pages) -> None:
    await go_live(pages, demo)
    second = await pages.open(f"/studio/{demo.show_id}#token={demo.host_token}", who="second tab")
    await expect(second.locator("#status")).to_have_text("Live")
    await expect(second.locator("#lineup li")).to_have_count(3)
    await second.wait_for_timeout(1500)
    await expect(second.locator("#health")).to_have_text("live, not from this tab")
