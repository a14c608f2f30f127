"""Pins: the products on screen now, and the show's pin log of spans (stats, replay chapters).

Each span is a JSON entry of a list; an open span's index is kept in the show's `pins` hash, so
pinning twice opens nothing and unpinning closes exactly the open span, each in one script.
Times inside the JSON are strings of microseconds (cjson would round big numbers).
"""

from __future__ import annotations

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import errors
from livecart.domain.commerce import Pin, PinSpan
from livecart.store.redis import codec, keys, records
from livecart.store.redis.catalog import fetch_products
from livecart.store.redis.lua import Script

# KEYS: product, pins, pin log, pinned-during set, show. ARGV: product id, now (µs).
# Returns {1, pinned µs} when pinned now, {0, pinned µs} when already pinned, {-2} for an unknown show,
# {-1} for an unknown product.
PIN = Script(
    """
    if redis.call('EXISTS', KEYS[5]) == 0 then return {-2} end
    if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
    local open = redis.call('HGET', KEYS[2], ARGV[1])
    if open then
      local span = cjson.decode(redis.call('LINDEX', KEYS[3], tonumber(open)))
      return {0, span['pinned_us']}
    end
    local index = redis.call('RPUSH', KEYS[3], cjson.encode({product_id = ARGV[1], pinned_us = ARGV[2]})) - 1
    redis.call('HSET', KEYS[2], ARGV[1], index)
    redis.call('SADD', KEYS[4], ARGV[1])
    return {1, ARGV[2]}
    """
)

# KEYS: pins, pin log. ARGV: product id, now (µs). Returns 1 when a span was closed, 0 when not pinned.
UNPIN = Script(
    """
    local open = redis.call('HGET', KEYS[1], ARGV[1])
    if not open then return 0 end
    local span = cjson.decode(redis.call('LINDEX', KEYS[2], tonumber(open)))
    span['unpinned_us'] = ARGV[2]
    redis.call('LSET', KEYS[2], tonumber(open), cjson.encode(span))
    redis.call('HDEL', KEYS[1], ARGV[1])
    return 1
    """
)

SCRIPTS = (PIN, UNPIN)


class RedisPins:
    _redis: Redis
    _clock: Clock

    async def pin_product(self, show_id: str, product_id: str) -> tuple[Pin, bool]:
        reply = await PIN(
            self._redis,
            [
                keys.product(product_id),
                keys.pins(show_id),
                keys.pin_log(show_id),
                keys.pinned_during(show_id),
                keys.show(show_id),
            ],
            [product_id, codec.micros(self._clock.now())],
        )
        if int(reply[0]) == -2:
            raise errors.no_such_show(show_id)
        if int(reply[0]) == -1:
            raise errors.no_such_product(product_id)
        found = await fetch_products(self._redis, [product_id])
        if not found:
            raise errors.no_such_product(product_id)
        return Pin(show_id=show_id, product=found[0], pinned_at=records.from_micros(reply[1])), int(reply[0]) == 1

    async def unpin_product(self, show_id: str, product_id: str) -> bool:
        closed = await UNPIN(
            self._redis, [keys.pins(show_id), keys.pin_log(show_id)], [product_id, codec.micros(self._clock.now())]
        )
        return bool(closed == 1)

    async def active_pins(self, show_id: str) -> list[Pin]:
        async with self._redis.pipeline(transaction=True) as tx:  # one consistent snapshot of both keys
            tx.hgetall(keys.pins(show_id))
            tx.lrange(keys.pin_log(show_id), 0, -1)
            open_reply, log_reply = await tx.execute()
        open_spans = {str(product): int(index) for product, index in open_reply.items()}
        spans = [records.pin_span(show_id, str(text)) for text in log_reply]
        pinned = sorted(open_spans, key=open_spans.__getitem__)
        products = {product.id: product for product in await fetch_products(self._redis, pinned)}
        return [
            Pin(
                show_id=show_id,
                product=products[product_id],
                pinned_at=spans[open_spans[product_id]].pinned_at,
            )
            for product_id in pinned
            if product_id in products and open_spans[product_id] < len(spans)
        ]

    async def pin_log(self, show_id: str) -> list[PinSpan]:
        return [records.pin_span(show_id, str(text)) for text in await self._redis.lrange(keys.pin_log(show_id), 0, -1)]

    async def pinned_during(self, show_id: str) -> set[str]:
        return {str(product_id) for product_id in await self._redis.smembers(keys.pinned_during(show_id))}
