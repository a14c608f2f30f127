"""Auctions on Redis: every step that checks and writes is one Lua script (KEYS and ARGV above each).

A bid is decided entirely inside its script, so concurrent bids from every node are ordered by Redis:
never two leaders, never a lower bid after a higher one. Settling and passing an offer are computed in
Python (`domain.auctions`, the order priced like any checkout line) from what was read, then written
by a script that first checks nothing changed since (status, bid count, offer): otherwise it answers
`stale` and the step is computed again, or `done` when another call already made it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import auctions, errors
from livecart.domain.auctions import (
    MAX_AMOUNT_CENTS,
    Auction,
    AuctionStatus,
    Bid,
)
from livecart.domain.ids import new_id
from livecart.store.base import StockLevels
from livecart.store.redis import codec, keys, records
from livecart.store.redis import selling_records as rec
from livecart.store.redis.lua import Script

MAX_ATTEMPTS = 20  # a settle or pass recomputed this many times (only while bids keep changing it)

# KEYS: show's open auction, auction, product, timers.
# ARGV: auction id, quantity, ends (µs), number of field pairs m, then the m pairs.
# Returns {'ok', stock left} or {'auction_open'} / {'not_found'} / {'out_of_stock', stock}, nothing written.
OPEN_AUCTION = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 1 then return {'auction_open'} end
    if redis.call('EXISTS', KEYS[3]) == 0 then return {'not_found'} end
    local stock = tonumber(redis.call('HGET', KEYS[3], 'stock'))
    if stock < tonumber(ARGV[2]) then return {'out_of_stock', stock} end
    local left = redis.call('HINCRBY', KEYS[3], 'stock', -tonumber(ARGV[2]))
    redis.call('HSET', KEYS[2], unpack(ARGV, 5, 4 + 2 * tonumber(ARGV[4])))
    redis.call('SET', KEYS[1], ARGV[1])
    redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
    return {'ok', left}
    """
)

# KEYS: auction, bids, timers.
# ARGV: now (µs), extend (µs), amount, bidder id, bidder name, bid JSON, now + extend (µs), its ISO text.
# The checks of domain.auctions.accept_bid, in its order: closed, own, too low.
# Returns {'ok', auction hash} or {'not_found'} / {'closed', status} / {'own'} / {'too_low', min}.
PLACE_BID = Script(
    """
    local a = redis.call('HMGET', KEYS[1], 'status', 'ends_at_us', 'host_id', 'brand_id', 'high_bid_cents',
                         'start_cents', 'increment_cents', 'id')
    if not a[1] then return {'not_found'} end
    local now = tonumber(ARGV[1])
    local ends = tonumber(a[2])
    if a[1] ~= 'open' or now >= ends then return {'closed', a[1]} end
    if ARGV[4] == a[3] or ARGV[4] == a[4] then return {'own'} end
    local min
    if a[5] then min = tonumber(a[5]) + tonumber(a[7]) else min = tonumber(a[6]) end
    if tonumber(ARGV[3]) < min then return {'too_low', a[5] or '', a[7], a[6]} end
    redis.call('HSET', KEYS[1], 'high_bid_cents', ARGV[3], 'leader_id', ARGV[4], 'leader_name', ARGV[5])
    redis.call('HINCRBY', KEYS[1], 'bids', 1)
    if ends - now < tonumber(ARGV[2]) then
      redis.call('HSET', KEYS[1], 'ends_at_us', ARGV[7], 'ends_at', ARGV[8])
      redis.call('ZADD', KEYS[3], ARGV[7], a[8])
    end
    redis.call('RPUSH', KEYS[2], ARGV[6])
    return {'ok', redis.call('HGETALL', KEYS[1])}
    """
)

# Writing an auction's next state (settle or pass), after the checks of each script:
# KEYS[1] auction, KEYS[2] show's open auction, KEYS[3] product, KEYS[4] timers, KEYS[5] new order,
# KEYS[6] show orders, KEYS[7] units bought by the new offer's buyer.
# ARGV (from 10): auction id, outcome ('sold' | 'unsold'), quantity, product id, commission bps read,
# pay by (µs), order created (µs), order id, m auction pairs, k order pairs, then the pairs.
WRITE_NEXT = """
local function write_next(at)
  local id, outcome, qty, product_id = ARGV[at], ARGV[at + 1], tonumber(ARGV[at + 2]), ARGV[at + 3]
  local m, k = tonumber(ARGV[at + 8]), tonumber(ARGV[at + 9])
  if outcome == 'sold' and redis.call('HGET', KEYS[3], 'commission_bps') ~= ARGV[at + 4] then
    return false
  end
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], unpack(ARGV, at + 10, at + 9 + 2 * m))
  if redis.call('GET', KEYS[2]) == id then redis.call('DEL', KEYS[2]) end
  if outcome == 'sold' then
    redis.call('HSET', KEYS[5], unpack(ARGV, at + 10 + 2 * m, at + 9 + 2 * m + 2 * k))
    redis.call('ZADD', KEYS[6], ARGV[at + 6], ARGV[at + 7])
    redis.call('HINCRBY', KEYS[7], product_id, qty)
    redis.call('ZADD', KEYS[4], ARGV[at + 5], id)
  else
    redis.call('HINCRBY', KEYS[3], 'stock', qty)
    redis.call('ZREM', KEYS[4], id)
  end
  return true
end
"""

