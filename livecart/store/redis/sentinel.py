"""Redis behind Sentinel: `LIVECART_STORE=redis+sentinel://host:port,host:port/mastername/db`.

The store asks the sentinels where the primary is and connects there; after a fail-over redis-py's
Sentinel pool finds the new primary on the next connection (commands in flight during the fail-over
fail, and the API answers 503 until it is over). With LIVECART_REDIS_MIN_REPLICAS ≥ 1, money writes
return only once a replica has them (`Script.replicated`), so a fail-over cannot lose what a buyer
was told (docs/stores.md).
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool

from livecart.redis_options import SENTINEL_SCHEME as SCHEME
from livecart.redis_options import parse_sentinel_url

__all__ = ["SCHEME", "parse_sentinel_url", "sentinel_client"]


class BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """Sentinel's pool (it asks the sentinels for the primary's address) that, like the plain store's,
    makes a request wait for a free connection instead of failing with "Too many connections"."""


def sentinel_client(url: str, options: dict[str, Any]) -> Redis:
    """A client of the current primary named by the URL; `options` as for `Redis.from_url` (with
    `max_connections` and `timeout`: the pool's size and how long a request waits for a connection)."""
    parsed = parse_sentinel_url(url)
    timeouts = {name: options[name] for name in ("socket_timeout", "socket_connect_timeout") if name in options}
    sentinel = Sentinel(list(parsed.sentinels), sentinel_kwargs=timeouts)  # type: ignore[no-untyped-call]
    client: Redis = sentinel.master_for(
        parsed.master, redis_class=Redis, connection_pool_class=BlockingSentinelPool, db=parsed.db, **options
    )
    return client
