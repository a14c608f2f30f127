"""GStreamer's webrtcbin (Debian's packages) publishes to livecart and plays from it, VP8 and H.264.

webrtcbin uses an RSA-2048 DTLS certificate: these tests are what proves livecart, the DTLS client,
offers ECDHE-RSA suites. The WHIP publisher and WHEP player (tests/media/interop/gst_webrtc.py) run
with the system Python, where Debian's python3-gi lives, as subprocesses of the test.
"""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiortc.mediastreams import AudioStreamTrack

from livecart.media.clients import WhepViewer, WhipPublisher
from livecart.media.synthetic import PatternTrack
from tests.media.conftest import ShowUnderTest
from tests.media.interop.process import run_client
from tests.media.test_whip_whep import eventually
from tests.support import need_binary, skip_unless_ci

SCRIPT = Path(__file__).parent / "interop" / "gst_webrtc.py"
SYSTEM_PYTHON = "/usr/bin/python3"
ELEMENTS = (
    "webrtcbin",
    "nicesrc",
    "dtlssrtpenc",
    "srtpenc",
    "videotestsrc",
    "vp8enc",
    "vp8dec",
    "x264enc",
    "h264parse",
    "avdec_h264",
    "opusenc",
    "opusdec",
    "rtpvp8pay",
    "rtpvp8depay",
    "rtph264pay",
    "rtph264depay",
    "rtpopuspay",
    "rtpopusdepay",
)
GI_MODULES = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstWebRTC', '1.0'); "
    "gi.require_version('GstSdp', '1.0'); from gi.repository import Gst, GstWebRTC, GstSdp"
)
CODECS = {"vp8": "VP8", "h264": "H264"}
SECONDS = 9
SETTLE_SECONDS = 2.0  # a joining viewer first gets the GOP cache at 3x real time: not a frame rate
MEASURE_SECONDS = 3.0
MIN_FPS = 20  # both ends send 30; a bound that still fails a stalled or keyframe-only stream


@functools.cache
def _missing_gstreamer() -> str | None:
    """What of GStreamer's WebRTC stack is missing, or None. Runs gst-inspect once per element (this also
    builds GStreamer's plugin registry before a test's clock starts)."""
    inspect = need_binary("gst-inspect-1.0")
    missing = [e for e in ELEMENTS if subprocess.run([inspect, e], capture_output=True, check=False).returncode]
    if missing:
        return f"GStreamer elements {', '.join(missing)} are not installed (.ci/run installs them)"
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} is missing: Debian's python3-gi is for the system Python (.ci/run installs it)"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", GI_MODULES], capture_output=True, check=False, text=True)
    if probe.returncode:
        return f"python3-gi / gir1.2-gst-plugins-bad-1.0 are not installed (.ci/run installs them): {probe.stderr}"
    return None


@pytest.fixture
def gstreamer() -> None:
    """Skip without GStreamer's WebRTC stack locally; in CI (CI set) fail instead, like need_binary."""
    missing = _missing_gstreamer()
    if missing is not None:
        skip_unless_ci(missing)


def gst_version() -> str:
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", f"{GI_MODULES}; Gst.init(None); print(Gst.version_string())"],
        capture_output=True,
        check=False,
        text=True,
    )
    return probe.stdout.strip() or "GStreamer ?"


def fps_between(stats: list[dict[str, Any]], since: float, until: float) -> float:
    """Decoded frames per second between two of the player's once-a-second reports."""
    window = [s for s in stats if since <= s["t"] <= until]
    assert len(window) >= 2, f"too few reports between {since} and {until}: {stats}"
    first, last = window[0], window[-1]
    frames: int = last["frames"] - first["frames"]
    seconds: float = last["t"] - first["t"]
    return frames / seconds


@pytest.mark.slow
@pytest.mark.usefixtures("gstreamer")
@pytest.mark.parametrize("codec", sorted(CODECS))
async def test_a_gstreamer_webrtcbin_publisher_reaches_livecart_viewers(
    http: aiohttp.ClientSession, show: ShowUnderTest, codec: str
) -> None:
    # `--` ends the options: a token is URL-safe base64 and may start with "-" (argparse would read an option)
    command = [
        SYSTEM_PYTHON,
        str(SCRIPT),
        "--codec",
        codec,
        "--seconds",
        str(SECONDS),
        "--",
        "publish",
        show.whip_url,
        show.host_token,
    ]
    async with run_client(command) as gst:
        await gst.wait_for("connected", within=20)
        viewer = await WhepViewer.start(http, show.whep_url)
        try:
            await eventually(lambda: viewer.stats.video_frames > 0, within=5)
            await asyncio.sleep(SETTLE_SECONDS + MEASURE_SECONDS)
            now = time.monotonic()
            fps = viewer.stats.fps(now - MEASURE_SECONDS, now)
            print(f"{gst_version()} webrtcbin {codec} → livecart → aiortc viewer: {fps:.1f} fps")
            assert CODECS[codec] in viewer.answer
            assert (viewer.stats.width, viewer.stats.height) == (320, 240)
            assert viewer.stats.audio_frames > 0
            assert fps >= MIN_FPS, f"the viewer decoded {fps:.1f} fps of webrtcbin's 30"
        finally:
            await viewer.stop()
        await gst.wait_for("done", within=SECONDS + 10)
        assert await gst.finish(within=10) == 0, gst.describe()


@pytest.mark.slow
@pytest.mark.usefixtures("gstreamer")
@pytest.mark.parametrize("codec", sorted(CODECS))
async def test_a_gstreamer_webrtcbin_player_decodes_a_livecart_show(
    http: aiohttp.ClientSession, show: ShowUnderTest, codec: str
) -> None:
    publisher = await WhipPublisher.start(
        http,
        show.whip_url,
        show.host_token,
        PatternTrack(320, 240),
        AudioStreamTrack(),
        video_codec=f"video/{CODECS[codec]}",
    )
    try:
        command = [SYSTEM_PYTHON, str(SCRIPT), "play", show.whep_url, "--codec", codec, "--seconds", str(SECONDS)]
        async with run_client(command) as gst:
            answer = (await gst.wait_for("answer", within=20))["sdp"]
            connected = (await gst.wait_for("connected", within=10))["t"]
            await gst.wait_for("done", within=SECONDS + 10)
            assert await gst.finish(within=10) == 0, gst.describe()
        stats = gst.named("stats")
        last = stats[-1]
        fps = fps_between(stats, last["t"] - MEASURE_SECONDS - 0.5, last["t"])
        print(f"aiortc {codec} → livecart → {gst_version()} webrtcbin player: {fps:.1f} fps decoded")
        assert CODECS[codec] in answer
        assert connected < last["t"]
        assert (last["width"], last["height"]) == (320, 240)
        assert fps >= MIN_FPS, f"webrtcbin decoded {fps:.1f} fps of livecart's 30: {stats}"
    finally:
        await publisher.stop()
