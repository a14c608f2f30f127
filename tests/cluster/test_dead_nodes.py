"""A node that dies (SIGKILL: no goodbye) stops being advertised, its shows end and its viewers stop being
counted within the TTL, while the other nodes keep serving."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import ClientSession
from redis.asyncio import Redis

from livecart.clock import SystemClock
from livecart.cluster.node import EXPIRY_FRACTION
from livecart.cluster.registry import SCRIPTS, NodeRegistry
from livecart.domain.models import ShowStatus
from livecart.store.redis import RedisStore
from tests.cluster.nodes import NODE_TTL_S, NodeApi, start_nodes
from tests.cluster.test_shared_show import stats, until
from tests.conftest import ServerProcess
from tests.live.clients import LiveClient

pytestmark = [pytest.mark.redis, pytest.mark.slow]

SLACK_S = 1.0  # event delivery and a busy machine's scheduling, on top of the TTL


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    for script in SCRIPTS:
        await script.load(client)
    yield client
    await client.aclose()


async def test_killing_a_node_uncounts_its_viewers_and_the_others_keep_serving(
    redis_url: str, redis: Redis, server_process: Callable[..., ServerProcess], session: ClientSession
) -> None:
    servers = start_nodes(server_process, redis_url, 3)
    a, b, c = (NodeApi(session, server) for server in servers)
    host = await b.create_account("host", "Mia")
    show = await b.create_show(host["token"])
    ann, bob = await b.create_account("viewer", "Ann"), await c.create_account("viewer", "Bob")
    doomed = [await (await LiveClient(a.url).connect()).join(show["id"]) for _ in range(2)]
    on_b, on_c = await LiveClient(b.url).connect(), await LiveClient(c.url).connect()
    await on_b.join(show["id"], ann["token"])
    await on_c.join(show["id"], bob["token"])
    assert len(doomed) == 2

    async def counted(n: int) -> bool:
        return bool((await stats(b, show["id"], host["token"]))["current_viewers"] == n)

    await until(lambda: counted(4))
    registry = NodeRegistry(redis, "nod_test", "http://test", ttl_s=1, pid=0, started_at="")
    await until(lambda: _nodes_alive(registry, 3))

    os.kill(servers[0].process.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    await until(lambda: counted(2), within_s=NODE_TTL_S + SLACK_S)
    assert time.monotonic() - killed_at <= NODE_TTL_S + SLACK_S
    assert len(await registry.live_nodes()) == 2

    assert (await on_b.call("chat", {"text": "still here"}))["ok"]
    await on_c.wait_for(lambda: "still here" in on_c.chat_texts())
    await c.call("GET", f"/api/shows/{show['id']}", 200)
    for live in (on_b, on_c):
        await live.close()


async def _nodes_alive(registry: NodeRegistry, count: int) -> bool:
    alive = await registry.live_nodes()
    return len(alive) == count


async def test_the_shows_of_a_node_that_stops_beating_end_within_the_ttl(
    redis_url: str, redis: Redis, server_process: Callable[..., ServerProcess], session: ClientSession
) -> None:
    """The origin here is a registry driven by the test (a node that registers, originates a live show
    and then goes silent); the nodes that reap it are real processes."""
    a, b = (NodeApi(session, server) for server in start_nodes(server_process, redis_url, 2))
    host = await a.create_account("host", "Mia")
    show = await a.create_show(host["token"])
    origin = NodeRegistry(
        redis, "nod_origin", "http://origin.test:9", ttl_s=NODE_TTL_S * EXPIRY_FRACTION, pid=1, started_at=""
    )
    await origin.heartbeat()
    store = await RedisStore.open(redis_url, clock=SystemClock())
    try:  # what a real origin does: the show goes live there, and one viewer watches through it
        await store.set_show_status(show["id"], ShowStatus.LIVE)
        await store.count_viewers(show["id"], 1)
        await origin.record_viewers(show["id"], 1)
    finally:
        await store.close()
    await origin.originate(show["id"])
    assert await origin.origin(show["id"]) is not None
    viewer = await LiveClient(b.url).connect()
    await viewer.join(show["id"])
    silent_since = time.monotonic()  # the last beat: from here the origin is silent

    await viewer.wait_for(lambda: {"status": "paused"} in viewer.events("show"), within_s=NODE_TTL_S + SLACK_S)
    assert time.monotonic() - silent_since <= NODE_TTL_S + SLACK_S
    assert await origin.origin(show["id"]) is None
    assert (await a.call("GET", f"/api/shows/{show['id']}", 200))["status"] == "paused"
    assert (await stats(a, show["id"], host["token"]))["current_viewers"] == 1  # the origin's one is gone
    await viewer.close()
    await asyncio.sleep(0)
