"""Headless Chromium publishes its fake camera over WHIP; another Chromium page plays it over WHEP."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from livecart.app import create_app
from livecart.config import Settings
from tests.media.conftest import ShowUnderTest
from tests.support import need_binary

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = pytest.mark.browser

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

# Test-only pages: the smallest WHIP publisher and WHEP player a browser can run.
PAGE = """<!doctype html><html><body><video id="v" autoplay muted playsinline></video><script>
async function negotiate(pc, url, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(r => pc.iceGatheringState === "complete" ? r() :
    pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && r()));
  const headers = {"Content-Type": "application/sdp"};
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(url, {method: "POST", headers, body: pc.localDescription.sdp});
  if (response.status !== 201) throw new Error(response.status + " " + await response.text());
  await pc.setRemoteDescription({type: "answer", sdp: await response.text()});
}
window.publish = async (url, token) => {
  const stream = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}, audio: true});
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) pc.addTransceiver(track, {direction: "sendonly"});
  await negotiate(pc, url, token);
  window.pc = pc;
};
window.watch = async (url) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", {direction: "recvonly"});
  pc.addTransceiver("audio", {direction: "recvonly"});
  pc.ontrack = (e) => { if (e.track.kind === "video") document.getElementById("v").srcObject = e.streams[0]
    || new MediaStream([e.track]); };
  await negotiate(pc, url, null);
  window.pc = pc;
};
window.videoStats = async () => {
  let out = {framesDecoded: 0, keyFramesDecoded: 0, pliCount: 0};
  (await window.pc.getStats()).forEach(s => {
    if (s.type === "inbound-rtp" && s.kind === "video") out = {framesDecoded: s.framesDecoded || 0,
      keyFramesDecoded: s.keyFramesDecoded || 0, pliCount: s.pliCount || 0};
  });
  out.videoWidth = document.getElementById("v").videoWidth;
  return out;
};
</script></body></html>"""


async def decoded_video(page: Page, timeout_s: float) -> dict[str, int]:
    """The viewer's stats once it decoded more than 10 frames at a known size. (`wait_for_function` does
    not await a predicate's promise: given `videoStats().then(…)` it returned at once, and the test read
    the stats before any frame when the machine was busy.)"""
    deadline = time.monotonic() + timeout_s
    while True:
        stats: dict[str, int] = await page.evaluate("videoStats()")
        if stats["framesDecoded"] > 10 and stats["videoWidth"] > 0:
            return stats
        assert time.monotonic() < deadline, f"no video decoded in {timeout_s} s: {stats}"
        await asyncio.sleep(0.2)


@pytest.fixture
def app(settings: Settings) -> web.Application:
    application = create_app(settings)

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    application.router.add_get("/test-media.html", page)
    return application


async def test_chromium_publishes_over_whip_and_another_page_plays_over_whep(
    client: TestClient[Any, Any], show: ShowUnderTest
) -> None:
    from playwright.async_api import async_playwright

    chromium = need_binary("chromium", "chromium-browser")
    page_url = str(client.make_url("/test-media.html"))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            host_page = await browser.new_page()
            await host_page.goto(page_url)
            await host_page.evaluate(f"publish({json.dumps(show.whip_url)}, {json.dumps(show.host_token)})")
            viewer_page = await browser.new_page()
            await viewer_page.goto(page_url)
            await viewer_page.evaluate(f"watch({json.dumps(show.whep_url)})")
            first = await decoded_video(viewer_page, timeout_s=20)
            await viewer_page.wait_for_timeout(1000)
            later = await viewer_page.evaluate("videoStats()")
        finally:
            await browser.close()
    assert first["videoWidth"] == 640
    assert later["framesDecoded"] >= first["framesDecoded"] + 15, (first, later)
