"""Brands' products: the catalog. A product is one hash; its SKU is claimed in the brand's SKU index
by the same script that writes it, so two products of one brand can never share a SKU."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import errors, store_checks
from livecart.domain.ids import new_id
from livecart.domain.models import PRODUCT_MUTABLE_FIELDS, Product, ProductDraft
from livecart.store.redis import codec, keys
from livecart.store.redis.lua import Script

# KEYS: brand SKU index, product, all products, brand's products, brand's account.
# ARGV: sku, product id, score, field, value, … Returns 1, 0 when the SKU is taken, or -1 when the brand's
# account does not exist (or was deleted).
CREATE_PRODUCT = Script(
    """
    if redis.call('EXISTS', KEYS[5]) == 0 or redis.call('HEXISTS', KEYS[5], 'deleted_at') == 1 then
      return -1
    end
    if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
      return 0
    end
    redis.call('HSET', KEYS[2], unpack(ARGV, 4))
    redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
    redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
    return 1
    """
)

# KEYS: product. ARGV: number of fields to set n, then n field/value pairs, then fields to clear.
# Returns the product's hash after the update (flat), or false when there is no such product.
UPDATE_PRODUCT = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 0 then
      return false
    end
    local n = tonumber(ARGV[1])
    if n > 0 then
      redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + 2 * n))
    end
    if #ARGV > 1 + 2 * n then
      redis.call('HDEL', KEYS[1], unpack(ARGV, 2 + 2 * n))
    end
    return redis.call('HGETALL', KEYS[1])
    """
)

SCRIPTS = (CREATE_PRODUCT, UPDATE_PRODUCT)


async def fetch_products(redis: Redis, product_ids: list[str]) -> list[Product]:
    """The products with these ids, in this order, leaving out any that do not exist."""
    if not product_ids:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for product_id in product_ids:
            pipe.hgetall(keys.product(product_id))
        replies = await pipe.execute()
    return [codec.product(codec.decoded(row)) for row in replies if row]


class RedisCatalog:
    _redis: Redis
    _clock: Clock

    async def create_product(self, brand_id: str, draft: ProductDraft) -> Product:
        store_checks.product_values(vars(draft))
        now = self._clock.now()
        product = Product(id=new_id("prd"), brand_id=brand_id, created_at=now, updated_at=now, **vars(draft))
        row = codec.fields(**vars(product))
        created = await CREATE_PRODUCT(
            self._redis,
            [
                keys.brand_skus(brand_id),
                keys.product(product.id),
                keys.products(),
                keys.brand_products(brand_id),
                keys.account(brand_id),
            ],
            [draft.sku, product.id, codec.micros(now), *codec.pairs(row)],
        )
        if created == -1:
            raise errors.no_such_account(brand_id)
        if created == 0:
            raise errors.duplicate_sku(draft.sku)
        return product

    async def get_product(self, product_id: str) -> Product | None:
        row = codec.decoded(await self._redis.hgetall(keys.product(product_id)))
        return codec.product(row) if row else None

    async def list_products(self, brand_id: str | None = None) -> list[Product]:
        index = keys.products() if brand_id is None else keys.brand_products(brand_id)
        return await fetch_products(self._redis, [str(member) for member in await self._redis.zrange(index, 0, -1)])

    async def update_product(self, product_id: str, changes: Mapping[str, Any]) -> Product:
        names = [name for name in PRODUCT_MUTABLE_FIELDS if name in changes]
        store_checks.product_values({name: changes[name] for name in names})
        updates = codec.fields(**{name: changes[name] for name in names})
        if names:
            updates["updated_at"] = self._clock.now().isoformat()
        cleared = [name for name in names if changes[name] is None]
        reply = await UPDATE_PRODUCT(
            self._redis, [keys.product(product_id)], [len(updates), *codec.pairs(updates), *cleared]
        )
        if reply is None:
            raise errors.no_such_product(product_id)
        return codec.product(codec.from_pairs(reply))
