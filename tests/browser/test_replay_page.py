"""The replay page in Chromium: a show recorded from a real WHIP publisher while the host pinned a
product; the page lists it as a chapter (tap: the video jumps there), shows its card only from the
moment it was pinned, opens at `?t=` on that moment, and a viewer buys it from the replay — an order
marked `source: "replay"` that pays the host the same commission. The ended show's watch page links
to the replay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Page, expect

from livecart.keys import SERVICES
from livecart.media.clients import WhipPublisher
from livecart.media.hub import MediaHub
from livecart.media.synthetic import EncodedLoopTrack
from tests.api.commerce_scene import Scene, make_scene
from tests.browser.harness import Pages, screenshots, wait_until
from tests.browser.test_show_flow import fill_checkout, order_number
from tests.media.test_recording import CLIPS, FPS, eventually, recording_of
from tests.support import Api

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def recorded_show(api: Api, client: TestClient[Any, Any], http: aiohttp.ClientSession) -> tuple[Scene, int]:
    """A 4 s show: the serum pinned from about 1.5 s to the end. Returns the scene and the pin's at_ms."""
    scene = await make_scene(api, {"title": "Glow serum", "price_cents": 2900, "commission_bps": 1500})
    hub: MediaHub = client.app[SERVICES].media
    publisher = await WhipPublisher.start(
        http,
        str(client.make_url(f"/whip/{scene.show_id}")),
        scene.host["token"],
        EncodedLoopTrack(CLIPS["vp8"], FPS),
        video_codec="video/VP8",
    )
    await eventually(lambda: (hub.recording_ms(scene.show_id) or 0) >= 1500)
    await scene.pin(scene.products[0])
    await eventually(lambda: (hub.recording_ms(scene.show_id) or 0) >= 4000)
    recording = recording_of(hub, scene.show_id)
    await publisher.stop()  # the show pauses; the host ends it
    await api.call("POST", f"/api/shows/{scene.show_id}/end", 200, token=scene.host["token"])
    await asyncio.to_thread(recording.join, 10)
    await client.app[SERVICES].timeline.flush()
    replay = await api.call("GET", f"/api/shows/{scene.show_id}/replay", 200)
    [chapter] = replay["chapters"]
    return scene, int(chapter["at_ms"])


async def current_time(page: Page) -> float:
    value: float = await page.evaluate("document.querySelector('#video').currentTime")
    return value


CARD_APPEARS_AT = """async (from) => {
  const video = document.querySelector('#video');
  video.muted = true;
  const shown = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (document.querySelector('#pins .product-card')) { observer.disconnect(); resolve(video.currentTime); }
    });
    observer.observe(document.querySelector('#pins'), {childList: true});
  });
  video.currentTime = from;
  await new Promise((resolve) => video.addEventListener('seeked', resolve, {once: true}));
  const before = document.querySelectorAll('#pins .product-card').length;
  await video.play();
  return {before, at: await shown};
}"""


async def test_the_replay_shows_the_product_when_it_was_pinned_and_sells_it_as_a_replay_order(
    api: Api, client: TestClient[Any, Any], http: aiohttp.ClientSession, pages: Pages
) -> None:
    scene, pinned_ms = await recorded_show(api, client, http)
    product = scene.products[0]
    pinned_s = pinned_ms / 1000

    # A shared moment: ?t= opens there, with the product on screen.
    moment = await pages.open(f"/replay/{scene.show_id}?t={int(pinned_s) + 1}", who="moment")
    await wait_until(moment, "document.querySelector('#video').readyState >= 1")
    await expect(moment.locator(f"#pins [data-product-id='{product['id']}']")).to_be_visible()
    assert abs(await current_time(moment) - (int(pinned_s) + 1)) < 0.3

    # From the start: no card; the chapter list names the product; playing, the card appears with its frame.
    page = await pages.open(f"/replay/{scene.show_id}", who="replay viewer")
    await wait_until(page, "document.querySelector('#video').readyState >= 1")
    await expect(page.locator("#chapters button")).to_have_count(1)
    await expect(page.locator("#chapters button")).to_contain_text("Glow serum")
    await expect(page.locator("#pins .product-card")).to_have_count(0)
    played = await page.evaluate(CARD_APPEARS_AT, max(0.0, pinned_s - 0.8))
    assert played["before"] == 0
    assert pinned_s - 0.05 <= played["at"] <= pinned_s + 0.25, (played, pinned_s)

    # Tapping the chapter jumps to where the product was shown.
    await page.evaluate("document.querySelector('#video').pause(); document.querySelector('#video').currentTime = 0")
    await expect(page.locator("#pins .product-card")).to_have_count(0)
    await page.locator("#chapters button").click()
    assert abs(await current_time(page) - pinned_s) < 0.3
    await expect(page.locator(f"#pins [data-product-id='{product['id']}']")).to_be_visible()

    # Buying from the replay works like live.
    await page.get_by_label("Pick a display name to shop").fill("Ada Replay")
    await page.get_by_role("button", name="Go").click()
    await expect(page.locator("#signed-in")).to_have_text("Shopping as Ada Replay.")
    await page.get_by_role("button", name="Add Glow serum to cart").click()
    await expect(page.locator("#cart-count")).to_have_text("1")
    await page.locator("#cart-button").click()
    await fill_checkout(page, "4242 4242 4242 4242")
    await expect(page.locator("#checkout-ok")).to_contain_text("Thank you! You paid")
    order_id = order_number(await page.locator("#done-order").text_content())
    await screenshots(page, "replay")

    order = await api.call("GET", f"/api/orders/{order_id}", 200, token=scene.host["token"])
    assert order["source"] == "replay"
    assert order["commission_cents"] == 2900 * 1500 // 10000
    earnings = await api.call("GET", f"/api/hosts/{scene.host['id']}/earnings", 200, token=scene.host["token"])
    assert earnings["earned_cents"] == order["commission_cents"]

    # The ended show's watch page leads to the replay.
    watch = await pages.open(f"/watch/{scene.show_id}", who="late viewer")
    await expect(watch.locator("#replay-link")).to_have_attribute("href", f"/replay/{scene.show_id}")
