"""`checkout_inputs` on Redis: every read a checkout prices with in two pipelined round trips.

The first reads the cart (its lines and quantities in one MULTI/EXEC, as `cart` does), the pinned set,
the buyer's units, the host's application ids and the show's co-host ids; the second the hashes those
name (each cart product, application and co-host). Before, the same values took nine separate
commands, each with its own connection checkout, reply parse and event-loop wake-up.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from livecart.domain.commerce import CartItem
from livecart.store.base import CheckoutInputs
from livecart.store.redis import codec, keys, records
from livecart.store.redis.campaigns import _application
from livecart.store.redis.cohosts import _cohost


def _rows(replies: list[Any]) -> list[dict[str, str]]:
    return [codec.decoded(reply) for reply in replies]


class RedisCheckoutReads:
    _redis: Redis

    async def checkout_inputs(self, show_id: str, buyer_id: str, host_id: str) -> CheckoutInputs:
        async with self._redis.pipeline(transaction=True) as tx:
            tx.zrange(keys.cart_lines(show_id, buyer_id), 0, -1, withscores=True)
            tx.hgetall(keys.cart_qty(show_id, buyer_id))
            tx.smembers(keys.pinned_during(show_id))
            tx.hgetall(keys.units_bought(buyer_id))
            tx.zrevrange(keys.host_applications(host_id), 0, -1)
            tx.zrange(keys.show_cohosts(show_id), 0, -1)
            lines, quantities, pinned, units, application_ids, cohost_ids = await tx.execute()
        qty = codec.decoded(quantities)
        cart = [
            CartItem(
                product_id=str(product_id), qty=int(qty[str(product_id)]), added_at=records.from_micros(int(score))
            )
            for product_id, score in lines
            if str(product_id) in qty
        ]
        ids = [item.product_id for item in cart]
        applications = [str(one) for one in application_ids]
        cohosts = [str(one) for one in cohost_ids]
        found: list[Any] = []
        if ids or applications or cohosts:
            async with self._redis.pipeline(transaction=False) as pipe:
                for product_id in ids:
                    pipe.hgetall(keys.product(product_id))
                for application_id in applications:
                    pipe.hgetall(keys.application(application_id))
                for cohost_id in cohosts:
                    pipe.hgetall(keys.cohost(show_id, cohost_id))
                found = await pipe.execute()
        products = _rows(found[: len(ids)])
        application_rows = _rows(found[len(ids) : len(ids) + len(applications)])
        cohost_rows = _rows(found[len(ids) + len(applications) :])
        bought = codec.decoded(units)
        return CheckoutInputs(
            cart=cart,
            products={row["id"]: codec.product(row) for row in products if row},
            pinned={str(product_id) for product_id in pinned},
            bought={product_id: int(bought.get(product_id) or 0) for product_id in ids},
            applications=[_application(row) for row in application_rows if row],
            cohosts=[_cohost(row) for row in cohost_rows if row],
        )
