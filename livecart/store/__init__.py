"""Stores: one `Store` interface, an embedded SQLite implementation and a Redis one for several nodes."""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from livecart.clock import Clock
from livecart.config import Settings
from livecart.store.base import Store, StoreUnavailable

DEFAULT_REDIS_TIMEOUT_S = Settings.redis_timeout_s

# Raised when the store cannot be used (Redis down or restarting; the SQLite file locked, its disk full):
# the call may or may not have run; the request can be retried (with the same Idempotency-Key for a checkout).
STORE_UNAVAILABLE: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError, StoreUnavailable)


async def open_store(
    url: str, *, clock: Clock, redis_timeout_s: float = DEFAULT_REDIS_TIMEOUT_S, redis_min_replicas: int = 0
) -> Store:
    """Open the store named by a `LIVECART_STORE` URL (`sqlite:///PATH`, `redis://HOST:PORT/DB` or
    `redis+sentinel://HOST:PORT,HOST:PORT/MASTER/DB`); Redis connects and commands fail after
    `redis_timeout_s` (livecart/redis_options.py), and money writes wait for `redis_min_replicas`
    replicas. Every time the store writes (created_at, stamps, mutes' expiry) is read from `clock`."""
    if url.startswith("sqlite:///"):
        from livecart.store.sqlite import SqliteStore

        return await SqliteStore.open(url.removeprefix("sqlite:///"), clock=clock)
    if url.startswith(("redis://", "rediss://", "unix://", "redis+sentinel://")):
        from livecart.store.redis import RedisStore

        return await RedisStore.open(url, clock=clock, timeout_s=redis_timeout_s, min_replicas=redis_min_replicas)
    raise ValueError(f"unsupported store URL {url!r}")


__all__ = ["STORE_UNAVAILABLE", "Store", "StoreUnavailable", "open_store"]
