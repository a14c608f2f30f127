"""Orders: placing one takes the stock of every line or of none; paying it appends its ledger rows;
failing it gives the stock back; a refund restocks and appends reversing rows. Each of these is one
Lua script that checks everything first and writes only when every check passed, so no failure
leaves half a change behind and concurrent checkouts can never take stock below zero.

The SQLite store applies the same checks in the same order inside one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from livecart.domain import campaigns as campaign_rules
from livecart.domain import errors, store_checks, webhooks
from livecart.domain.commerce import LedgerEntry, Order, OrderStatus, Refund, StoredResponse
from livecart.store.base import OrderCursor, StockLevels
from livecart.store.redis import codec, keys, records
from livecart.store.redis.idempotency import running_member
from livecart.store.redis.ledger import APPEND_LUA, append_plan
from livecart.store.redis.lua import Script
from livecart.store.redis.pending import PendingOrders
from livecart.store.redis.webhooks import OUTBOX_LUA, outbox_args, outbox_keys

# KEYS: order, show orders, pending orders, buyer units, idempotency record, show, product × n, campaign × c,
#       cart qty, checkout lock.
# ARGV: n, max qty per buyer, created (µs), order id, has idempotency key (0/1), number of order
#       field pairs m, then per line (product id, qty, unit price, commission bps), then the m pairs,
#       then c, per line its campaign's position (0: none), per campaign (id, units wanted), then from
#       cart (0/1) and the order key of the lock's order (`keys.order("")`): a checkout from the cart
#       needs the cart to hold every line and no pending order of the buyer's in the show ({'cart_empty'}).
# A campaign line's rate is compared with the campaign's (not the product's), and after the stock the
# units of each campaign are checked against its units_cap ({'no_campaign', id} / {'units_cap_reached',
# id, cap, sold}) and counted.
# Returns {'ok', product id, stock, …} or {failure, product id, …} with nothing written
# ({'exists'} when the order id is taken, so a second run never takes stock twice; {'no_show'} for an
# unknown show; {'out_of_stock', product id, stock available, …} when lines are short). The checks and
# their order are `livecart.domain.store_checks.order_placement`'s.
PLACE_ORDER = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
    if redis.call('EXISTS', KEYS[6]) == 0 then return {'no_show'} end
    local n = tonumber(ARGV[1])
    local max_qty = tonumber(ARGV[2])
    local function line(i)
      local at = 7 + 4 * (i - 1)
      return ARGV[at], tonumber(ARGV[at + 1]), ARGV[at + 2], ARGV[at + 3]
    end
    local tail = 7 + 4 * n + 2 * tonumber(ARGV[6])
    local c = tonumber(ARGV[tail])
    local function campaign_of(i) return tonumber(ARGV[tail + i]) end
    local function campaign(j) return ARGV[tail + n + 2 * j - 1], tonumber(ARGV[tail + n + 2 * j]) end
    local cart_at = tail + n + 2 * c + 1
    local from_cart = ARGV[cart_at] == '1'
    if from_cart then
      local holder = redis.call('GET', KEYS[8 + n + c])
      if holder and redis.call('HGET', ARGV[cart_at + 1] .. holder, 'status') == 'pending' then
        return {'cart_empty'}
      end
      for i = 1, n do
        local product_id, qty = line(i)
        if tonumber(redis.call('HGET', KEYS[7 + n + c], product_id) or '0') < qty then return {'cart_empty'} end
      end
    end
    for j = 1, c do
      if redis.call('EXISTS', KEYS[6 + n + j]) == 0 then return {'no_campaign', (campaign(j))} end
    end
    for i = 1, n do
      local product_id = line(i)
      if redis.call('EXISTS', KEYS[6 + i]) == 0 then return {'not_found', product_id} end
    end
    local failed = {}
    for i = 1, n do
      local product_id, qty, price, bps = line(i)
      local current = redis.call('HMGET', KEYS[6 + i], 'price_cents', 'commission_bps')
      if campaign_of(i) > 0 then current[2] = redis.call('HGET', KEYS[6 + n + campaign_of(i)], 'commission_bps') end
      if current[1] ~= price or current[2] ~= bps then table.insert(failed, product_id) end
    end
    if #failed > 0 then return {'price_changed', unpack(failed)} end
    for i = 1, n do
      local product_id, qty = line(i)
      if tonumber(redis.call('HGET', KEYS[4], product_id) or '0') + qty > max_qty then
        table.insert(failed, product_id)
      end
    end
    if #failed > 0 then return {'limit_exceeded', unpack(failed)} end
    for i = 1, n do
      local product_id, qty = line(i)
      local available = redis.call('HGET', KEYS[6 + i], 'stock')
      if tonumber(available) < qty then
        table.insert(failed, product_id)
        table.insert(failed, available)
      end
    end
    if #failed > 0 then return {'out_of_stock', unpack(failed)} end
    for j = 1, c do
      local campaign_id, units = campaign(j)
      local cap = redis.call('HGET', KEYS[6 + n + j], 'units_cap')
      local sold = tonumber(redis.call('HGET', KEYS[6 + n + j], 'units_sold') or '0')
      if cap and sold + units > tonumber(cap) then return {'units_cap_reached', campaign_id, cap, sold} end
    end
    for j = 1, c do
      local _, units = campaign(j)
      redis.call('HINCRBY', KEYS[6 + n + j], 'units_sold', units)
    end
    local reply = {'ok'}
    for i = 1, n do
      local product_id, qty = line(i)
      table.insert(reply, product_id)
      table.insert(reply, redis.call('HINCRBY', KEYS[6 + i], 'stock', -qty))
      redis.call('HINCRBY', KEYS[4], product_id, qty)
    end
    local m = tonumber(ARGV[6])
    redis.call('HSET', KEYS[1], unpack(ARGV, 7 + 4 * n, 6 + 4 * n + 2 * m))
    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
    redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
    if ARGV[5] == '1' and redis.call('EXISTS', KEYS[5]) == 1 then
      redis.call('HSET', KEYS[5], 'order_id', ARGV[4])
    end
    if from_cart then redis.call('SET', KEYS[8 + n + c], ARGV[4]) end
    return reply
    """
)

