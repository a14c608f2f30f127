"""`checkout_caller`, `checkout_inputs` and `claim_checkout` on Redis: the reads (and the claim) a
checkout starts with, in as few round trips as the keys allow.

- `checkout_caller`: the token's account, the show and whether it has deals, one read-only script.
- `checkout_inputs`: the cart (its lines and quantities in one MULTI/EXEC, as `cart` does), the pinned
  set, the buyer's units, the host's application ids and the show's co-host ids; then the hashes
  those name (each cart product, application and co-host) in a second pipelined round trip.
- `claim_checkout`: one script claims the key and, once claimed, makes both round trips' reads: one
  command and one round trip for the claim and everything it prices with.
Before, the same values took eleven separate commands, each with its own connection checkout, reply
parse and event-loop wake-up.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from livecart.clock import Clock
from livecart.domain.commerce import CartItem, StoredResponse
from livecart.domain.ids import hash_token
from livecart.store.base import CheckoutCaller, CheckoutInputs
from livecart.store.redis import codec, keys, records
from livecart.store.redis.campaigns import _application
from livecart.store.redis.cohosts import _cohost
from livecart.store.redis.idempotency import CLAIM_CHECKOUT, claim_args, claim_keys, claimed, running_member
from livecart.store.redis.lua import Script

# KEYS: the token's hash, the show's hash, the show's deals. Returns {token hash (flat), show hash (flat),
# 1 when the show has deals else 0}: one EVALSHA costs the client about half a three-command pipeline.
CALLER = Script(
    """
    return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), redis.call('EXISTS', KEYS[3])}
    """
)
SCRIPTS = (CALLER,)


def _rows(replies: list[Any]) -> list[dict[str, str]]:
    return [codec.decoded(reply) for reply in replies]


def _first_reads(tx: Pipeline, show_id: str, buyer_id: str, host_id: str) -> None:
    """Queue the reads that name no other key (six replies, in `_inputs`' order)."""
    tx.zrange(keys.cart_lines(show_id, buyer_id), 0, -1, withscores=True)
    tx.hgetall(keys.cart_qty(show_id, buyer_id))
    tx.smembers(keys.pinned_during(show_id))
    tx.hgetall(keys.units_bought(buyer_id))
    tx.zrevrange(keys.host_applications(host_id), 0, -1)
    tx.zrange(keys.show_cohosts(show_id), 0, -1)


class RedisCheckoutReads:
    _redis: Redis
    _clock: Clock

    async def checkout_caller(self, token: str, show_id: str) -> CheckoutCaller:
        account, show, deals = await CALLER(
            self._redis, [keys.token(hash_token(token)), keys.show(show_id), keys.show_deals(show_id)]
        )
        account_row, show_row = codec.from_pairs(account), codec.from_pairs(show)
        return CheckoutCaller(
            account=codec.account(account_row) if account_row else None,
            show=codec.show(show_row) if show_row else None,
            has_deals=bool(deals),
        )

    async def checkout_inputs(self, show_id: str, buyer_id: str, host_id: str) -> CheckoutInputs:
        async with self._redis.pipeline(transaction=True) as tx:
            _first_reads(tx, show_id, buyer_id, host_id)
            first = await tx.execute()
        return await self._inputs(show_id, buyer_id, first)

    async def claim_checkout(
        self, viewer_id: str, key: str, request_hash: str, show_id: str, host_id: str
    ) -> StoredResponse | CheckoutInputs:
        reply = await CLAIM_CHECKOUT(
            self._redis,
            [
                *claim_keys(viewer_id, key),
                keys.cart_lines(show_id, viewer_id),
                keys.cart_qty(show_id, viewer_id),
                keys.pinned_during(show_id),
                keys.units_bought(viewer_id),
                keys.host_applications(host_id),
                keys.show_cohosts(show_id),
            ],
            [
                *claim_args(request_hash, self._clock, running_member(viewer_id, key)),
                keys.product(""),
                keys.application(""),
                keys.cohost(show_id, ""),
            ],
        )
        replayed = claimed(reply, key)
        if replayed is not None:
            return replayed
        lines, quantities, pinned, units, product_rows, application_rows, cohost_rows = reply[1:]
        qty = codec.from_pairs(quantities)
        cart = [
            CartItem(
                product_id=str(lines[i]), qty=int(qty[str(lines[i])]), added_at=records.from_micros(int(lines[i + 1]))
            )
            for i in range(0, len(lines), 2)
            if str(lines[i]) in qty
        ]
        ids = [item.product_id for item in cart]
        products = [codec.from_pairs(row) for row in product_rows]
        bought = codec.from_pairs(units)
        return CheckoutInputs(
            cart=cart,
            products={row["id"]: codec.product(row) for row in products if row and row["id"] in qty},
            pinned={str(product_id) for product_id in pinned},
            bought={product_id: int(bought.get(product_id) or 0) for product_id in ids},
            applications=[_application(codec.from_pairs(row)) for row in application_rows if row],
            cohosts=[_cohost(codec.from_pairs(row)) for row in cohost_rows if row],
        )

    async def _inputs(self, show_id: str, buyer_id: str, first: list[Any]) -> CheckoutInputs:
        lines, quantities, pinned, units, application_ids, cohost_ids = first
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
