"""The Redis store, for several nodes sharing one state: one hash per record, sorted sets as indexes,
and Lua scripts wherever a check and a write must be atomic. Durable only with AOF (docs/stores.md).

`RedisStore` is composed of one mixin per area, each using `self._redis` (a `redis.asyncio.Redis`
whose replies are decoded to str: `wire.WireRedis`, which multiplexes commands on a few connections,
see wire.py and docs/stores.md "Connections") and keys built by `livecart.store.redis.keys` (all
prefixed `lc:`).
"""

from __future__ import annotations

import secrets
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import SentinelConnectionPool
from redis.backoff import NoBackoff

from livecart.clock import Clock
from livecart.redis_options import HEALTH_CHECK_INTERVAL_S, parse_sentinel_url, redis_options
from livecart.store.redis import (
    accounts,
    auctions,
    campaigns,
    catalog,
    cohosts,
    commerce,
    deals,
    giveaways,
    keys,
    payouts,
    reviews,
    shows,
    webhooks,
)
from livecart.store.redis.accounts import RedisAccounts
from livecart.store.redis.auctions import RedisAuctions
from livecart.store.redis.campaigns import RedisCampaigns
from livecart.store.redis.catalog import RedisCatalog
from livecart.store.redis.checkout_reads import RedisCheckoutReads
from livecart.store.redis.cohosts import RedisCohosts
from livecart.store.redis.commerce import RedisCommerce
from livecart.store.redis.deals import RedisDeals
from livecart.store.redis.durability import check_durability
from livecart.store.redis.giveaways import RedisGiveaways
from livecart.store.redis.live import RedisLive
from livecart.store.redis.lua import Script
from livecart.store.redis.payouts import RedisPayouts
from livecart.store.redis.pending import PendingOrders
from livecart.store.redis.profiles import RedisProfiles
from livecart.store.redis.reviews import RedisReviews
from livecart.store.redis.sentinel import SCHEME as SENTINEL_SCHEME
from livecart.store.redis.sentinel import sentinel_client
from livecart.store.redis.shows import RedisShows
from livecart.store.redis.timeline import RedisTimeline
from livecart.store.redis.webhooks import RedisWebhooks
from livecart.store.redis.wire import Endpoint, WireClient, WireRedis

SCRIPTS: tuple[Script, ...] = (
    *accounts.SCRIPTS, *catalog.SCRIPTS, *shows.SCRIPTS, *commerce.SCRIPTS,
    *auctions.SCRIPTS, *deals.SCRIPTS, *giveaways.SCRIPTS,
    *campaigns.SCRIPTS, *cohosts.SCRIPTS, *payouts.SCRIPTS, *reviews.SCRIPTS, *webhooks.SCRIPTS,
)  # fmt: skip

# Connections per process of redis-py's pool (what wire.py does not serve) and of wire.py's connections
# for blocking commands (WAIT): requests beyond this wait for a free connection (up to the timeout)
# instead of opening thousands of sockets during a flash sale. Everything else is multiplexed on
# wire.SHARED_CONNECTIONS connections.
SECRET_BYTES = 32
DEFAULT_TIMEOUT_S = 5.0  # LIVECART_REDIS_TIMEOUT_S
MAX_CONNECTIONS = 64
CONNECTION_WAIT_SECONDS = 20.0

# Never re-send a command after a connection error: the server may already have run it, and running
# a checkout script twice would take stock twice. The error reaches the caller instead (a pending
# order is then settled by checkout recovery).
NO_RETRY = Retry(NoBackoff(), 0)


