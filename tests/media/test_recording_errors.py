"""A recording that cannot be written stops with a warning and a metric; the show and its viewers go on.
The disk is a real one that fills: a 192 KB tmpfs mounted for the test (needs root, as in CI here)."""

from __future__ import annotations

import asyncio
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import av
import pytest
from aiohttp.test_utils import TestClient

from livecart.config import Settings
from livecart.keys import SERVICES
from livecart.media.clients import WhepViewer
from livecart.media.hub import MediaHub
from tests.api.test_system import metric
from tests.media.conftest import ShowUnderTest
from tests.media.test_metrics import scrape
from tests.media.test_recording import CLIPS, eventually, publish_clip, recording_of
from tests.support import Api, skip_unless_ci

TINY_DISK = "192k"  # about two seconds of the test clip


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny-disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TINY_DISK}", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        skip_unless_ci(f"cannot mount a tmpfs to fill (not root?): {mounted.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


@pytest.fixture
def settings(settings: Settings, tiny_disk: Path) -> Settings:
    return settings.replace(recordings=str(tiny_disk))


async def test_a_full_disk_stops_the_recording_not_the_show(
    http: aiohttp.ClientSession,
    show: ShowUnderTest,
    client: TestClient[Any, Any],
    api: Api,
    tiny_disk: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub: MediaHub = client.app[SERVICES].media
    publisher, _ = await publish_clip(http, show, "vp8", CLIPS["vp8"])
    viewer = await WhepViewer.start(http, show.whep_url, decode=False)
    with caplog.at_level(logging.WARNING, logger="livecart.media.recorder"):
        await eventually(lambda: viewer.stats.video_frames > 0)
        recording = recording_of(hub, show.id)
        assert metric(await scrape(client), "livecart_recordings_active") == 1
        await eventually(lambda: recording.failed is not None, within=10)
    assert "No space left on device" in str(recording.failed)
    assert any("recording stopped, the show goes on" in r.getMessage() for r in caplog.records)
    scraped = await scrape(client)
    assert metric(scraped, "livecart_recording_errors_total") == 1
    assert metric(scraped, "livecart_recordings_active") == 0

    frames_then = viewer.stats.video_frames
    await eventually(lambda: viewer.stats.video_frames >= frames_then + 30)
    assert (await api.call("GET", f"/api/shows/{show.id}", 200))["status"] == "live"
    clock = hub.media_clock(show.id)
    assert clock is not None
    assert clock.rtp_timestamp() is not None
    assert clock.recording_ms() is None, "no recording time for a recording that stopped"

    await viewer.stop()
    assert await publisher.stop() == 200
    await asyncio.to_thread(recording.join, 10)
    assert recording.path is not None
    assert recording.path.parent == tiny_disk
    with av.open(str(recording.path)) as container:
        played = sum(len(packet.decode()) for packet in container.demux(video=0))
    assert played > 0, "what was written before the disk filled still plays"
