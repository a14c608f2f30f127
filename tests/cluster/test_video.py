"""Video across nodes: WHEP on a node that is not the show's origin is redirected (307) to the origin
and plays; killing the origin ends the show within the TTL while the other node keeps serving."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable

import pytest
from aiohttp import ClientSession
from aiortc.mediastreams import AudioStreamTrack
from redis.asyncio import Redis

from livecart.cluster.registry import NodeRegistry
from livecart.media.clients import WhepViewer, WhipPublisher
from livecart.media.sdp import SDP_CONTENT_TYPE
from livecart.media.synthetic import PatternTrack
from tests.cluster.nodes import NODE_TTL_S, NodeApi, start_nodes
from tests.conftest import ServerProcess
from tests.live.clients import LiveClient

pytestmark = [pytest.mark.redis, pytest.mark.slow]

SLACK_S = 1.0


async def test_whep_on_another_node_is_redirected_to_the_origin_and_plays_until_the_origin_dies(
    redis_url: str, server_process: Callable[..., ServerProcess], session: ClientSession
) -> None:
    servers = start_nodes(server_process, redis_url, 2)
    origin, other = (NodeApi(session, server) for server in servers)
    host = await other.create_account("host", "Mia")
    show = await other.create_show(host["token"])
    room = await LiveClient(other.url).connect()
    await room.join(show["id"])

    publisher = await WhipPublisher.start(
        session, f"{origin.url}/whip/{show['id']}", host["token"], PatternTrack(320, 240), AudioStreamTrack()
    )
    assert publisher.location == f"{origin.url}/whip/{show['id']}/{publisher.location.rsplit('/', 1)[1]}"
    redis = Redis.from_url(redis_url, decode_responses=True)
    registry = NodeRegistry(redis, "nod_observer", "", ttl_s=1, pid=0, started_at="")
    deadline = time.monotonic() + 5
    while (found := await registry.origin(show["id"])) is None:
        assert time.monotonic() < deadline, "the origin was not advertised"
        await asyncio.sleep(0.05)
    assert found.url == origin.url

    offer = publisher.pc.localDescription.sdp.replace("a=sendonly", "a=recvonly")  # any well-formed offer
    async with session.post(
        f"{other.url}/whep/{show['id']}", data=offer, allow_redirects=False, headers={"Content-Type": SDP_CONTENT_TYPE}
    ) as response:
        assert response.status == 307
        assert response.headers["Location"] == f"{origin.url}/whep/{show['id']}"

    viewer = await WhepViewer.start(session, f"{other.url}/whep/{show['id']}")  # follows the 307
    assert viewer.location.startswith(f"{origin.url}/whep/{show['id']}/")
    deadline = time.monotonic() + 10
    while viewer.stats.video_frames < 10:
        assert time.monotonic() < deadline, "no video through the redirect"
        await asyncio.sleep(0.05)

    os.kill(servers[0].process.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    await room.wait_for(lambda: {"status": "paused"} in room.events("show"), within_s=NODE_TTL_S + SLACK_S)
    assert time.monotonic() - killed_at <= NODE_TTL_S + SLACK_S
    assert await registry.origin(show["id"]) is None
    assert (await other.call("GET", f"/api/shows/{show['id']}", 200))["status"] == "paused"
    async with session.post(
        f"{other.url}/whep/{show['id']}", data=offer, headers={"Content-Type": SDP_CONTENT_TYPE}
    ) as response:
        assert response.status == 409  # paused, its publisher with the dead node: no redirect to it

    await viewer.stop(delete=False)
    await publisher.stop(delete=False)
    await room.close()
    await redis.aclose()
