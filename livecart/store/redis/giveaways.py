"""Giveaways on Redis: entries are a set (one per account, added by a script that checks the giveaway is
open); the draw is computed in Python from the seed and the entrants read, then written by a script that
checks the giveaway is still open with the same number of entrants (KEYS and ARGV above each script)."""

from __future__ import annotations

from dataclasses import replace

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import errors, giveaways
from livecart.domain.commerce import Order, OrderStatus
from livecart.domain.format_orders import GIVEAWAY_PAYMENT_REF, format_order
from livecart.domain.giveaways import Giveaway, GiveawayStatus
from livecart.domain.ids import new_id
from livecart.domain.ledger import sale_entries
from livecart.store.base import StockLevels
from livecart.store.redis import codec, keys, records
from livecart.store.redis import selling_records as rec
from livecart.store.redis.ledger import APPEND_LUA, append_plan
from livecart.store.redis.lua import Script

MAX_ATTEMPTS = 20

# KEYS: giveaway, product, open giveaways. ARGV: id, prizes, ends (µs), m, then m field pairs.
# Returns {'ok', stock} or {'not_found'} / {'out_of_stock', stock}.
CREATE_GIVEAWAY = Script(
    """
    if redis.call('EXISTS', KEYS[2]) == 0 then return {'not_found'} end
    local stock = tonumber(redis.call('HGET', KEYS[2], 'stock'))
    if stock < tonumber(ARGV[2]) then return {'out_of_stock', stock} end
    local left = redis.call('HINCRBY', KEYS[2], 'stock', -tonumber(ARGV[2]))
    redis.call('HSET', KEYS[1], unpack(ARGV, 5, 4 + 2 * tonumber(ARGV[4])))
    redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
    return {'ok', left}
    """
)

# KEYS: giveaway, entrants. ARGV: now (µs), account id.
# Returns {'ok', added (0/1), giveaway hash} or {'not_found'} / {'closed'}.
ENTER = Script(
    """
    local g = redis.call('HMGET', KEYS[1], 'status', 'ends_at_us')
    if not g[1] then return {'not_found'} end
    if g[1] ~= 'open' or tonumber(ARGV[1]) >= tonumber(g[2]) then return {'closed'} end
    local added = redis.call('SADD', KEYS[2], ARGV[2])
    if added == 1 then redis.call('HINCRBY', KEYS[1], 'entrants', 1) end
    return {'ok', added, redis.call('HGETALL', KEYS[1])}
    """
)

# KEYS: giveaway, entrants, product, open giveaways, show orders, then per winner (order, units bought),
#       then the ledger lists.
# ARGV: entrants read, unused prizes, product id, w winners, p giveaway pairs, e ledger pushes,
#       then p pairs, then per winner (order id, created µs, k, k order pairs), then e (key position, row).
# Returns {'ok'} or {'not_found'} / {'done'} / {'stale'}, nothing written unless 'ok'.
DRAW = Script(
    APPEND_LUA
    + """
    local status = redis.call('HGET', KEYS[1], 'status')
    if not status then return {'not_found'} end
    if status ~= 'open' then return {'done'} end
    if redis.call('SCARD', KEYS[2]) ~= tonumber(ARGV[1]) then return {'stale'} end
    local w, p, e = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
    redis.call('HSET', KEYS[1], unpack(ARGV, 7, 6 + 2 * p))
    local at = 7 + 2 * p
    for i = 1, w do
      local order_id, created, k = ARGV[at], ARGV[at + 1], tonumber(ARGV[at + 2])
      redis.call('HSET', KEYS[4 + 2 * i], unpack(ARGV, at + 3, at + 2 + 2 * k))
      redis.call('ZADD', KEYS[5], created, order_id)
      redis.call('HINCRBY', KEYS[5 + 2 * i], ARGV[3], 1)
      at = at + 3 + 2 * k
    end
    if tonumber(ARGV[2]) > 0 then redis.call('HINCRBY', KEYS[3], 'stock', tonumber(ARGV[2])) end
    redis.call('ZREM', KEYS[4], redis.call('HGET', KEYS[1], 'id'))
    append_ledger(6 + 2 * w, at, e)
    return {'ok'}
    """
)

SCRIPTS = (CREATE_GIVEAWAY, ENTER, DRAW)


