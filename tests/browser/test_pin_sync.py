"""Pins on the frame, in Chromium: a synthetic publisher turns its picture from blue to red at the
instant the host pins a product; the watch page's video reaches the viewer 1.5 s late (a test-only
delay on that viewer's frames, `ViewerTrack.test_only_delay_s`, as a slow path or an edge relay
would). The page holds the `pin` event until `requestVideoFrameCallback` presents a frame at its
`media_time`: the card appears within 100 ms of the first red frame (a canvas probe reads every
presented frame), not 1.5 s before it. With the viewer's video frozen, a pin still appears within 3 s."""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import av
import pytest
from aiohttp.test_utils import TestClient
from aiortc.mediastreams import VideoStreamTrack
from playwright.async_api import Page, expect

from livecart.keys import SERVICES
from livecart.media.clients import WhipPublisher
from livecart.media.hub import MediaHub
from tests.api.commerce_scene import Scene, make_scene
from tests.browser.harness import PLAYING, Pages, wait_until
from tests.support import Api

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

BLUE = (41, 240, 110)  # Y, U, V
RED = (81, 90, 240)
DELAY_S = 1.5
FROZEN_S = 60.0


class ColourTrack(VideoStreamTrack):
    """Solid-colour 320x240 frames at 30 fps; `colour` changes what the next frame is."""

    def __init__(self) -> None:
        super().__init__()
        self.colour = BLUE

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(320, 240, "yuv420p")
        for plane, value in zip(frame.planes, self.colour, strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts = pts
        frame.time_base = fractions.Fraction(time_base)
        return frame


# In the page: the first presented red frame (rVFC + a canvas probe) and when a card appeared, on the
# page's clock (performance.now()).
PROBE = """() => {
  const video = document.querySelector('#video');
  const canvas = document.createElement('canvas');
  canvas.width = 8; canvas.height = 8;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const probe = window.probe = {red: null, redRtp: null, cards: {}};
  const onFrame = (now, metadata) => {
    ctx.drawImage(video, 0, 0, 8, 8);
    const [r, g, b] = ctx.getImageData(4, 4, 1, 1).data;
    if (probe.red === null && r > 150 && b < 100) {
      probe.red = performance.now();
      probe.redRtp = metadata.rtpTimestamp;
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  new MutationObserver(() => {
    for (const card of document.querySelectorAll('#pins .product-card')) {
      probe.cards[card.dataset.productId] ??= performance.now();
    }
  }).observe(document.querySelector('#pins'), {childList: true});
}"""


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def delay_viewers(hub: MediaHub, show_id: str, seconds: float) -> int:
    """TEST ONLY: hold every frame of the show's viewers on this node `seconds` before sending it."""
    broadcast = hub.broadcast(show_id)
    assert broadcast is not None
    tracks = [track for viewer in broadcast.viewers.values() for track in viewer.tracks]
    for track in tracks:
        track.test_only_delay_s = seconds
    return len(tracks)


async def page_now(page: Page) -> float:
    value: float = await page.evaluate("performance.now()")
    return value


async def pin(api: Api, scene: Scene, product: dict[str, Any]) -> None:
    await api.call(
        "POST", f"/api/shows/{scene.show_id}/pins", 201, token=scene.host["token"], json={"product_id": product["id"]}
    )


async def test_a_late_viewer_sees_the_pin_with_its_frame_and_a_frozen_one_within_3_s(
    api: Api, client: TestClient[Any, Any], http: aiohttp.ClientSession, pages: Pages
) -> None:
    scene = await make_scene(api, {"title": "Glow serum"}, {"title": "Night cream", "sku": "SKU-NC"})
    hub: MediaHub = client.app[SERVICES].media
    camera = ColourTrack()
    publisher = await WhipPublisher.start(
        http, str(client.make_url(f"/whip/{scene.show_id}")), scene.host["token"], camera, video_codec="video/VP8"
    )
    try:
        page = await pages.open(f"/watch/{scene.show_id}", who="late viewer")
        await wait_until(page, PLAYING, timeout_s=30)
        assert delay_viewers(hub, scene.show_id, DELAY_S) >= 1
        await asyncio.sleep(DELAY_S + 2.0)  # the delayed stream plays again, 1.5 s behind
        await wait_until(page, "document.querySelector('#video').currentTime > 0")
        await page.evaluate(PROBE)

        # The host pins at the instant the picture turns red.
        camera.colour = RED
        await pin(api, scene, scene.products[0])
        pinned_at = await page_now(page)
        await wait_until(page, "window.probe.red !== null && Object.keys(window.probe.cards).length > 0", timeout_s=10)
        probe = await page.evaluate("window.probe")
        card_at = probe["cards"][scene.products[0]["id"]]
        assert probe["red"] - pinned_at >= DELAY_S - 0.3, ("the video really is late", probe, pinned_at)
        assert abs(card_at - probe["red"]) <= 100, ("the card appears with the first red frame", probe)
        print(
            f"video {probe['red'] - pinned_at:.0f} ms behind the pin; card {card_at - probe['red']:+.0f} ms "
            "from the first red frame"
        )

        # The viewer's video freezes: a pin is held at most 3 s, then shown anyway.
        delay_viewers(hub, scene.show_id, FROZEN_S)
        await asyncio.sleep(DELAY_S + 0.5)  # frames already on their way arrive; then nothing
        await pin(api, scene, scene.products[1])
        pinned_at = await page_now(page)
        await expect(page.locator(f"#pins [data-product-id='{scene.products[1]['id']}']")).to_be_visible(timeout=3500)
        held = (await page.evaluate("window.probe.cards"))[scene.products[1]["id"]] - pinned_at
        assert 2500 <= held <= 3300, ("held until the 3 s cap, not longer", held)
        print(f"frozen video: the pin was shown {held:.0f} ms after it was made")
    finally:
        delay_viewers(hub, scene.show_id, 0)
        await publisher.stop()
