"""Carts per viewer per show (kept in Redis, so they survive reconnects and restarts), cart activity
for the stats, and the units each buyer has bought (the per-buyer limit counts them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import errors, store_checks
from livecart.domain.commerce import CartActivity, CartItem
from livecart.store.redis import codec, keys, records
from livecart.store.redis.lua import Script

# KEYS: cart qty, cart lines, show cart adds, product cart viewers, product, viewer's carts.
# ARGV: product id, qty, max qty, now (µs), viewer id, show id.
# Returns {1, lines with scores, qty hash} after adding, {0, units in the line now} over the limit,
# or {-1} for an unknown product.
ADD_TO_CART = Script(
    """
    if redis.call('EXISTS', KEYS[5]) == 0 then return {-1} end
    local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
    if current + tonumber(ARGV[2]) > tonumber(ARGV[3]) then
      return {0, current}
    end
    redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
    redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[1])
    redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
    redis.call('SADD', KEYS[4], ARGV[5])
    redis.call('SADD', KEYS[6], ARGV[6])
    return {1, redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES'), redis.call('HGETALL', KEYS[1])}
    """
)

# KEYS: cart qty, cart lines. ARGV: product id. Returns 1 when a line was removed.
REMOVE_FROM_CART = Script(
    """
    redis.call('ZREM', KEYS[2], ARGV[1])
    return redis.call('HDEL', KEYS[1], ARGV[1])
    """
)

# KEYS: as ADD_TO_CART. ARGV: product id, qty (≥ 0), max qty, now (µs), viewer id, show id.
# 0 removes the line; fewer units always succeed; more are an add (limit, unknown product, one cart add).
# Returns as ADD_TO_CART.
SET_CART_QTY = Script(
    """
    local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
    local qty = tonumber(ARGV[2])
    if qty == 0 then
      redis.call('ZREM', KEYS[2], ARGV[1])
      redis.call('HDEL', KEYS[1], ARGV[1])
    elseif qty < current then
      redis.call('HSET', KEYS[1], ARGV[1], qty)
    elseif qty > current then
      if redis.call('EXISTS', KEYS[5]) == 0 then return {-1} end
      if qty > tonumber(ARGV[3]) then return {0, current} end
      redis.call('HSET', KEYS[1], ARGV[1], qty)
      redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[1])
      redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
      redis.call('SADD', KEYS[4], ARGV[5])
      redis.call('SADD', KEYS[6], ARGV[6])
    end
    return {1, redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES'), redis.call('HGETALL', KEYS[1])}
    """
)

SCRIPTS = (ADD_TO_CART, REMOVE_FROM_CART, SET_CART_QTY)


def cart_items(lines: Sequence[Any], quantities: Sequence[Any]) -> list[CartItem]:
    """Cart lines from ZRANGE … WITHSCORES (flat, as Lua returns it) and HGETALL (flat)."""
    qty = codec.from_pairs(quantities)
    return [
        CartItem(product_id=str(lines[i]), qty=int(qty[str(lines[i])]), added_at=records.from_micros(lines[i + 1]))
        for i in range(0, len(lines), 2)
        if str(lines[i]) in qty
    ]


class RedisCarts:
    _redis: Redis
    _clock: Clock

    async def cart(self, show_id: str, viewer_id: str) -> list[CartItem]:
        async with self._redis.pipeline(transaction=True) as tx:
            tx.zrange(keys.cart_lines(show_id, viewer_id), 0, -1, withscores=True)
            tx.hgetall(keys.cart_qty(show_id, viewer_id))
            lines, quantities = await tx.execute()
        qty = codec.decoded(quantities)
        return [
            CartItem(
                product_id=str(product_id),
                qty=int(qty[str(product_id)]),
                added_at=records.from_micros(int(score)),
            )
            for product_id, score in lines
            if str(product_id) in qty
        ]

    async def add_to_cart(
        self, show_id: str, viewer_id: str, product_id: str, qty: int, max_qty: int
    ) -> list[CartItem]:
        store_checks.cart_qty(qty)
        return await self._change_line(ADD_TO_CART, show_id, viewer_id, product_id, qty, max_qty)

    async def remove_from_cart(self, show_id: str, viewer_id: str, product_id: str) -> bool:
        removed = await REMOVE_FROM_CART(
            self._redis,
            [keys.cart_qty(show_id, viewer_id), keys.cart_lines(show_id, viewer_id)],
            [product_id],
        )
        return bool(removed == 1)

    async def set_cart_qty(
        self, show_id: str, viewer_id: str, product_id: str, qty: int, max_qty: int
    ) -> list[CartItem]:
        store_checks.cart_set_qty(qty)
        return await self._change_line(SET_CART_QTY, show_id, viewer_id, product_id, qty, max_qty)

    async def _change_line(
        self, script: Script, show_id: str, viewer_id: str, product_id: str, qty: int, max_qty: int
    ) -> list[CartItem]:
        """ADD_TO_CART or SET_CART_QTY (same keys, arguments and reply) → the cart, or the error."""
        reply = await script(
            self._redis,
            [
                keys.cart_qty(show_id, viewer_id),
                keys.cart_lines(show_id, viewer_id),
                keys.cart_adds(show_id),
                keys.cart_viewers(show_id, product_id),
                keys.product(product_id),
                keys.viewer_carts(viewer_id),
            ],
            [product_id, qty, max_qty, codec.micros(self._clock.now()), viewer_id, show_id],
        )
        if int(reply[0]) == -1:
            raise errors.no_such_product(product_id)
        if int(reply[0]) == 0:
            raise errors.cart_line_limit_exceeded(product_id, max_qty, int(reply[1]))
        return cart_items(reply[1], reply[2])

    async def cart_activity(self, show_id: str) -> dict[str, CartActivity]:
        adds = codec.decoded(await self._redis.hgetall(keys.cart_adds(show_id)))
        if not adds:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for product_id in adds:
                pipe.scard(keys.cart_viewers(show_id, product_id))
            viewers = await pipe.execute()
        return {
            product_id: CartActivity(adds=int(count), viewers=int(distinct))
            for (product_id, count), distinct in zip(adds.items(), viewers, strict=True)
        }

    async def units_bought(self, buyer_id: str, product_ids: Sequence[str]) -> dict[str, int]:
        if not product_ids:
            return {}
        counts = await self._redis.hmget(keys.units_bought(buyer_id), list(product_ids))
        return {product_id: int(count or 0) for product_id, count in zip(product_ids, counts, strict=True)}
