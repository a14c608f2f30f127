"""The node registry in Redis: which livecart processes are alive, where each is reached, which shows
each originates (has the publisher of), and how many viewers each has counted in every show.

Keys (all `lc:cluster:…`):
- `lc:cluster:nodes` sorted set: node id → expiry, in milliseconds of Redis's own clock (`TIME`), so
  the nodes' clocks never matter;
- `lc:cluster:node:{id}` hash `url`, `pid`, `started_at`;
- `lc:cluster:node:{id}:shows` set of the show ids the node originates;
- `lc:cluster:node:{id}:viewers` hash show id → viewers this node has added to the show's count;
- `lc:cluster:origin:{show_id}` string: the id of the node that originates the show.

A node is alive while its expiry is in the future. Every node reaps the dead ones at each of its
heartbeats; reaping is one Lua script, so each dead node is claimed by exactly one reaper, which gets
the shows the dead node still originated and the viewers it had counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from livecart.store.redis.lua import Script

NODES = "lc:cluster:nodes"


def node_key(node_id: str) -> str:
    return f"lc:cluster:node:{node_id}"


def origin_key(show_id: str) -> str:
    return f"lc:cluster:origin:{show_id}"


# KEYS: nodes, node hash. ARGV: node id, ttl ms, url, pid, started_at.
# Returns 1 when the node was registered already, 0 when it was not (first beat, or it had been reaped).
_HEARTBEAT = Script("""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local known = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], 'url', ARGV[3], 'pid', ARGV[4], 'started_at', ARGV[5])
if known then return 1 end
return 0
""")

# KEYS: origin key, node shows. ARGV: node id, show id.
_ORIGINATE = Script("""
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
""")

# KEYS: origin key, node shows. ARGV: node id, show id. Leaves another node's claim alone.
_RELEASE = Script("""
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('SREM', KEYS[2], ARGV[2])
""")

# KEYS: origin key, nodes. Returns {node id, url} of the show's origin while that node is alive, else nil.
_ORIGIN = Script("""
local node = redis.call('GET', KEYS[1])
if not node then return nil end
local expiry = redis.call('ZSCORE', KEYS[2], node)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not expiry or tonumber(expiry) <= now then return nil end
return {node, redis.call('HGET', 'lc:cluster:node:' .. node, 'url') or ''}
""")

# KEYS: nodes. Claims every node whose expiry has passed; returns, per dead node,
# {node id, {shows it still originated}, {show, viewers, show, viewers, ...}}.
_REAP = Script("""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
local result = {}
for _, node in ipairs(dead) do
  redis.call('ZREM', KEYS[1], node)
  local base = 'lc:cluster:node:' .. node
  local ended = {}
  for _, show in ipairs(redis.call('SMEMBERS', base .. ':shows')) do
    local origin = 'lc:cluster:origin:' .. show
    if redis.call('GET', origin) == node then
      redis.call('DEL', origin)
      table.insert(ended, show)
    end
  end
  local viewers = redis.call('HGETALL', base .. ':viewers')
  redis.call('DEL', base, base .. ':shows', base .. ':viewers')
  table.insert(result, {node, ended, viewers})
end
return result
""")

# KEYS: nodes, node hash, node shows, node viewers. ARGV: node id. Origin keys are released one by one.
_DEREGISTER = Script("""
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
""")

SCRIPTS = (_HEARTBEAT, _ORIGINATE, _RELEASE, _ORIGIN, _REAP, _DEREGISTER)


@dataclass(frozen=True)
class NodeInfo:
    id: str
    url: str
    pid: int = 0


@dataclass(frozen=True)
class DeadNode:
    """A node reaped by this caller: the shows it still originated and the viewers it had counted."""

    id: str
    shows: tuple[str, ...]
    viewers: Mapping[str, int]


class NodeRegistry:
    def __init__(self, redis: Redis, node_id: str, url: str, *, ttl_s: float, pid: int, started_at: str) -> None:
        self._redis = redis
        self.node_id = node_id
        self.url = url
        self.ttl_ms = max(1, round(ttl_s * 1000))
        self._pid = pid
        self._started_at = started_at

    async def close(self) -> None:
        """Close the registry's connections (after `deregister`)."""
        await self._redis.aclose()

    async def heartbeat(self) -> bool:
        """Push this node's expiry to now + TTL.

        Returns False when the node was not registered: its first beat, or it had been reaped (its
        shows were ended by another node) — the caller decides what that means.
        """
        keys = [NODES, node_key(self.node_id)]
        known = await _HEARTBEAT(self._redis, keys, [self.node_id, self.ttl_ms, self.url, self._pid, self._started_at])
        return bool(known)

    async def record_viewers(self, show_id: str, count: int) -> None:
        """The viewers this node has added to the show's shared count (taken off it if the node dies)."""
        key = node_key(self.node_id) + ":viewers"
        if count > 0:
            await self._redis.hset(key, show_id, count)
        else:
            await self._redis.hdel(key, show_id)

    async def originate(self, show_id: str) -> None:
        """Advertise this node as the origin of the show (it has the show's publisher)."""
        await _ORIGINATE(self._redis, [origin_key(show_id), node_key(self.node_id) + ":shows"], [self.node_id, show_id])

    async def release(self, show_id: str) -> None:
        """Stop advertising the show (the publisher left); another node's claim is left alone."""
        await _RELEASE(self._redis, [origin_key(show_id), node_key(self.node_id) + ":shows"], [self.node_id, show_id])

    async def origin(self, show_id: str) -> NodeInfo | None:
        """The live node that originates the show, or None."""
        found: Any = await _ORIGIN(self._redis, [origin_key(show_id), NODES])
        if not found:
            return None
        return NodeInfo(id=found[0], url=found[1])

    async def reap(self) -> list[DeadNode]:
        """Claim every node whose registration expired (each dead node is returned to one caller only)."""
        found: Any = await _REAP(self._redis, [NODES])
        dead = []
        for node_id, shows, flat in found:
            viewers = {flat[i]: int(flat[i + 1]) for i in range(0, len(flat), 2)}
            dead.append(DeadNode(id=node_id, shows=tuple(shows), viewers=viewers))
        return dead

    async def live_nodes(self) -> list[NodeInfo]:
        """Every registered node whose expiry is in the future (for operators and tests)."""
        seconds, micros = await self._redis.time()
        now_ms = seconds * 1000 + micros // 1000
        ids: Any = await self._redis.zrangebyscore(NODES, f"({now_ms}", "+inf")
        nodes = []
        for node_id in ids:
            url, pid = await self._redis.hmget(node_key(node_id), ["url", "pid"])
            nodes.append(NodeInfo(id=str(node_id), url=str(url or ""), pid=int(pid or 0)))
        return nodes

    async def deregister(self, shows: list[str]) -> None:
        """Graceful stop: stop advertising this node and its shows (the shows are not ended)."""
        for show_id in shows:
            await self.release(show_id)
        base = node_key(self.node_id)
        await _DEREGISTER(self._redis, [NODES, base, base + ":shows", base + ":viewers"], [self.node_id])
