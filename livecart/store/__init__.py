"""Stores: one `Store` interface, an embedded SQLite implementation and a Redis one for several nodes."""

from __future__ import annotations

from livecart.store.base import Store


async def open_store(url: str) -> Store:
    """Open the store named by a `LIVECART_STORE` URL (`sqlite:///PATH` or `redis://HOST:PORT/DB`)."""
    if url.startswith("sqlite:///"):
        from livecart.store.sqlite import SqliteStore

        return await SqliteStore.open(url.removeprefix("sqlite:///"))
    if url.startswith(("redis://", "rediss://", "unix://")):
        from livecart.store.redis import RedisStore

        return await RedisStore.open(url)
    raise ValueError(f"unsupported store URL {url!r}")


__all__ = ["Store", "open_store"]
