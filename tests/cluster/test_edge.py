"""Edge relay: with LIVECART_EDGE=1 a node that is not the show's origin serves WHEP viewers itself from
one pull of the show from the origin, and stops pulling when its last viewer leaves."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import ClientSession
from aiortc.mediastreams import AudioStreamTrack
from redis.asyncio import Redis

from livecart.cluster.registry import NodeRegistry
from livecart.media.clients import SignalingError, WhepViewer, WhipPublisher
from livecart.media.edge import SILENCE_S
from livecart.media.synthetic import PatternTrack
from tests.cluster.nodes import NodeApi, cluster_env
from tests.conftest import ServerProcess
from tests.support import ADMIN_TOKEN

pytestmark = [pytest.mark.redis, pytest.mark.slow]


async def wait_for_frames(viewer: WhepViewer, count: int, within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while viewer.stats.video_frames < count:
        assert time.monotonic() < deadline, f"only {viewer.stats.video_frames} video frames"
        await asyncio.sleep(0.05)


async def live_on_origin_with_an_edge(
    session: ClientSession, origin_process: ServerProcess, edge_process: ServerProcess, redis_url: str
) -> tuple[NodeApi, NodeApi, dict[str, Any], WhipPublisher]:
    """A host publishing to the origin node, once the registry advertises it as the show's origin."""
    origin, edge = NodeApi(session, origin_process), NodeApi(session, edge_process)
    host = await edge.create_account("host", "Mia")
    show = await edge.create_show(host["token"])
    publisher = await WhipPublisher.start(
        session, f"{origin.url}/whip/{show['id']}", host["token"], PatternTrack(320, 240), AudioStreamTrack()
    )
    redis = Redis.from_url(redis_url, decode_responses=True)
    registry = NodeRegistry(redis, "nod_observer", "", ttl_s=1, pid=0, started_at="")
    deadline = time.monotonic() + 5
    while await registry.origin(show["id"]) is None:
        assert time.monotonic() < deadline, "the origin was not advertised"
        await asyncio.sleep(0.05)
    await redis.aclose()
    return origin, edge, show, publisher


async def watch_unless_full(session: ClientSession, url: str) -> WhepViewer | None:
    try:
        return await WhepViewer.start(session, url, decode=False)
    except SignalingError as error:
        if error.status != 503:
            raise
        return None


async def test_viewers_on_an_edge_play_from_one_pull_of_the_origin_which_stops_when_they_leave(
    redis_url: str, server_process: Callable[..., ServerProcess], session: ClientSession
) -> None:
    # the origin serves one WHEP viewer at most: two viewers on the edge can only play through one pull
    origin, edge, show, publisher = await live_on_origin_with_an_edge(
        session,
        server_process(cluster_env(redis_url, LIVECART_MAX_VIEWERS="1")),
        server_process(cluster_env(redis_url, LIVECART_EDGE="1")),
        redis_url,
    )

    first = await WhepViewer.start(session, f"{edge.url}/whep/{show['id']}", decode=False)
    second = await WhepViewer.start(session, f"{edge.url}/whep/{show['id']}", decode=False)
    for viewer in (first, second):
        assert viewer.location.startswith(f"{edge.url}/whep/{show['id']}/"), "served by the edge, not redirected"
    await wait_for_frames(first, 10)
    await wait_for_frames(second, 10)
    assert first.stats.audio_frames > 0

    with pytest.raises(SignalingError) as refused:  # the origin's one viewer is the edge
        await WhepViewer.start(session, f"{origin.url}/whep/{show['id']}", decode=False)
    assert refused.value.status == 503

    await first.stop()
    await wait_for_frames(second, second.stats.video_frames + 10)  # the pull goes on for the other viewer
    await second.stop()
    deadline = time.monotonic() + 5
    while (direct := await watch_unless_full(session, f"{origin.url}/whep/{show['id']}")) is None:
        assert time.monotonic() < deadline, "the edge kept pulling without viewers"
        await asyncio.sleep(0.2)
    await wait_for_frames(direct, 5)  # the edge ended its pull: the origin has room for a viewer again

    await direct.stop()
    await publisher.stop()


async def test_when_the_origin_ends_the_show_the_edge_closes_its_viewers(
    redis_url: str, server_process: Callable[..., ServerProcess], session: ClientSession
) -> None:
    origin, edge, show, publisher = await live_on_origin_with_an_edge(
        session,
        server_process(cluster_env(redis_url)),
        server_process(cluster_env(redis_url, LIVECART_EDGE="1")),
        redis_url,
    )
    viewer = await WhepViewer.start(session, f"{edge.url}/whep/{show['id']}", decode=False)
    assert viewer.location.startswith(f"{edge.url}/")
    await wait_for_frames(viewer, 10)

    await publisher.stop()  # the host stops publishing: the show is paused, the viewer stays
    await asyncio.sleep(1)
    assert not viewer.ended.is_set()
    assert (await edge.call("GET", f"/api/shows/{show['id']}", 200))["status"] == "paused"
    await origin.call("POST", f"/api/shows/{show['id']}/end", 200, token=ADMIN_TOKEN)  # the host ends it
    await asyncio.wait_for(viewer.ended.wait(), timeout=SILENCE_S + 3)
    assert (await edge.call("GET", f"/api/shows/{show['id']}", 200))["status"] == "ended"

    await viewer.stop(delete=False)
