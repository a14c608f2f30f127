"""The watch page on a phone (375×812) is one screen, like a live-shopping app: the video fills it
letterboxed (never cropped), chat, the product card, reactions and the message box are over it and in
view, nothing scrolls the video away (not the chat, not the on-screen keyboard), and an error shows up
where the viewer is looking. A desktop keeps the side panel."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from livecart.demo import DemoSeed
from tests.browser.harness import DESKTOP, PHONE, PLAYING, Pages, screenshots, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

SERUM = "Glow Serum 30 ml"
CARD = '#pins [aria-label="Glow Serum 30 ml"]'


async def box(page: Page, selector: str) -> dict[str, float]:
    found: dict[str, float] = await page.evaluate(
        """(selector) => {
          const r = document.querySelector(selector).getBoundingClientRect();
          return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height};
        }""",
        selector,
    )
    return found


async def in_view(page: Page, selector: str) -> bool:
    r = await box(page, selector)
    size = await page.evaluate("({w: innerWidth, h: innerHeight})")
    return r["width"] > 0 and r["top"] >= 0 and r["left"] >= 0 and r["bottom"] <= size["h"] and r["right"] <= size["w"]


async def page_scrolls(page: Page) -> bool:
    scrolls: bool = await page.evaluate(
        "document.scrollingElement.scrollHeight > innerHeight || document.scrollingElement.scrollTop > 0"
    )
    return scrolls


async def test_the_phone_watch_page_is_one_screen_with_the_video_uncropped(demo: DemoSeed, pages: Pages) -> None:
    studio = await pages.open(f"/studio/{demo.show_id}#token={demo.host_token}", who="host")
    await wait_until(studio, "document.querySelector('#preview').videoWidth > 0")
    await studio.get_by_role("button", name="Go live").click()
    await expect(studio.locator("#health")).to_have_text("connected", timeout=20_000)
    await studio.get_by_role("button", name=f"Pin {SERUM}").click()

    page = await pages.open(f"/watch/{demo.show_id}", viewport=PHONE, who="viewer")
    await wait_until(page, PLAYING, timeout_s=30)
    # Before joining: the name form is in the first screen, with the card and the video.
    for selector in ("#video", "#viewer-name", CARD, "#reaction-bar", "#cart-button"):
        assert await in_view(page, selector), selector
    await page.get_by_label("Pick a display name to chat and shop").fill("Sam Buyer")
    await page.get_by_role("button", name="Join").click()
    await expect(page.locator("#signed-in")).to_contain_text("Sam Buyer")

    # Letterboxed: the video element covers the stage and shows the whole frame (contain, not cover).
    assert await page.evaluate("getComputedStyle(document.querySelector('#video')).objectFit") == "contain"
    video, stage = await box(page, "#video"), await box(page, ".stage")
    assert (video["width"], video["height"]) == (stage["width"], stage["height"])
    assert stage["height"] > 600  # the video has the whole screen under the top bar

    for selector in ("#video", "#chat", "#chat-input", CARD, "#reaction-bar"):
        assert await in_view(page, selector), selector
    assert not await page_scrolls(page)
    top = video["top"]

    # Chatting (up to the rate limit) scrolls nothing away; the refusal is shown above the message box.
    for number in range(6):
        await page.get_by_role("textbox", name="Chat message").fill(f"message {number}")
        await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#action-error")).not_to_be_empty()
    assert await in_view(page, "#action-error")
    assert (await box(page, "#action-error"))["bottom"] <= (await box(page, "#chat-input"))["top"]
    await expect(page.locator("#chat")).to_contain_text("message 4")
    assert not await page_scrolls(page)
    assert (await box(page, "#video"))["top"] == top
    await screenshots(page, "watch-phone")

    # The on-screen keyboard takes 320 px: the page follows the visual viewport, the box stays above it.
    await page.get_by_role("textbox", name="Chat message").focus()
    await page.set_viewport_size({"width": 375, "height": 812 - 320})
    await page.wait_for_timeout(200)
    for selector in ("#chat-input", "#show-title"):
        assert await in_view(page, selector), selector
    assert (await box(page, ".stage"))["top"] == top
    assert not await page_scrolls(page)


async def test_a_desktop_keeps_the_side_panel(demo: DemoSeed, pages: Pages) -> None:
    page = await pages.open(f"/watch/{demo.show_id}", viewport=DESKTOP)
    await expect(page.locator("#status")).to_have_text("Scheduled")
    stage, side = await box(page, ".stage"), await box(page, ".side")
    assert side["left"] >= stage["right"] - 1
    assert side["width"] == 380
    assert await in_view(page, "#viewer-name")
    assert not await page_scrolls(page)
