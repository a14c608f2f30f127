"""Idempotency records: the first response to each (viewer, Idempotency-Key), with the hash of the
request body it answered. A claim is one script, so two concurrent requests with one key cannot both
run; running claims are indexed by time so stale ones can be released."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import errors
from livecart.domain.commerce import StoredResponse
from livecart.store.redis import codec, keys
from livecart.store.redis.lua import Script

RUNNING = "running"
DONE = "done"

# The claim, shared by CLAIM and CLAIM_CHECKOUT: `claim()` returns nil once claimed, else the refusal
# ({'mismatch'}, {'running'}) or the finished record ({'done', status, body}).
# KEYS: record, running index, claims index. ARGV: request hash, now (µs), running member.
CLAIM_LUA = """
    local function claim()
      local record = redis.call('HMGET', KEYS[1], 'state', 'request_hash', 'status', 'body')
      if not record[1] then
        redis.call('HSET', KEYS[1], 'state', 'running', 'request_hash', ARGV[1], 'claimed_us', ARGV[2])
        redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
        redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
        return nil
      end
      if record[2] ~= ARGV[1] then return {'mismatch'} end
      if record[1] == 'done' then return {'done', record[3], record[4]} end
      return {'running'}
    end
"""

# Returns {'claimed'}, {'mismatch'}, {'running'} or {'done', status, body}.
CLAIM = Script(CLAIM_LUA + "return claim() or {'claimed'}")

# The claim, then (only once claimed) every read a checkout prices with. KEYS: as CLAIM's, then cart
# lines, cart qty, pinned set, units bought, host applications, show co-hosts. ARGV: as CLAIM's, then the
# key prefixes of a product, an application and one of the show's co-hosts (`keys.product("")`, …): the
# hashes the cart and the two sets name are read by those prefixes, as PLACE_ORDER reads the lock's order,
# so that the whole read is one round trip (the store runs on one Redis, or Sentinel: no cluster slots).
# Returns CLAIM's refusals, or {'claimed', cart lines with scores, cart qty (flat), pinned, units (flat),
# {product hash (flat) per cart line}, {application hash per application, newest first},
# {co-host hash per co-host}}.
CLAIM_CHECKOUT = Script(
    CLAIM_LUA
    + """
    local refused = claim()
    if refused then return refused end
    local function rows(prefix, ids, step)
      local found = {}
      for i = 1, #ids, step do table.insert(found, redis.call('HGETALL', prefix .. ids[i])) end
      return found
    end
    local lines = redis.call('ZRANGE', KEYS[4], 0, -1, 'WITHSCORES')
    return {
      'claimed', lines, redis.call('HGETALL', KEYS[5]), redis.call('SMEMBERS', KEYS[6]),
      redis.call('HGETALL', KEYS[7]), rows(ARGV[4], lines, 2),
      rows(ARGV[5], redis.call('ZREVRANGE', KEYS[8], 0, -1), 1), rows(ARGV[6], redis.call('ZRANGE', KEYS[9], 0, -1), 1)
    }
    """
)

# KEYS: record, running index. ARGV: status, body, running member. Returns 1, or 0 when never claimed.
SAVE = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
    redis.call('HSET', KEYS[1], 'state', 'done', 'status', ARGV[1], 'body', ARGV[2])
    redis.call('ZREM', KEYS[2], ARGV[3])
    return 1
    """
)

# KEYS: record, running index. ARGV: running member, 1 to keep claims that have an order attached.
# Forgets a running claim; returns 1 when one was forgotten.
RELEASE = Script(
    """
    local record = redis.call('HMGET', KEYS[1], 'state', 'order_id')
    if record[1] ~= 'running' or (ARGV[2] == '1' and record[2]) then
      if not record[1] or record[1] == 'done' then redis.call('ZREM', KEYS[2], ARGV[1]) end
      return 0
    end
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[2], ARGV[1])
    return 1
    """
)

# KEYS: record, claims index. ARGV: member. Forgets a finished record (1); a released one only leaves
# the index (0); a running one stays, in the index too (-1).
PURGE = Script(
    """
    local state = redis.call('HGET', KEYS[1], 'state')
    if state == 'running' then return -1 end
    redis.call('ZREM', KEYS[2], ARGV[1])
    if not state then return 0 end
    redis.call('DEL', KEYS[1])
    return 1
    """
)
PURGE_BATCH = 500

SCRIPTS = (CLAIM, CLAIM_CHECKOUT, SAVE, RELEASE, PURGE)


def running_member(viewer_id: str, key: str) -> str:
    return f"{viewer_id} {key}"  # viewer ids contain no spaces


def claim_keys(viewer_id: str, key: str) -> list[str]:
    return [keys.idempotency(viewer_id, key), keys.idempotency_running(), keys.idempotency_claims()]


def claim_args(request_hash: str, clock: Clock, member: str) -> list[str | int]:
    return [request_hash, codec.micros(clock.now()), member]


def claimed(reply: Any, key: str) -> StoredResponse | None:
    """CLAIM's reply: None once claimed, the stored response of a finished key, else the error."""
    outcome = str(reply[0])
    if outcome == "claimed":
        return None
    if outcome == "mismatch":
        raise errors.idempotency_mismatch(key)
    if outcome == "running":
        raise errors.idempotency_in_progress(key)
    return StoredResponse(status=int(reply[1]), body=str(reply[2]))


class RedisIdempotency:
    _redis: Redis
    _clock: Clock

    async def claim_idempotency_key(self, viewer_id: str, key: str, request_hash: str) -> StoredResponse | None:
        member = running_member(viewer_id, key)
        reply = await CLAIM(self._redis, claim_keys(viewer_id, key), claim_args(request_hash, self._clock, member))
        return claimed(reply, key)

    async def save_idempotent_response(self, viewer_id: str, key: str, response: StoredResponse) -> None:
        saved = await SAVE(
            self._redis,
            [keys.idempotency(viewer_id, key), keys.idempotency_running()],
            [response.status, response.body, running_member(viewer_id, key)],
        )
        if saved == 0:
            raise errors.no_such_idempotency_key(key)

    async def release_idempotency_key(self, viewer_id: str, key: str) -> None:
        await RELEASE(
            self._redis,
            [keys.idempotency(viewer_id, key), keys.idempotency_running()],
            [running_member(viewer_id, key), 0],
        )

    async def purge_idempotency_records(self, older_than: datetime) -> int:
        """Walks the claims index oldest first, in batches. Running claims stay at its front, so each
        batch starts past them. Records claimed before the index existed are not in it: kept."""
        purged = running = 0
        cutoff = f"({codec.micros(older_than)}"
        while members := await self._redis.zrangebyscore(
            keys.idempotency_claims(), "-inf", cutoff, start=running, num=PURGE_BATCH
        ):
            for member in members:
                viewer_id, _, key = str(member).partition(" ")
                outcome = int(
                    await PURGE(
                        self._redis, [keys.idempotency(viewer_id, key), keys.idempotency_claims()], [str(member)]
                    )
                )
                purged += outcome == 1
                running += outcome == -1
        return purged

    async def release_stale_idempotency_keys(self, older_than: datetime) -> int:
        stale = await self._redis.zrangebyscore(keys.idempotency_running(), "-inf", f"({codec.micros(older_than)}")
        released = 0
        for member in stale:
            viewer_id, _, key = str(member).partition(" ")
            released += int(
                await RELEASE(
                    self._redis,
                    [keys.idempotency(viewer_id, key), keys.idempotency_running()],
                    [str(member), 1],
                )
            )
        return released
