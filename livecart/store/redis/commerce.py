"""`RedisCommerce`: pins, carts, idempotency records, orders and the ledger, one mixin each."""

from __future__ import annotations

from livecart.store.redis import carts, checkout_reads, idempotency, orders, pins
from livecart.store.redis.carts import RedisCarts
from livecart.store.redis.idempotency import RedisIdempotency
from livecart.store.redis.ledger import RedisLedger
from livecart.store.redis.lua import Script
from livecart.store.redis.orders import RedisOrders
from livecart.store.redis.pins import RedisPins

SCRIPTS: tuple[Script, ...] = (
    *pins.SCRIPTS,
    *carts.SCRIPTS,
    *idempotency.SCRIPTS,
    *orders.SCRIPTS,
    *checkout_reads.SCRIPTS,
)


class RedisCommerce(RedisPins, RedisCarts, RedisIdempotency, RedisOrders, RedisLedger):
    pass