class RedisGiveaways:
    """The draw (the winners' paid prize orders and their ledger rows) is a money write: it returns only
    once `WAIT` saw it on `_min_replicas` replicas (LIVECART_REDIS_MIN_REPLICAS), as a checkout's order does."""

    _redis: Redis
    _clock: Clock
    _min_replicas: int
    _wait_timeout_ms: int

    async def create_giveaway(self, giveaway: Giveaway) -> StockLevels:
        row = rec.fields_of(giveaway)
        reply = await CREATE_GIVEAWAY(
            self._redis,
            [keys.giveaway(giveaway.id), keys.product(giveaway.product_id), keys.open_giveaways()],
            [giveaway.id, giveaway.winners, codec.micros(giveaway.ends_at), len(row), *codec.pairs(row)],
        )
        outcome = str(reply[0])
        if outcome == "not_found":
            raise errors.no_such_product(giveaway.product_id)
        if outcome == "out_of_stock":
            raise errors.out_of_stock({giveaway.product_id: int(reply[1])})
        return {giveaway.product_id: int(reply[1])}

    async def get_giveaway(self, giveaway_id: str) -> Giveaway | None:
        row = codec.decoded(await self._redis.hgetall(keys.giveaway(giveaway_id)))
        return rec.giveaway(row) if row else None

    async def enter_giveaway(self, giveaway_id: str, account_id: str) -> tuple[Giveaway, bool]:
        reply = await ENTER(
            self._redis,
            [keys.giveaway(giveaway_id), keys.giveaway_entrants(giveaway_id)],
            [codec.micros(self._clock.now()), account_id],
        )
        outcome = str(reply[0])
        if outcome == "not_found":
            raise giveaways.no_such_giveaway(giveaway_id)
        if outcome == "closed":
            raise giveaways.giveaway_closed(giveaway_id)
        return rec.giveaway(codec.from_pairs(reply[2])), int(reply[1]) == 1

    async def giveaway_entrants(self, giveaway_id: str) -> list[str]:
        members = await self._redis.smembers(keys.giveaway_entrants(giveaway_id))
        return sorted(str(member) for member in members)

    async def _prize_orders(self, giveaway: Giveaway, winners: list[str]) -> list[Order]:
        product = codec.product(codec.decoded(await self._redis.hgetall(keys.product(giveaway.product_id))))
        now = self._clock.now()
        orders: list[Order] = []
        for winner_id in winners:
            name = await self._redis.hget(keys.account(winner_id), "name")
            order = format_order(
                order_id=new_id("ord"), show_id=giveaway.show_id, host_id=giveaway.host_id, buyer_id=winner_id,
                buyer_name="" if name is None else str(name), product=product, unit_price_cents=0, qty=1,
                platform_fee_bps=0, now=now,
            )  # fmt: skip
            orders.append(replace(order, status=OrderStatus.PAID, paid_at=now, payment_ref=GIVEAWAY_PAYMENT_REF))
        return orders

    async def draw_giveaway(self, giveaway_id: str) -> Giveaway:
        for _ in range(MAX_ATTEMPTS):
            current = await self.get_giveaway(giveaway_id)
            if current is None:
                raise giveaways.no_such_giveaway(giveaway_id)
            now = self._clock.now()
            if not giveaways.is_due(current, now):
                return current
            entrants = await self.giveaway_entrants(giveaway_id)
            winners = giveaways.draw(current.seed, entrants, current.winners)
            orders = await self._prize_orders(current, winners)
            drawn = replace(
                current, status=GiveawayStatus.DRAWN, winner_ids=tuple(winners),
                order_ids=tuple(order.id for order in orders), drawn_at=now,
            )  # fmt: skip
            row = {name: value for name, value in rec.fields_of(drawn).items() if name in _DRAWN_FIELDS}
            ledger_keys, pushes = append_plan([entry for order in orders for entry in sale_entries(order, now)])
            order_args: list[str | int] = []
            for order in orders:
                fields = records.order_fields(order)
                order_args += [order.id, codec.micros(order.created_at), len(fields), *codec.pairs(fields)]
            reply = await DRAW.replicated(
                self._redis,
                [
                    keys.giveaway(giveaway_id), keys.giveaway_entrants(giveaway_id), keys.product(current.product_id),
                    keys.open_giveaways(), keys.show_orders(current.show_id),
                    *(key for order in orders for key in (keys.order(order.id), keys.units_bought(order.buyer_id))),
                    *ledger_keys,
                ],
                [
                    len(entrants), current.winners - len(winners), current.product_id, len(orders), len(row),
                    len(pushes) // 2, *codec.pairs(row), *order_args, *pushes,
                ],
                self._min_replicas, self._wait_timeout_ms,
            )  # fmt: skip
            outcome = str(reply[0])
            if outcome == "not_found":
                raise giveaways.no_such_giveaway(giveaway_id)
            if outcome in ("ok", "done"):
                found = await self.get_giveaway(giveaway_id)
                assert found is not None
                return found
        raise RuntimeError(f"giveaway {giveaway_id} kept changing while being drawn")

    async def open_giveaways(self, show_id: str) -> list[Giveaway]:
        ids = await self._redis.zrange(keys.open_giveaways(), 0, -1)
        found = [await self.get_giveaway(str(giveaway_id)) for giveaway_id in ids]
        chosen = [g for g in found if g is not None and g.status is GiveawayStatus.OPEN and g.show_id == show_id]
        return sorted(chosen, key=lambda giveaway: (giveaway.created_at, giveaway.id))

    async def due_giveaways(self) -> list[Giveaway]:
        ids = await self._redis.zrangebyscore(keys.open_giveaways(), "-inf", codec.micros(self._clock.now()))
        found = [await self.get_giveaway(str(giveaway_id)) for giveaway_id in ids]
        return [giveaway for giveaway in found if giveaway is not None and giveaway.status is GiveawayStatus.OPEN]


_DRAWN_FIELDS = frozenset({"status", "winner_ids", "order_ids", "drawn_at", "drawn_at_us"})
