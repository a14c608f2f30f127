"""Headless Chromium plays a finished recording from a plain `<video src>` over HTTP range requests:
its duration is the show's, it seeks to the middle and plays on from there (VP8 in WebM, H.264 in
fragmented MP4, both with Opus)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from livecart.app import create_app
from livecart.config import Settings
from livecart.keys import SERVICES
from livecart.media.hub import MediaHub
from tests.media.conftest import ShowUnderTest, end_show
from tests.media.test_browser import CHROMIUM_FLAGS
from tests.media.test_recording import CLIPS, FPS, eventually, publish_clip, read_recording, recording_of
from tests.support import need_binary

pytestmark = pytest.mark.browser

# Test-only: the page and the file route stand in for the replay page and /media of a later change.
PAGE = """<!doctype html><html><body><script>
window.probe = async (url) => {
  const v = document.createElement("video");
  v.muted = true;
  document.body.append(v);
  const until = (event) => new Promise((resolve, reject) => {
    v.addEventListener(event, resolve, {once: true});
    v.addEventListener("error", () => reject(new Error("media error " + (v.error && v.error.message))), {once: true});
  });
  v.src = url;
  await until("loadedmetadata");
  const duration = v.duration;
  v.currentTime = duration / 2;
  await until("seeked");
  const seekedTo = v.currentTime;
  await v.play();
  await new Promise(r => setTimeout(r, 700));
  v.pause();
  return {duration, seekedTo, playedTo: v.currentTime, width: v.videoWidth, height: v.videoHeight,
          frames: v.getVideoPlaybackQuality().totalVideoFrames};
};
</script></body></html>"""


@pytest.fixture
def app(settings: Settings) -> web.Application:
    application = create_app(settings)
    recordings = Path(settings.recordings_dir or ".")

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def recording(request: web.Request) -> web.FileResponse:
        return web.FileResponse(recordings / Path(request.match_info["name"]).name)  # answers Range with 206

    application.router.add_get("/test-recording.html", page)
    application.router.add_get("/test-recordings/{name}", recording)
    return application


@pytest.mark.parametrize("codec", ["vp8", "h264"])
async def test_chromium_plays_and_seeks_a_finished_recording(
    http: aiohttp.ClientSession, show: ShowUnderTest, client: TestClient[Any, Any], codec: str
) -> None:
    from playwright.async_api import async_playwright

    chromium = need_binary("chromium", "/usr/bin/chromium")
    hub: MediaHub = client.app[SERVICES].media
    publisher, track = await publish_clip(http, show, codec, CLIPS[codec])
    await eventually(lambda: track.sent >= 120)
    recording = recording_of(hub, show.id)
    await publisher.stop()
    await end_show(client, show)  # the DELETE paused the show; ending it finishes the recording
    await asyncio.to_thread(recording.join, 10)
    assert recording.failed is None
    assert recording.path is not None
    report = await asyncio.to_thread(read_recording, recording.path, codec)
    published_s = len(report.video_pts_ms) / FPS  # the frames the show had from the recording's start
    assert published_s > 3

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = await browser.new_page()
            await page.goto(str(client.make_url("/test-recording.html")))
            url = str(client.make_url(f"/test-recordings/{recording.path.name}"))
            played = await page.evaluate(f"probe({json.dumps(url)})")
        finally:
            await browser.close()

    assert (played["width"], played["height"]) == (320, 240)
    assert abs(played["duration"] - published_s) <= 0.02 * published_s, (played, published_s)
    assert abs(played["seekedTo"] - played["duration"] / 2) < 0.1, played
    assert played["playedTo"] >= played["seekedTo"] + 0.3, "it plays on from the middle"
    assert played["frames"] > 5, played