def store_client(url: str, timeout_s: float = DEFAULT_TIMEOUT_S, *, wire: bool = True) -> Redis:
    """The store's client of `url`: redis-py's API over `wire.WireClient` (multiplexed connections, see
    wire.py), with redis-py's own pool kept for what that path does not serve. `rediss://` (TLS and its
    URL options) and `wire=False` use redis-py's pool alone, as before issue 21."""
    options = {
        "decode_responses": True,
        "retry": NO_RETRY,
        "max_connections": MAX_CONNECTIONS,
        "timeout": CONNECTION_WAIT_SECONDS,
        **redis_options(url, timeout_s),
    }
    if url.startswith(SENTINEL_SCHEME):
        redis = sentinel_client(url, options)
        if not wire:
            return redis
        sentinel = redis.connection_pool
        assert isinstance(sentinel, SentinelConnectionPool)
        endpoint = Endpoint(locate=sentinel.get_master_address, db=parse_sentinel_url(url).db,
                            username=options.get("username"), password=options.get("password"),
                            connect_timeout_s=timeout_s)  # fmt: skip
        return WireRedis.over(sentinel, WireClient(endpoint, timeout_s=timeout_s, sentinel=True, **_wire_limits()))
    pool = BlockingConnectionPool.from_url(url, **options)
    if not wire or url.startswith("rediss://"):
        return Redis.from_pool(pool)  # the client owns the pool: aclose() closes both
    return WireRedis.over(pool, WireClient(endpoint_of(url, timeout_s), timeout_s=timeout_s, **_wire_limits()))


def _wire_limits() -> dict[str, Any]:
    return {
        "health_check_interval_s": HEALTH_CHECK_INTERVAL_S,
        "max_exclusive": MAX_CONNECTIONS,
        "connection_wait_s": CONNECTION_WAIT_SECONDS,
    }


def endpoint_of(url: str, timeout_s: float) -> Endpoint:
    """The `Endpoint` of a `redis://` or `unix://` URL (host, port or socket path, credentials, db)."""
    parsed = parse_url(url)
    return Endpoint(
        host=parsed.get("host", "localhost"),
        port=int(parsed.get("port", 6379)),
        path=parsed.get("path"),
        username=parsed.get("username"),
        password=parsed.get("password"),
        db=int(parsed.get("db", 0)),
        connect_timeout_s=timeout_s,
    )


class RedisStore(
    RedisAccounts, RedisCatalog, RedisShows, RedisCommerce, RedisLive, RedisAuctions, RedisDeals, RedisGiveaways,
    RedisCampaigns, RedisCohosts, RedisPayouts, RedisReviews, RedisTimeline, RedisProfiles, RedisCheckoutReads,
    RedisWebhooks,
):  # fmt: skip
    def __init__(self, redis: Redis, *, clock: Clock, min_replicas: int = 0, wait_timeout_ms: int = 1000) -> None:
        self._redis = redis
        self._clock = clock
        self._pending = PendingOrders()
        self._min_replicas = min_replicas  # LIVECART_REDIS_MIN_REPLICAS: money writes WAIT for them
        self._wait_timeout_ms = wait_timeout_ms

    @classmethod
    async def open(
        cls, url: str, *, clock: Clock, timeout_s: float = DEFAULT_TIMEOUT_S, min_replicas: int = 0
    ) -> RedisStore:
        """Connect to a `redis://`, `rediss://`, `unix://` or `redis+sentinel://` URL, check the server
        answers, load the scripts and warn when the server is not configured to keep data (AOF off, keys
        evictable). With `min_replicas`, money writes wait for that many replicas (half the timeout)."""
        redis = store_client(url, timeout_s)
        try:
            await redis.ping()
            for script in SCRIPTS:
                await script.load(redis)
            await check_durability(redis)
        except BaseException:
            await redis.aclose()
            raise
        return cls(redis, clock=clock, min_replicas=min_replicas, wait_timeout_ms=max(1, int(timeout_s * 500)))

    async def ping(self) -> None:
        await self._redis.ping()

    async def secret(self, name: str) -> bytes:
        value = await self._redis.get(keys.secret(name))
        if value is None:
            made = secrets.token_bytes(SECRET_BYTES).hex()
            await self._redis.set(keys.secret(name), made, nx=True)
            value = await self._redis.get(keys.secret(name))
        return bytes.fromhex(str(value))

    async def close(self) -> None:
        await self._redis.aclose()
