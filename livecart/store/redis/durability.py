"""What the operator must configure for the Redis store to keep money safe, checked when it opens.

Without AOF a restart loses everything since the last snapshot; with an eviction policy other than
`noeviction` Redis may silently delete orders or ledger rows when it runs out of memory. Both are
server settings livecart cannot change for the operator, so it says so at start-up (docs/stores.md).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

log = logging.getLogger("livecart.store.redis")


def durability_warnings(persistence: Mapping[str, Any], memory: Mapping[str, Any]) -> list[str]:
    """Warnings for the INFO persistence and INFO memory sections of a server (empty: configured well)."""
    warnings = []
    if str(persistence.get("aof_enabled", "0")) != "1":
        warnings.append(
            "Redis has AOF off (appendonly no): a restart loses every order, cart and ledger row"
            " written since the last snapshot; set appendonly yes and appendfsync everysec or always"
        )
    policy = str(memory.get("maxmemory_policy", "noeviction"))
    if policy != "noeviction":
        warnings.append(
            f"Redis evicts keys when full (maxmemory-policy {policy}): orders and ledger rows could be"
            " deleted; set maxmemory-policy noeviction"
        )
    return warnings


async def check_durability(redis: Redis) -> list[str]:
    """Log (and return) a warning for each setting that puts data at risk; silent when INFO is refused."""
    try:
        persistence = await redis.info("persistence")
        memory = await redis.info("memory")
    except ResponseError:
        return []
    warnings = durability_warnings(persistence, memory)
    for warning in warnings:
        log.warning("%s", warning)
    return warnings