# KEYS: order, pending orders, cart qty, cart lines, idempotency record, idempotency running, ledger × k.
# ARGV: paid at, payment ref, save response (0/1), status, body, running member, number of products n,
#       product × n, number of ledger pushes e, then e (key position, row) pairs.
# Returns {'ok'} or {'not_found'} / {'not_pending', status}.
MARK_ORDER_PAID = Script(
    APPEND_LUA
    + OUTBOX_LUA
    + """
    local status = redis.call('HGET', KEYS[1], 'status')
    if not status then return {'not_found'} end
    if status ~= 'pending' then return {'not_pending', status} end
    redis.call('HSET', KEYS[1], 'status', 'paid', 'paid_at', ARGV[1], 'payment_ref', ARGV[2])
    redis.call('ZREM', KEYS[2], redis.call('HGET', KEYS[1], 'id'))
    local n = tonumber(ARGV[7])
    for i = 1, n do
      redis.call('HDEL', KEYS[3], ARGV[7 + i])
      redis.call('ZREM', KEYS[4], ARGV[7 + i])
    end
    append_ledger(7, 9 + n, tonumber(ARGV[8 + n]))
    if ARGV[3] == '1' and redis.call('EXISTS', KEYS[5]) == 1 then
      redis.call('HSET', KEYS[5], 'state', 'done', 'status', ARGV[4], 'body', ARGV[5])
      redis.call('ZREM', KEYS[6], ARGV[6])
    end
    write_event()
    return {'ok'}
    """
)

# KEYS: order. ARGV: the shipping address as JSON. Returns 'ok', 'not_found' or 'set' (it has one already).
SET_SHIPPING = Script(
    """
    local shipping = redis.call('HGET', KEYS[1], 'shipping')
    if not shipping then return 'not_found' end
    if shipping ~= '{}' then return 'set' end
    redis.call('HSET', KEYS[1], 'shipping', ARGV[1])
    return 'ok'
    """
)

