"""Flash deals on Redis: reserving a unit, expiring holds and ordering held units are Lua scripts
(KEYS and ARGV above each), so `remaining` and the product's stock move together and never below zero
whatever the number of nodes and buyers."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import deals, errors
from livecart.domain.commerce import Order
from livecart.domain.deals import Deal, DealHold
from livecart.domain.ids import new_id
from livecart.store.redis import codec, keys, records
from livecart.store.redis import selling_records as rec
from livecart.store.redis.lua import Script
from livecart.store.redis.pending import PendingOrders

# Expiring inside a script: KEYS[1] deal, KEYS[2] held, KEYS[3] hold status, KEYS[5] hold viewers,
# KEYS[6] viewers, KEYS[7] product; `now` in µs. Holds whose expiry is ≤ now go back to both counts.
EXPIRE_LUA = """
local function expire_holds(now)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
  if #expired == 0 then return end
  for _, hold_id in ipairs(expired) do
    redis.call('HSET', KEYS[3], hold_id, 'expired')
    redis.call('HINCRBY', KEYS[6], redis.call('HGET', KEYS[5], hold_id), -1)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('HINCRBY', KEYS[1], 'remaining', #expired)
  if redis.call('EXISTS', KEYS[7]) == 1 then redis.call('HINCRBY', KEYS[7], 'stock', #expired) end
end
"""

# KEYS: deal, held, hold status, holds, hold viewers, viewers, product.
# ARGV: now (µs), viewer id, max per viewer, hold id, hold expiry (µs), hold JSON.
# The checks of domain.deals.check_reserve, in its order: ended, sold out (deal or stock), viewer limit.
# Returns {'ok', deal hash, stock} or {'not_found'} / {'ended'} / {'sold_out'} / {'limit'}.
RESERVE = Script(
    EXPIRE_LUA
    + """
    local d = redis.call('HMGET', KEYS[1], 'status', 'ends_at_us')
    if not d[1] then return {'not_found'} end
    local now = tonumber(ARGV[1])
    if d[1] ~= 'open' or now >= tonumber(d[2]) then return {'ended'} end
    expire_holds(ARGV[1])
    local remaining = tonumber(redis.call('HGET', KEYS[1], 'remaining'))
    local stock = tonumber(redis.call('HGET', KEYS[7], 'stock') or '0')
    if remaining < 1 or stock < 1 then return {'sold_out'} end
    if tonumber(redis.call('HGET', KEYS[6], ARGV[2]) or '0') >= tonumber(ARGV[3]) then return {'limit'} end
    redis.call('HINCRBY', KEYS[1], 'remaining', -1)
    local left = redis.call('HINCRBY', KEYS[7], 'stock', -1)
    redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
    redis.call('HSET', KEYS[3], ARGV[4], 'held')
    redis.call('RPUSH', KEYS[4], ARGV[6])
    redis.call('HSET', KEYS[5], ARGV[4], ARGV[2])
    redis.call('HINCRBY', KEYS[6], ARGV[2], 1)
    return {'ok', redis.call('HGETALL', KEYS[1]), left}
    """
)

# KEYS: as RESERVE. ARGV: now (µs). Returns {'ok', deal hash, stock} or {'not_found'}.
EXPIRE = Script(
    EXPIRE_LUA
    + """
    if redis.call('EXISTS', KEYS[1]) == 0 then return {'not_found'} end
    expire_holds(ARGV[1])
    return {'ok', redis.call('HGETALL', KEYS[1]), redis.call('HGET', KEYS[7], 'stock') or '0'}
    """
)

# KEYS: deal. ARGV: ended at (ISO), ended at (µs). Returns {'ok', deal hash} or {'not_found'}.
END_DEAL = Script(
    """
    local status = redis.call('HGET', KEYS[1], 'status')
    if not status then return {'not_found'} end
    if status == 'open' then
      redis.call('HSET', KEYS[1], 'status', 'ended', 'ended_at', ARGV[1], 'ended_at_us', ARGV[2])
    end
    return {'ok', redis.call('HGETALL', KEYS[1])}
    """
)

# KEYS: order, show orders, pending orders, buyer units, idempotency record, then per hold (held, status).
# ARGV: now (µs), n holds, created (µs), order id, has idempotency key (0/1), lines l, pairs m,
#       then n hold ids, l (product id, qty), m field pairs.
# Returns {'ok'} or {'exists'} / {'expired', hold id, …} with nothing written.
PLACE_DEAL_ORDER = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
    local now, n, l, m = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[6]), tonumber(ARGV[7])
    local bad = {}
    for i = 1, n do
      local hold_id = ARGV[7 + i]
      local expires = redis.call('ZSCORE', KEYS[4 + 2 * i], hold_id)
      if redis.call('HGET', KEYS[5 + 2 * i], hold_id) ~= 'held' or not expires or now >= tonumber(expires) then
        table.insert(bad, hold_id)
      end
    end
    if #bad > 0 then return {'expired', unpack(bad)} end
    for i = 1, n do
      local hold_id = ARGV[7 + i]
      redis.call('ZREM', KEYS[4 + 2 * i], hold_id)
      redis.call('HSET', KEYS[5 + 2 * i], hold_id, 'ordered ' .. ARGV[4])
    end
    for j = 1, l do
      redis.call('HINCRBY', KEYS[4], ARGV[6 + n + 2 * j], tonumber(ARGV[7 + n + 2 * j]))
    end
    redis.call('HSET', KEYS[1], unpack(ARGV, 8 + n + 2 * l, 7 + n + 2 * l + 2 * m))
    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
    redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
    if ARGV[5] == '1' and redis.call('EXISTS', KEYS[5]) == 1 then
      redis.call('HSET', KEYS[5], 'order_id', ARGV[4])
    end
    return {'ok'}
    """
)

# KEYS: deals held (all deals), the deal's held set. ARGV: deal id. The deal's entry in `deals:held`
# becomes its earliest held expiry, or goes when it holds nothing.
TRACK_HELD = Script(
    """
    local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    if #first == 0 then
      redis.call('ZREM', KEYS[1], ARGV[1])
    else
      redis.call('ZADD', KEYS[1], first[2], ARGV[1])
    end
    return 1
    """
)

SCRIPTS = (RESERVE, EXPIRE, END_DEAL, PLACE_DEAL_ORDER, TRACK_HELD)


def _deal_keys(deal_id: str, product_id: str) -> list[str]:
    return [
        keys.deal(deal_id), keys.deal_held(deal_id), keys.deal_hold_status(deal_id), keys.deal_holds(deal_id),
        keys.deal_hold_viewers(deal_id), keys.deal_viewers(deal_id), keys.product(product_id),
    ]  # fmt: skip


class RedisDeals:
    """A deal's order (`place_deal_order`) is a money write: it returns only once `WAIT` saw it on
    `_min_replicas` replicas (LIVECART_REDIS_MIN_REPLICAS), as a checkout's order does."""

    _redis: Redis
    _clock: Clock
    _pending: PendingOrders
    _min_replicas: int
    _wait_timeout_ms: int

    async def create_deal(self, deal: Deal) -> None:
        if not await self._redis.exists(keys.product(deal.product_id)):
            raise errors.no_such_product(deal.product_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.deal(deal.id), mapping=rec.fields_of(deal))  # type: ignore[arg-type]
            pipe.zadd(keys.show_deals(deal.show_id), {deal.id: codec.micros(deal.created_at)})
            await pipe.execute()

    async def show_deals(self, show_id: str) -> list[Deal]:
        deal_ids = await self._redis.zrange(keys.show_deals(show_id), 0, -1)
        found = [await self.get_deal(str(deal_id)) for deal_id in deal_ids]
        return [deal for deal in found if deal is not None]

    async def get_deal(self, deal_id: str) -> Deal | None:
        row = codec.decoded(await self._redis.hgetall(keys.deal(deal_id)))
        return rec.deal(row) if row else None

    async def _product_of(self, deal_id: str) -> str:
        product_id = await self._redis.hget(keys.deal(deal_id), "product_id")
        if product_id is None:
            raise deals.no_such_deal(deal_id)
        return str(product_id)

    async def end_deal(self, deal_id: str) -> Deal:
        now = self._clock.now()
        reply = await END_DEAL(self._redis, [keys.deal(deal_id)], [now.isoformat(), codec.micros(now)])
        if str(reply[0]) == "not_found":
            raise deals.no_such_deal(deal_id)
        return rec.deal(codec.from_pairs(reply[1]))

    async def reserve_deal_unit(
        self, deal_id: str, viewer_id: str, hold_s: int, max_per_viewer: int
    ) -> tuple[DealHold, Deal, int]:
        deal = await self.get_deal(deal_id)
        if deal is None:
            raise deals.no_such_deal(deal_id)
        now = self._clock.now()
        hold = deals.new_hold(deal, new_id("hld"), viewer_id, now, hold_s)
        reply = await RESERVE(
            self._redis,
            _deal_keys(deal_id, deal.product_id),
            [codec.micros(now), viewer_id, max_per_viewer, hold.id, codec.micros(hold.expires_at), rec.hold_json(hold)],
        )
        outcome = str(reply[0])
        if outcome == "not_found":
            raise deals.no_such_deal(deal_id)
        if outcome == "ended":
            raise deals.deal_ended(deal_id)
        if outcome == "sold_out":
            raise deals.deal_sold_out(deal_id)
        if outcome == "limit":
            raise deals.deal_limit(deal_id, max_per_viewer)
        # After the script: LT only ever lowers the score, so a sweep in between loses nothing.
        await self._redis.zadd(keys.deals_held(), {deal_id: codec.micros(hold.expires_at)}, lt=True)
        return hold, rec.deal(codec.from_pairs(reply[1])), int(reply[2])

    async def deal_holds(self, deal_id: str) -> list[DealHold]:
        texts = await self._redis.lrange(keys.deal_holds(deal_id), 0, -1)
        statuses = codec.decoded(await self._redis.hgetall(keys.deal_hold_status(deal_id)))
        holds = [rec.hold(str(text), None) for text in texts]
        return [rec.hold(str(text), statuses.get(hold.id)) for text, hold in zip(texts, holds, strict=True)]

    async def deals_with_expired_holds(self) -> list[str]:
        due = await self._redis.zrangebyscore(keys.deals_held(), "-inf", codec.micros(self._clock.now()))
        return [str(deal_id) for deal_id in due]

    async def expire_deal_holds(self, deal_id: str) -> tuple[Deal, int]:
        product_id = await self._product_of(deal_id)
        reply = await EXPIRE(self._redis, _deal_keys(deal_id, product_id), [codec.micros(self._clock.now())])
        if str(reply[0]) == "not_found":
            raise deals.no_such_deal(deal_id)
        await TRACK_HELD(self._redis, [keys.deals_held(), keys.deal_held(deal_id)], [deal_id])
        return rec.deal(codec.from_pairs(reply[1])), int(reply[2])

    async def place_deal_order(self, order: Order, holds: Sequence[DealHold]) -> None:
        if len({hold.id for hold in holds}) != len(holds):
            raise ValueError("each hold once")
        now = self._clock.now()
        deals.check_holds(order, holds, now)  # owner and lines; status and expiry again in the script
        row = records.order_fields(order)
        reply = await PLACE_DEAL_ORDER.replicated(
            self._redis,
            [
                keys.order(order.id), keys.show_orders(order.show_id), keys.pending_orders(),
                keys.units_bought(order.buyer_id), keys.idempotency(order.buyer_id, order.idempotency_key or ""),
                *(key for hold in holds for key in (keys.deal_held(hold.deal_id), keys.deal_hold_status(hold.deal_id))),
            ],
            [
                codec.micros(now), len(holds), codec.micros(order.created_at), order.id,
                int(order.idempotency_key is not None), len(order.lines), len(row),
                *(hold.id for hold in holds),
                *(arg for line in order.lines for arg in (line.product_id, line.qty)),
                *codec.pairs(row),
            ],
            self._min_replicas, self._wait_timeout_ms,
        )  # fmt: skip
        outcome = str(reply[0])
        if outcome == "exists":
            raise errors.order_exists(order.id)
        if outcome == "expired":
            raise deals.hold_expired([str(hold_id) for hold_id in reply[1:]])
        self._pending.add(order)