# KEYS: as WRITE_NEXT. ARGV: now (µs), bids read, then (from 10) WRITE_NEXT's.
# Returns {'ok'} or {'not_found'} / {'done'} (not open any more) / {'stale'} (recompute), nothing written.
SETTLE_AUCTION = Script(
    WRITE_NEXT
    + """
    local a = redis.call('HMGET', KEYS[1], 'status', 'ends_at_us', 'bids')
    if not a[1] then return {'not_found'} end
    if a[1] ~= 'open' then return {'done'} end
    if tonumber(ARGV[1]) < tonumber(a[2]) or a[3] ~= ARGV[2] then return {'stale'} end
    if not write_next(10) then return {'stale'} end
    return {'ok'}
    """
)

# KEYS: as WRITE_NEXT, then KEYS[8] the offer's order, KEYS[9] units bought by its buyer.
# ARGV: offer's order id, quantity, then (from 10) WRITE_NEXT's.
# The offer's order FAILS (its units stay with the auction). Returns {'ok'} / {'done'} / {'stale'}.
PASS_OFFER = Script(
    WRITE_NEXT
    + """
    local a = redis.call('HMGET', KEYS[1], 'status', 'order_id')
    if not a[1] then return {'not_found'} end
    if a[1] ~= 'sold' or a[2] ~= ARGV[1] or redis.call('HGET', KEYS[8], 'status') ~= 'pending' then
      return {'done'}
    end
    if not write_next(10) then return {'stale'} end
    redis.call('HSET', KEYS[8], 'status', 'failed')
    redis.call('HINCRBY', KEYS[9], ARGV[13], -tonumber(ARGV[2]))
    return {'ok'}
    """
)

# KEYS: auction, show's open auction, product, timers. ARGV: ended at (ISO), ended at (µs).
# Returns {'ok', stock} or {'not_found'} / {'closed', status}.
CANCEL_AUCTION = Script(
    """
    local a = redis.call('HMGET', KEYS[1], 'status', 'quantity', 'id')
    if not a[1] then return {'not_found'} end
    if a[1] ~= 'open' then return {'closed', a[1]} end
    redis.call('HSET', KEYS[1], 'status', 'cancelled', 'ended_at', ARGV[1], 'ended_at_us', ARGV[2])
    if redis.call('GET', KEYS[2]) == a[3] then redis.call('DEL', KEYS[2]) end
    redis.call('ZREM', KEYS[4], a[3])
    return {'ok', redis.call('HINCRBY', KEYS[3], 'stock', tonumber(a[2]))}
    """
)

# KEYS: the replication probe. A write whose only purpose is to be WAITed for (`confirm_replicated`).
PROBE = Script("return redis.call('INCR', KEYS[1])")

SCRIPTS = (OPEN_AUCTION, PLACE_BID, SETTLE_AUCTION, PASS_OFFER, CANCEL_AUCTION, PROBE)