# KEYS: order, pending orders, buyer units, idempotency record, idempotency running, product × n,
#       campaign × c.
# ARGV: has idempotency key (0/1), save response (0/1), status, body, running member, n,
#       then (product id, qty) × n, then c and the units given back to each campaign.
# Returns {'ok', product id, stock, …} or {'not_found'} / {'not_pending', status}.
FAIL_ORDER = Script(
    """
    local status = redis.call('HGET', KEYS[1], 'status')
    if not status then return {'not_found'} end
    if status ~= 'pending' then return {'not_pending', status} end
    local reply = {'ok'}
    for i = 1, tonumber(ARGV[6]) do
      local product_id, qty = ARGV[5 + 2 * i], tonumber(ARGV[6 + 2 * i])
      if redis.call('EXISTS', KEYS[5 + i]) == 1 then
        table.insert(reply, product_id)
        table.insert(reply, redis.call('HINCRBY', KEYS[5 + i], 'stock', qty))
      end
      redis.call('HINCRBY', KEYS[3], product_id, -qty)
    end
    local n = tonumber(ARGV[6])
    for j = 1, tonumber(ARGV[7 + 2 * n]) do
      local campaign = KEYS[5 + n + j]
      local sold = tonumber(redis.call('HGET', campaign, 'units_sold') or '0')
      if redis.call('EXISTS', campaign) == 1 then
        redis.call('HSET', campaign, 'units_sold', math.max(0, sold - tonumber(ARGV[7 + 2 * n + j])))
      end
    end
    redis.call('HSET', KEYS[1], 'status', 'failed')
    redis.call('ZREM', KEYS[2], redis.call('HGET', KEYS[1], 'id'))
    if ARGV[1] == '1' then
      if ARGV[2] == '1' then
        if redis.call('EXISTS', KEYS[4]) == 1 then
          redis.call('HSET', KEYS[4], 'state', 'done', 'status', ARGV[3], 'body', ARGV[4])
        end
        redis.call('ZREM', KEYS[5], ARGV[5])
      elseif redis.call('HGET', KEYS[4], 'state') == 'running' then
        redis.call('DEL', KEYS[4])
        redis.call('ZREM', KEYS[5], ARGV[5])
      end
    end
    return reply
    """
)

# KEYS: order, refunds, product × n, ledger × k.
# ARGV: n, refund JSON, number of ledger pushes e, then (product id, qty, previously refunded,
#       line qty or -1 when the order has no such line) × n, then e (key position, row) pairs.
# Checks each line as `livecart.domain.store_checks.refundable` does: bought at all, refunded count as
# planned, within the units bought. Returns {'ok', order hash, {product id, stock, …}} or a failure
# with nothing written.
RECORD_REFUND = Script(
    APPEND_LUA
    + OUTBOX_LUA
    + """
    local n = tonumber(ARGV[1])
    local status = redis.call('HGET', KEYS[1], 'status')
    if not status then return {'not_found'} end
    if status ~= 'paid' then return {'not_paid', status} end
    local function line(i)
      local at = 4 + 4 * (i - 1)
      return ARGV[at], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
    end
    for i = 1, n do
      local product_id, qty, previous, bought = line(i)
      if bought < 0 then return {'not_bought', product_id} end
      local refunded = tonumber(redis.call('HGET', KEYS[1], 'refunded:' .. product_id) or '0')
      if refunded ~= previous then return {'stale', product_id} end
      if refunded + qty > bought then return {'exceeds', product_id, refunded, bought, qty} end
    end
    local stocks = {}
    for i = 1, n do
      local product_id, qty = line(i)
      redis.call('HINCRBY', KEYS[1], 'refunded:' .. product_id, qty)
      if redis.call('EXISTS', KEYS[2 + i]) == 1 then
        table.insert(stocks, product_id)
        table.insert(stocks, redis.call('HINCRBY', KEYS[2 + i], 'stock', qty))
      end
    end
    redis.call('RPUSH', KEYS[2], ARGV[2])
    append_ledger(3 + n, 4 + 4 * n, tonumber(ARGV[3]))
    write_event()
    return {'ok', redis.call('HGETALL', KEYS[1]), stocks}
    """
)

