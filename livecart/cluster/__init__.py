"""Several livecart processes behind one address: the node registry in Redis (origins of shows, dead
nodes' shows ended) and the `--workers` supervisor. See docs/operations.md.

`setup_cluster(app)` registers this process as a node when the live rooms fan out through Redis
(LIVECART_FANOUT_URL, by default the store when it is Redis); otherwise the process is alone and
`app[keys.CLUSTER]` answers as a single node would.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from livecart import keys
from livecart.cluster.node import EXPIRY_FRACTION, ClusterNode
from livecart.cluster.registry import SCRIPTS, NodeRegistry
from livecart.domain.ids import new_id
from livecart.domain.models import utcnow
from livecart.live.server import fanout_url
from livecart.redis_options import redis_options

__all__ = ["ClusterNode", "setup_cluster"]

log = logging.getLogger(__name__)

REGISTRY_CONNECTIONS = 4
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def setup_cluster(app: web.Application) -> None:
    app.cleanup_ctx.append(cluster_context)


async def cluster_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    url = fanout_url(settings)
    redis: Redis | None = None
    registry: NodeRegistry | None = None
    if url:
        # no registry call may hang a beat, a WHEP request or shutdown for longer than the timeout
        redis = Redis.from_url(url, decode_responses=True, max_connections=REGISTRY_CONNECTIONS,
                               **redis_options(url, settings.redis_timeout_s))
        for script in SCRIPTS:
            await script.load(redis)
        registry = NodeRegistry(
            redis,
            new_id("nod"),
            settings.node_base_url,
            ttl_s=settings.node_ttl_s * EXPIRY_FRACTION,
            pid=os.getpid(),
            started_at=utcnow().isoformat(),
        )
    live = app[keys.LIVE]
    node = ClusterNode(registry, lambda: app[keys.STORE], app[keys.BUS], ttl_s=settings.node_ttl_s)
    if registry is not None:
        live.on_viewers_counted = node.viewers_counted
    app[keys.CLUSTER] = node
    if keys.MEDIA in app:
        hub = app[keys.MEDIA]

        async def end_broadcasts(shows: list[str]) -> None:  # they were ended while this node was cut off
            for show_id in shows:
                await hub.end(show_id)

        node.on_shows_lost(end_broadcasts)
    unsubscribe = app[keys.BUS].subscribe(node.on_bus_event)
    await node.start()
    if registry is not None:
        log.info("cluster node %s registered at %s", registry.node_id, registry.url)
        if not settings.node_url and settings.host in WILDCARD_HOSTS:
            log.warning("LIVECART_NODE_URL is not set: WHEP redirects to this node point to %s, which other "
                        "machines cannot reach (docs/operations.md)", registry.url)
    yield
    unsubscribe()
    live.on_viewers_counted = None  # the room's last tick runs after this; the node is deregistered
    await node.stop()
    if redis is not None:
        await redis.aclose()
