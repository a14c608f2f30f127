"""/metrics tells an operator what the relay is doing: shows, viewers, frames sent and dropped, and
which RTP path (native or Python) writes the viewers' packets."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from aiortc.mediastreams import AudioStreamTrack

from livecart.config import Settings
from livecart.keys import SERVICES
from livecart.media.clients import WhepViewer, WhipPublisher
from livecart.media.synthetic import PatternTrack
from tests.api.test_system import metric
from tests.media.conftest import ShowUnderTest, both_rtp_paths
from tests.media.test_whip_whep import eventually


async def scrape(client: TestClient[Any, Any]) -> str:
    async with client.get("/metrics") as response:
        return await response.text()


@both_rtp_paths
async def test_media_metrics_count_shows_viewers_and_frames_across_viewers_leaving(
    http: aiohttp.ClientSession, show: ShowUnderTest, client: TestClient[Any, Any], settings: Settings
) -> None:
    publisher = await WhipPublisher.start(http, show.whip_url, show.host_token, PatternTrack(), AudioStreamTrack())
    viewers = [await WhepViewer.start(http, show.whep_url) for _ in range(2)]
    await eventually(lambda: all(v.stats.video_frames > 10 for v in viewers))

    watching = await scrape(client)
    assert metric(watching, "livecart_media_shows") == 1
    assert metric(watching, "livecart_media_viewers") == 2
    sent = metric(watching, "livecart_media_frames_sent_total")
    assert sent >= 20
    assert metric(watching, "livecart_media_rtp_packets_sent_total") >= sent
    path = "native" if settings.media_fastpath == "auto" else "python"
    assert metric(watching, f'livecart_media_rtp_path{{path="{path}"}}') == 1, "/metrics names the RTP path"

    for viewer in viewers:
        await viewer.stop()
    left = await scrape(client)
    assert metric(left, "livecart_media_viewers") == 0
    assert metric(left, "livecart_media_frames_sent_total") >= sent, "a counter does not go down when viewers leave"

    await publisher.stop()
    paused = await scrape(client)
    assert metric(paused, "livecart_media_shows") == 1, "a paused show keeps its broadcast for its return"
    async with client.post(
        f"/api/shows/{show.id}/end", headers={"Authorization": f"Bearer {show.host_token}"}
    ) as response:
        assert response.status == 200
    await eventually(lambda: client.app[SERVICES].media.show_count == 0)
    ended = await scrape(client)
    assert metric(ended, "livecart_media_shows") == 0
    assert metric(ended, "livecart_media_frames_sent_total") >= sent
