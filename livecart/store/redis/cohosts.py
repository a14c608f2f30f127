"""A show's co-hosts and their shares: one hash per co-host, a sorted set per show, and a running sum
of the show's shares kept by the invite script so the 10,000 bps limit holds under concurrency."""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import errors
from livecart.domain.money import BPS_DENOMINATOR
from livecart.domain.shares import Cohost, CohostStatus
from livecart.store.redis import codec, keys
from livecart.store.redis.lua import Script

# KEYS: co-host hash, show's co-hosts, show's share sum. ARGV: host id, share bps, score, limit, m field
# pairs. Returns {'ok'}, {'exists'} or {'exceeds', shares taken}; nothing written unless 'ok'.
INVITE = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
    local taken = tonumber(redis.call('GET', KEYS[3]) or '0')
    if taken + tonumber(ARGV[2]) > tonumber(ARGV[4]) then return {'exceeds', taken} end
    redis.call('HSET', KEYS[1], unpack(ARGV, 6, 5 + 2 * tonumber(ARGV[5])))
    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
    redis.call('INCRBY', KEYS[3], ARGV[2])
    return {'ok'}
    """
)

# KEYS: co-host hash. ARGV: accepted_at. Returns the hash after the change (flat), or false when absent.
ACCEPT = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 0 then return false end
    if redis.call('HGET', KEYS[1], 'status') == 'invited' then
      redis.call('HSET', KEYS[1], 'status', 'active', 'accepted_at', ARGV[1])
    end
    return redis.call('HGETALL', KEYS[1])
    """
)

SCRIPTS = (INVITE, ACCEPT)


def _cohost(row: Mapping[str, str]) -> Cohost:
    invited = codec.from_text(row["invited_at"])
    assert invited is not None
    return Cohost(
        show_id=row["show_id"],
        host_id=row["host_id"],
        share_bps=int(row["share_bps"]),
        status=CohostStatus(row["status"]),
        invited_at=invited,
        accepted_at=codec.from_text(row.get("accepted_at")),
    )


class RedisCohosts:
    _redis: Redis
    _clock: Clock

    async def invite_cohost(self, show_id: str, host_id: str, share_bps: int) -> Cohost:
        if not 1 <= share_bps <= BPS_DENOMINATOR:
            raise ValueError("share_bps must be from 1 to 10000")
        cohost = Cohost(show_id, host_id, share_bps, CohostStatus.INVITED, self._clock.now())
        record = codec.fields(
            show_id=show_id, host_id=host_id, share_bps=share_bps, status=cohost.status.value,
            invited_at=cohost.invited_at,
        )  # fmt: skip
        reply = await INVITE(
            self._redis,
            [keys.cohost(show_id, host_id), keys.show_cohosts(show_id), keys.show_cohost_bps(show_id)],
            [host_id, share_bps, codec.micros(cohost.invited_at), BPS_DENOMINATOR, len(record), *codec.pairs(record)],
        )
        if reply[0] == "exists":
            raise errors.already_cohost(host_id)
        if reply[0] == "exceeds":
            raise errors.shares_exceed_total(
                int(reply[1]),
            )
        return cohost

    async def accept_cohost(self, show_id: str, host_id: str) -> Cohost:
        reply = await ACCEPT(self._redis, [keys.cohost(show_id, host_id)], [codec.to_text(self._clock.now()) or ""])
        if not reply:
            raise errors.not_invited_cohost(host_id)
        return _cohost(codec.from_pairs(reply))

    async def cohosts(self, show_id: str) -> list[Cohost]:
        host_ids = [str(host_id) for host_id in await self._redis.zrange(keys.show_cohosts(show_id), 0, -1)]
        if not host_ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for host_id in host_ids:
                pipe.hgetall(keys.cohost(show_id, host_id))
            found = await pipe.execute()
        return [_cohost(row) for row in found if row]