class RedisAuctions:
    """Settling (the winner's offer and order) and passing an offer on (the runner-up's) are money
    writes: they return only once `WAIT` saw them on `_min_replicas` replicas (LIVECART_REDIS_MIN_REPLICAS),
    as a checkout's order does; NotReplicated otherwise (the write stands on the primary)."""

    _redis: Redis
    _clock: Clock
    _min_replicas: int
    _wait_timeout_ms: int

    async def confirm_replicated(self) -> None:
        if self._min_replicas <= 0:
            return  # nothing waits for replicas: nothing to confirm
        await PROBE.replicated(self._redis, [keys.replication_probe()], [], self._min_replicas, self._wait_timeout_ms)

    async def open_auction(self, auction: Auction) -> StockLevels:
        row = rec.fields_of(auction)
        reply = await OPEN_AUCTION(
            self._redis,
            [keys.show_auction(auction.show_id), keys.auction(auction.id), keys.product(auction.product_id),
             keys.auction_timers()],
            [auction.id, auction.quantity, codec.micros(auction.ends_at), len(row), *codec.pairs(row)],
        )  # fmt: skip
        outcome = str(reply[0])
        if outcome == "auction_open":
            raise auctions.auction_open(auction.show_id)
        if outcome == "not_found":
            raise errors.no_such_product(auction.product_id)
        if outcome == "out_of_stock":
            raise errors.out_of_stock({auction.product_id: int(reply[1])})
        # The show's list of auctions (stats only): written after the opening, lost only by a crash between.
        await self._redis.zadd(keys.show_auctions(auction.show_id), {auction.id: codec.micros(auction.created_at)})
        return {auction.product_id: int(reply[1])}

    async def get_auction(self, auction_id: str) -> Auction | None:
        row = codec.decoded(await self._redis.hgetall(keys.auction(auction_id)))
        return rec.auction(row) if row else None

    async def show_auction(self, show_id: str) -> Auction | None:
        auction_id = await self._redis.get(keys.show_auction(show_id))
        return None if auction_id is None else await self.get_auction(str(auction_id))

    async def place_bid(
        self, auction_id: str, bidder_id: str, bidder_name: str, amount_cents: int, extend_s: int
    ) -> Auction:
        if amount_cents > MAX_AMOUNT_CENTS:
            raise auctions.bid_too_high()
        now = self._clock.now()
        extended = now + timedelta(seconds=extend_s)
        offer = Bid(auction_id, bidder_id, bidder_name, amount_cents, now)
        reply = await PLACE_BID(
            self._redis,
            [keys.auction(auction_id), keys.auction_bids(auction_id), keys.auction_timers()],
            [codec.micros(now), extend_s * 1_000_000, amount_cents, bidder_id, bidder_name, rec.bid_json(offer),
             codec.micros(extended), extended.isoformat()],
        )  # fmt: skip
        outcome = str(reply[0])
        if outcome == "not_found":
            raise auctions.no_such_auction(auction_id)
        if outcome == "closed":
            raise auctions.auction_closed(auction_id, str(reply[1]))
        if outcome == "own":
            raise auctions.own_auction(auction_id)
        if outcome == "too_low":
            high, increment, start = str(reply[1]), int(reply[2]), int(reply[3])
            minimum = start if high == "" else int(high) + increment
            raise auctions.bid_too_low(auction_id, minimum)
        return rec.auction(codec.from_pairs(reply[1]))

    async def auction_bids(self, auction_id: str) -> list[Bid]:
        texts = await self._redis.lrange(keys.auction_bids(auction_id), 0, -1)
        return [rec.bid(auction_id, str(text)) for text in texts]

    async def _must(self, auction_id: str) -> Auction:
        found = await self.get_auction(auction_id)
        if found is None:
            raise auctions.no_such_auction(auction_id)
        return found

    async def _next_args(
        self, current: Auction, after: Auction, platform_fee_bps: int, now: datetime
    ) -> tuple[list[str], list[str | int]]:
        """KEYS[1..7] and ARGV (from 10) of WRITE_NEXT for moving `current` to `after`."""
        row = rec.fields_of(after)
        order_row: dict[str, str] = {}
        commission = ""
        created = 0
        buyer = after.winner_id or ""
        if after.status is AuctionStatus.SOLD:
            product = codec.product(codec.decoded(await self._redis.hgetall(keys.product(after.product_id))))
            order = auctions.offer_order(after, product, platform_fee_bps, now)
            order_row = records.order_fields(order)
            commission = str(product.commission_bps)
            created = codec.micros(order.created_at)
        keys_ = [
            keys.auction(current.id), keys.show_auction(current.show_id), keys.product(current.product_id),
            keys.auction_timers(), keys.order(after.order_id or ""), keys.show_orders(current.show_id),
            keys.units_bought(buyer),
        ]  # fmt: skip
        args: list[str | int] = [
            current.id, "sold" if after.status is AuctionStatus.SOLD else "unsold", current.quantity,
            current.product_id, commission, codec.micros(after.pay_by) if after.pay_by else 0, created,
            after.order_id or "", len(row), len(order_row), *codec.pairs(row), *codec.pairs(order_row),
        ]  # fmt: skip
        return keys_, args

    async def settle_auction(self, auction_id: str, pay_s: int, platform_fee_bps: int) -> Auction:
        for _ in range(MAX_ATTEMPTS):
            current = await self._must(auction_id)
            now = self._clock.now()
            if not auctions.is_due(current, now):
                return current
            after = auctions.settle(current, now, pay_s, new_id("ord"))
            keys_, args = await self._next_args(current, after, platform_fee_bps, now)
            padding: list[str | int] = [""] * 7
            reply = await SETTLE_AUCTION.replicated(
                self._redis, keys_, [codec.micros(now), str(current.bids), *padding, *args],
                self._min_replicas, self._wait_timeout_ms,
            )  # fmt: skip
            outcome = str(reply[0])
            if outcome == "not_found":
                raise auctions.no_such_auction(auction_id)
            if outcome in ("ok", "done"):
                return await self._must(auction_id)
        raise RuntimeError(f"auction {auction_id} kept changing while being settled")

    async def pass_auction_offer(self, auction_id: str, order_id: str, pay_s: int, platform_fee_bps: int) -> Auction:
        for _ in range(MAX_ATTEMPTS):
            current = await self._must(auction_id)
            if current.status is not AuctionStatus.SOLD or current.order_id != order_id:
                return current
            offered = await self._redis.hmget(keys.order(order_id), ["status", "buyer_id"])
            if offered[0] != "pending":
                return current
            bids = await self.auction_bids(auction_id)
            now = self._clock.now()
            after = auctions.pass_offer(current, bids, now, pay_s, new_id("ord"))
            keys_, args = await self._next_args(current, after, platform_fee_bps, now)
            padding: list[str | int] = [""] * 7
            reply = await PASS_OFFER.replicated(
                self._redis,
                [*keys_, keys.order(order_id), keys.units_bought(str(offered[1]))],
                [order_id, current.quantity, *padding, *args],
                self._min_replicas,
                self._wait_timeout_ms,
            )
            outcome = str(reply[0])
            if outcome == "not_found":
                raise auctions.no_such_auction(auction_id)
            if outcome in ("ok", "done"):
                return await self._must(auction_id)
        raise RuntimeError(f"auction {auction_id} kept changing while its offer was passed on")

    async def cancel_auction(self, auction_id: str) -> tuple[Auction, StockLevels]:
        current = await self._must(auction_id)
        now = self._clock.now()
        reply = await CANCEL_AUCTION(
            self._redis,
            [keys.auction(auction_id), keys.show_auction(current.show_id), keys.product(current.product_id),
             keys.auction_timers()],
            [now.isoformat(), codec.micros(now)],
        )  # fmt: skip
        outcome = str(reply[0])
        if outcome == "not_found":
            raise auctions.no_such_auction(auction_id)
        if outcome == "closed":
            raise auctions.auction_closed(auction_id, str(reply[1]))
        return await self._must(auction_id), {current.product_id: int(reply[1])}

    async def _offer_overdue(self, auction: Auction, now: datetime) -> bool:
        if auction.status is not AuctionStatus.SOLD or auction.order_id is None or auction.pay_by is None:
            return False
        return now >= auction.pay_by and await self._redis.hget(keys.order(auction.order_id), "status") == "pending"

    async def show_auctions(self, show_id: str) -> list[Auction]:
        ids = await self._redis.zrange(keys.show_auctions(show_id), 0, -1)
        found = [await self.get_auction(str(auction_id)) for auction_id in ids]
        return [auction for auction in found if auction is not None]

    async def note_address(self, show_id: str, account_id: str, address: str) -> None:
        await self._redis.sadd(keys.show_addresses(show_id), f"{account_id} {address}")

    async def show_addresses(self, show_id: str) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for member in await self._redis.smembers(keys.show_addresses(show_id)):
            account_id, address = str(member).split(" ", 1)
            found.setdefault(account_id, set()).add(address)
        return found

    async def due_auctions(self) -> list[Auction]:
        """Reads the timers due by now; a timer with nothing left to decide (ended, or its offer paid)
        is dropped on the way, so the set holds only auctions that may still need the server."""
        now = self._clock.now()
        ids = await self._redis.zrangebyscore(keys.auction_timers(), "-inf", codec.micros(now))
        due: list[Auction] = []
        for auction_id in ids:
            found = await self.get_auction(str(auction_id))
            if found is not None and (auctions.is_due(found, now) or await self._offer_overdue(found, now)):
                due.append(found)
            elif found is None or await self._settled_for_good(found):
                await self._redis.zrem(keys.auction_timers(), str(auction_id))
        return sorted(due, key=lambda auction: auction.ends_at)

    async def _settled_for_good(self, auction: Auction) -> bool:
        if auction.status in (AuctionStatus.UNSOLD, AuctionStatus.CANCELLED):
            return True
        if auction.status is AuctionStatus.SOLD and auction.order_id is not None:
            return await self._redis.hget(keys.order(auction.order_id), "status") not in (None, "pending")
        return False