SCRIPTS = (PLACE_ORDER, MARK_ORDER_PAID, FAIL_ORDER, RECORD_REFUND, SET_SHIPPING)


def stock_levels(flat: Sequence[Any]) -> StockLevels:
    return {str(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2)}


def refunded(order: Order, refund: Refund) -> Order:
    """The order as it will be once the refund is applied (for the order.refunded event's payload)."""
    qty = {line.product_id: line.qty for line in refund.lines}
    lines = tuple(replace(line, refunded_qty=line.refunded_qty + qty.get(line.product_id, 0)) for line in order.lines)
    return replace(order, lines=lines)


ORDERS_BATCH = 100  # order ids read at a time when paging a show's orders for one brand


class RedisOrders:
    """Every money write (placing, paying, failing an order, a refund: its ledger rows included) returns
    only once `WAIT` saw it on `_min_replicas` replicas (LIVECART_REDIS_MIN_REPLICAS; 0: no wait)."""

    _redis: Redis
    _pending: PendingOrders
    _min_replicas: int
    _wait_timeout_ms: int

    async def place_order(self, order: Order, max_qty_per_buyer: int, *, from_cart: bool = False) -> StockLevels:
        store_checks.order_shape(order)
        product_ids = [line.product_id for line in order.lines]
        wanted = campaign_rules.units_wanted(order.lines)
        row = records.order_fields(order)
        line_args = [
            arg
            for line in order.lines
            for arg in (line.product_id, line.qty, line.unit_price_cents, line.commission_bps)
        ]
        reply = await PLACE_ORDER.replicated(
            self._redis,
            [
                keys.order(order.id),
                keys.show_orders(order.show_id),
                keys.pending_orders(),
                keys.units_bought(order.buyer_id),
                keys.idempotency(order.buyer_id, order.idempotency_key or ""),
                keys.show(order.show_id),
                *(keys.product(product_id) for product_id in product_ids),
                *(keys.campaign(campaign_id) for campaign_id in wanted),
                keys.cart_qty(order.show_id, order.buyer_id),
                keys.checkout_lock(order.show_id, order.buyer_id),
            ],
            [
                len(order.lines),
                max_qty_per_buyer,
                codec.micros(order.created_at),
                order.id,
                int(order.idempotency_key is not None),
                len(row),
                *line_args,
                *codec.pairs(row),
                len(wanted),
                *(list(wanted).index(line.campaign_id) + 1 if line.campaign_id else 0 for line in order.lines),
                *(arg for campaign_id, units in wanted.items() for arg in (campaign_id, units)),
                int(from_cart),
                keys.order(""),
            ],
            self._min_replicas,
            self._wait_timeout_ms,
        )
        outcome, details = str(reply[0]), [str(item) for item in reply[1:]]
        if outcome == "exists":
            raise errors.order_exists(order.id)
        if outcome == "no_show":
            raise errors.no_such_show(order.show_id)
        if outcome == "cart_empty":
            raise errors.cart_checked_out()
        if outcome == "not_found":
            raise errors.no_such_product(details[0])
        if outcome == "price_changed":
            raise errors.price_changed(details)
        if outcome == "limit_exceeded":
            raise errors.buyer_limit_exceeded(details, max_qty_per_buyer)
        if outcome == "out_of_stock":
            raise errors.out_of_stock(stock_levels(details))
        if outcome == "no_campaign":
            raise errors.no_such_campaign(details[0])
        if outcome == "units_cap_reached":
            raise errors.units_cap_reached(int(details[1]), int(details[2]))
        self._pending.add(order)
        return stock_levels(reply[1:])

    async def mark_order_paid(
        self,
        order_id: str,
        payment_ref: str,
        paid_at: datetime,
        entries: Sequence[LedgerEntry],
        response: StoredResponse | None,
        *,
        clear_cart: bool = True,
    ) -> Order:
        order = await self._pending_order(order_id)
        ledger_keys, pushes = append_plan(entries)
        key = order.idempotency_key
        product_ids = [line.product_id for line in order.lines] if clear_cart else []
        paid = replace(order, status=OrderStatus.PAID, paid_at=paid_at, payment_ref=payment_ref)
        reply = await MARK_ORDER_PAID.replicated(
            self._redis,
            [
                keys.order(order_id),
                keys.pending_orders(),
                keys.cart_qty(order.show_id, order.buyer_id),
                keys.cart_lines(order.show_id, order.buyer_id),
                keys.idempotency(order.buyer_id, key or ""),
                keys.idempotency_running(),
                *ledger_keys,
                *outbox_keys(),
            ],
            [
                paid_at.isoformat(),
                payment_ref,
                int(key is not None and response is not None),
                response.status if response else 0,
                response.body if response else "",
                running_member(order.buyer_id, key or ""),
                len(product_ids),
                *product_ids,
                len(pushes) // 2,
                *pushes,
                *outbox_args(webhooks.order_paid(paid, paid_at)),
            ],
            self._min_replicas,
            self._wait_timeout_ms,
        )
        self._settled(order_id, reply)
        return paid

    async def fail_order(self, order_id: str, response: StoredResponse | None) -> StockLevels:
        order = await self._pending_order(order_id)
        key = order.idempotency_key
        wanted = campaign_rules.units_wanted(order.lines)  # units given back to their campaigns
        reply = await FAIL_ORDER.replicated(
            self._redis,
            [
                keys.order(order_id),
                keys.pending_orders(),
                keys.units_bought(order.buyer_id),
                keys.idempotency(order.buyer_id, key or ""),
                keys.idempotency_running(),
                *(keys.product(line.product_id) for line in order.lines),
                *(keys.campaign(campaign_id) for campaign_id in wanted),
            ],
            [
                int(key is not None),
                int(response is not None),
                response.status if response else 0,
                response.body if response else "",
                running_member(order.buyer_id, key or ""),
                len(order.lines),
                *(arg for line in order.lines for arg in (line.product_id, line.qty)),
                len(wanted),
                *wanted.values(),
            ],
            self._min_replicas,
            self._wait_timeout_ms,
        )
        self._settled(order_id, reply)
        return stock_levels(reply[1:])

    async def set_order_shipping(self, order_id: str, shipping: Mapping[str, str]) -> Order:
        reply = await SET_SHIPPING(self._redis, [keys.order(order_id)], [json.dumps(dict(shipping), sort_keys=True)])
        outcome = str(reply)
        if outcome == "not_found":
            raise errors.no_such_order(order_id)
        if outcome == "set":
            raise errors.shipping_set(order_id)
        order = await self.get_order(order_id)
        assert order is not None
        return order

    async def get_order(self, order_id: str) -> Order | None:
        row = codec.decoded(await self._redis.hgetall(keys.order(order_id)))
        return records.order(row) if row else None

    async def pending_orders(self, older_than: datetime) -> list[Order]:
        order_ids = await self._redis.zrangebyscore(keys.pending_orders(), "-inf", f"({codec.micros(older_than)}")
        return await self._fetch_orders([str(order_id) for order_id in order_ids])

    async def show_orders(self, show_id: str) -> list[Order]:
        order_ids = await self._redis.zrange(keys.show_orders(show_id), 0, -1)
        return await self._fetch_orders([str(order_id) for order_id in order_ids])

    async def forget_client_addresses(self, older_than: datetime) -> int:
        """Walks every show's orders created since the last run's cutoff (a watermark), so each run
        reads only what is new; HDEL of a field already gone is harmless if two nodes run at once."""
        until = codec.micros(older_than)
        since = await self._redis.get(keys.client_addresses_forgotten_until())
        low = "-inf" if since is None else f"({int(since)}"
        erased = 0
        for show_id in await self._redis.zrange(keys.shows(), 0, -1):
            order_ids = await self._redis.zrangebyscore(keys.show_orders(str(show_id)), low, f"({until}")
            if order_ids:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for order_id in order_ids:
                        pipe.hdel(keys.order(str(order_id)), "client_ip")
                    erased += sum(await pipe.execute())
        await self._redis.set(keys.client_addresses_forgotten_until(), str(until - 1))
        return erased

    async def show_orders_page(
        self, show_id: str, limit: int, *, before: OrderCursor | None = None, brand_id: str | None = None
    ) -> list[Order]:
        """Walks the show's sorted set newest first (score = created_at, ties by id, as SQLite orders them),
        in batches, keeping the orders that pass the brand filter until `limit` are found."""
        store_checks.page_limit(limit)
        key = keys.show_orders(show_id)
        found: list[Order] = []

        def keep(orders: list[Order]) -> bool:
            """Add the ones that pass the filter; True once the page is full."""
            for order in orders:
                if brand_id is None or brand_id in order.brand_ids:
                    found.append(order)
                    if len(found) == limit:
                        return True
            return False

        top = "+inf"
        if before is not None:
            score = codec.micros(before[0])
            ties = await self._redis.zrangebyscore(key, score, score)
            older_ties = sorted((str(member) for member in ties if str(member) < before[1]), reverse=True)
            if keep(await self._fetch_orders(older_ties)):
                return found
            top = f"({score}"
        batch = limit if brand_id is None else max(limit, ORDERS_BATCH)
        offset = 0
        while True:
            reply = await self._redis.zrevrangebyscore(key, top, "-inf", start=offset, num=batch, withscores=True)
            scored = [(str(pair[0]), float(pair[1])) for pair in reply]
            if keep(await self._fetch_orders([str(order_id) for order_id, _ in scored])) or len(scored) < batch:
                return found
            if top == "+inf":  # orders placed meanwhile must not shift the offsets of the next batches
                top = str(int(scored[0][1]))
            offset += batch

    async def record_refund(self, refund: Refund, entries: Sequence[LedgerEntry]) -> tuple[Order, StockLevels]:
        store_checks.refund_shape(refund)
        product_ids = [line.product_id for line in refund.lines]
        order = await self._order_or_404(refund.order_id)
        ledger_keys, pushes = append_plan(entries)
        line_args: list[str | int] = []
        for line in refund.lines:
            bought = order.line(line.product_id)
            line_args += [
                line.product_id,
                line.qty,
                line.previously_refunded,
                -1 if bought is None else bought.qty,
            ]
        reply = await RECORD_REFUND.replicated(
            self._redis,
            [
                keys.order(refund.order_id),
                keys.refunds(refund.order_id),
                *(keys.product(product_id) for product_id in product_ids),
                *ledger_keys,
                *outbox_keys(),
            ],
            [
                len(refund.lines),
                records.refund_json(refund),
                len(pushes) // 2,
                *line_args,
                *pushes,
                *outbox_args(webhooks.order_refunded(refunded(order, refund), refund)),
            ],
            self._min_replicas,
            self._wait_timeout_ms,
        )
        outcome = str(reply[0])
        if outcome == "not_found":
            raise errors.no_such_order(refund.order_id)
        if outcome == "not_paid":
            raise errors.order_not_refundable(str(reply[1]))
        if outcome == "not_bought":
            raise errors.not_bought(str(reply[1]))
        if outcome == "stale":
            raise errors.refund_raced()
        if outcome == "exceeds":
            raise errors.refund_exceeds_purchase(str(reply[1]), int(reply[3]), int(reply[2]), int(reply[4]))
        return records.order(codec.from_pairs(reply[1])), stock_levels(reply[2])

    async def _order_or_404(self, order_id: str) -> Order:
        order = await self.get_order(order_id)
        if order is None:
            raise errors.no_such_order(order_id)
        return order

    async def _pending_order(self, order_id: str) -> Order:
        """The order as placed (from memory when this process placed it), to settle it."""
        return self._pending.get(order_id) or await self._order_or_404(order_id)

    def _settled(self, order_id: str, reply: Sequence[Any]) -> None:
        """Raise unless the script settled the order; either way it is no longer ours to settle."""
        self._pending.discard(order_id)
        outcome = str(reply[0])
        if outcome == "not_found":
            raise errors.no_such_order(order_id)
        if outcome == "not_pending":
            raise errors.order_not_pending(order_id, str(reply[1]))

    async def _fetch_orders(self, order_ids: list[str]) -> list[Order]:
        if not order_ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for order_id in order_ids:
                pipe.hgetall(keys.order(order_id))
            replies = await pipe.execute()
        return [records.order(codec.decoded(row)) for row in replies if row]
