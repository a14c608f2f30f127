"""Several livecart processes behind one address: the node registry in Redis (origins of shows, dead
nodes' shows ended) and the `--workers` supervisor. See docs/operations.md.

`open_registry(settings, clock)` registers nothing yet: it connects to the Redis fan-out
(LIVECART_FANOUT_URL, by default the store when it is Redis) and returns the registry the composition
root gives to this process's `ClusterNode`. Without Redis fan-out it returns None and the node answers
as a single process would.
"""

from __future__ import annotations

import logging
import os

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.cluster.node import EXPIRY_FRACTION, ClusterNode
from livecart.cluster.registry import SCRIPTS, NodeRegistry
from livecart.config import Settings, fanout_url
from livecart.domain.ids import new_id
from livecart.redis_options import redis_options

__all__ = ["ClusterNode", "open_registry", "warn_if_unreachable"]

log = logging.getLogger(__name__)

REGISTRY_CONNECTIONS = 4
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


async def open_registry(settings: Settings, clock: Clock) -> NodeRegistry | None:
    """This process's entry in the node registry, or None when it is alone (no Redis fan-out)."""
    url = fanout_url(settings)
    if not url:
        return None
    # no registry call may hang a beat, a WHEP request or shutdown for longer than the timeout
    redis: Redis = Redis.from_url(
        url, decode_responses=True, max_connections=REGISTRY_CONNECTIONS, **redis_options(url, settings.redis_timeout_s)
    )
    try:
        for script in SCRIPTS:
            await script.load(redis)
    except BaseException:
        await redis.aclose()
        raise
    return NodeRegistry(
        redis,
        new_id("nod"),
        settings.node_base_url,
        ttl_s=settings.node_ttl_s * EXPIRY_FRACTION,
        pid=os.getpid(),
        started_at=clock.now().isoformat(),
    )


def warn_if_unreachable(settings: Settings, registry: NodeRegistry) -> None:
    log.info("cluster node %s registered at %s", registry.node_id, registry.url)
    if not settings.node_url and settings.host in WILDCARD_HOSTS:
        log.warning(
            "LIVECART_NODE_URL is not set: WHEP redirects to this node point to %s, which other "
            "machines cannot reach (docs/operations.md)",
            registry.url,
        )
