"""Shows, their status and their lineup of featured products.

A status change is decided in Python by the pure rule (`show_transition_allowed`) and written by a
compare-and-set script that applies it only if the status is still the one the rule saw; a lost race
is simply decided again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import errors, store_checks, webhooks
from livecart.domain.ids import new_id
from livecart.domain.models import Product, Show, ShowStatus, show_list_order, show_status_stamp
from livecart.store.redis import codec, keys
from livecart.store.redis.catalog import fetch_products
from livecart.store.redis.lua import Script
from livecart.store.redis.webhooks import OUTBOX_LUA, outbox_args, outbox_keys

# KEYS: show, then the webhook outbox's. ARGV: expected status, new status, stamp field ('' for none),
# stamp, then the outbox event (show.live on the first live, show.ended; none for a pause or a resume).
# Returns the show's hash after the change (flat), or false when its status is no longer the expected one.
# `paused_at` is kept only while the show is paused.
SET_STATUS = Script(
    OUTBOX_LUA
    + """
    if redis.call('HGET', KEYS[1], 'status') ~= ARGV[1] then
      return false
    end
    redis.call('HSET', KEYS[1], 'status', ARGV[2])
    if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], ARGV[3], ARGV[4]) end
    if ARGV[2] ~= 'paused' then redis.call('HDEL', KEYS[1], 'paused_at') end
    write_event()
    return redis.call('HGETALL', KEYS[1])
    """
)

# KEYS: show, product, lineup, product's shows. ARGV: score, product id, show id.
# Returns 1 when added, 0 when already there, -1 for an unknown show, -2 for an unknown product.
ADD_TO_LINEUP = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
    if redis.call('EXISTS', KEYS[2]) == 0 then return -2 end
    redis.call('ZADD', KEYS[4], 'NX', ARGV[1], ARGV[3])
    return redis.call('ZADD', KEYS[3], 'NX', ARGV[1], ARGV[2])
    """
)

# KEYS: show, all shows, host's account. ARGV: score, show id, field, value, …
# Returns 1, or 0 when the host's account does not exist (or was deleted).
CREATE_SHOW = Script(
    """
    if redis.call('EXISTS', KEYS[3]) == 0 or redis.call('HEXISTS', KEYS[3], 'deleted_at') == 1 then
      return 0
    end
    redis.call('HSET', KEYS[1], unpack(ARGV, 3))
    redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
    return 1
    """
)

SCRIPTS = (SET_STATUS, ADD_TO_LINEUP, CREATE_SHOW)


class RedisShows:
    _redis: Redis
    _clock: Clock

    async def create_show(self, host_id: str, title: str, scheduled_at: datetime | None) -> Show:
        store_checks.instant("scheduled_at", scheduled_at)
        show = Show(
            id=new_id("shw"),
            host_id=host_id,
            title=title,
            status=ShowStatus.SCHEDULED,
            scheduled_at=scheduled_at,
            started_at=None,
            ended_at=None,
            created_at=self._clock.now(),
        )
        row = codec.fields(
            id=show.id,
            host_id=host_id,
            title=title,
            status=show.status.value,
            scheduled_at=scheduled_at,
            created_at=show.created_at,
        )
        created = await CREATE_SHOW(
            self._redis,
            [keys.show(show.id), keys.shows(), keys.account(host_id)],
            [codec.micros(show.created_at), show.id, *codec.pairs(row)],
        )
        if created == 0:
            raise errors.no_such_account(host_id)
        return show

    async def get_show(self, show_id: str) -> Show | None:
        row = codec.decoded(await self._redis.hgetall(keys.show(show_id)))
        return codec.show(row) if row else None

    async def list_shows(self) -> list[Show]:
        show_ids = [str(member) for member in await self._redis.zrange(keys.shows(), 0, -1)]
        if not show_ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for show_id in show_ids:
                pipe.hgetall(keys.show(show_id))
            replies = await pipe.execute()
        return sorted((codec.show(codec.decoded(row)) for row in replies if row), key=show_list_order)

    async def set_show_status(self, show_id: str, status: ShowStatus) -> Show:
        while True:
            show = await self.get_show(show_id)
            if show is None:
                raise errors.no_such_show(show_id)
            if not store_checks.show_status_change(show.status, status):
                return show
            now = self._clock.now()
            stamp = show_status_stamp(show.status, status)
            changed = replace(
                show,
                status=status,
                started_at=now if stamp == "started_at" else show.started_at,
                ended_at=now if stamp == "ended_at" else show.ended_at,
                paused_at=now if stamp == "paused_at" else None,
            )
            reply = await SET_STATUS(
                self._redis,
                [keys.show(show_id), *outbox_keys()],
                [
                    show.status.value,
                    status.value,
                    stamp or "",
                    now.isoformat(),
                    *outbox_args(webhooks.show_changed(show.status, changed, now)),
                ],
            )
            if reply is not None:
                return codec.show(codec.from_pairs(reply))

    async def add_to_lineup(self, show_id: str, product_id: str) -> bool:
        added = await ADD_TO_LINEUP(
            self._redis,
            [keys.show(show_id), keys.product(product_id), keys.lineup(show_id), keys.product_shows(product_id)],
            [codec.micros(self._clock.now()), product_id, show_id],
        )
        if added == -1:
            raise errors.no_such_show(show_id)
        if added == -2:
            raise errors.no_such_product(product_id)
        return bool(added == 1)

    async def lineup(self, show_id: str) -> list[Product]:
        product_ids = [str(member) for member in await self._redis.zrange(keys.lineup(show_id), 0, -1)]
        return await fetch_products(self._redis, product_ids)

    async def shows_featuring(self, product_id: str) -> list[Show]:
        show_ids = sorted(str(member) for member in await self._redis.zrange(keys.product_shows(product_id), 0, -1))
        found = [await self.get_show(show_id) for show_id in show_ids]
        return [show for show in found if show is not None]
