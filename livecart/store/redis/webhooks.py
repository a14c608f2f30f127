"""Webhooks on Redis: endpoints, the event outbox (written inside the Lua scripts of orders and shows,
`OUTBOX_LUA`), deliveries with their attempts, and per-endpoint delivery leases (SET NX PX)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from redis.asyncio import Redis

from livecart.domain import errors
from livecart.domain.webhooks import (
    Delivery,
    DeliveryStatus,
    Webhook,
    WebhookEvent,
    delivery_from_json,
    delivery_to_json,
    event_from_json,
    event_to_json,
)
from livecart.store.redis import keys
from livecart.store.redis.lua import Script

# Writing an event inside a script: the script's last three KEYS are `outbox_keys()` and its last two
# ARGV `outbox_args(event)`; an empty event id writes nothing. Call `write_event()` once the script's
# checks have passed, so a script that refuses writes no event.
OUTBOX_LUA = """
local function write_event()
  local event_id, record = ARGV[#ARGV - 1], ARGV[#ARGV]
  if event_id == '' then return end
  redis.call('HSET', KEYS[#KEYS - 2], event_id, record)
  redis.call('ZADD', KEYS[#KEYS - 1], redis.call('INCR', KEYS[#KEYS]), event_id)
end
"""


def outbox_keys() -> list[str]:
    return [keys.webhook_events(), keys.webhook_events_new(), keys.webhook_event_seq()]


def outbox_args(event: WebhookEvent | None) -> list[str]:
    return ["", ""] if event is None else [event.id, event_to_json(event)]


def _hook_json(hook: Webhook) -> str:
    return json.dumps(
        {
            "id": hook.id,
            "owner_id": hook.owner_id,
            "owner_is_admin": hook.owner_is_admin,
            "url": hook.url,
            "events": list(hook.events),
            "secret": hook.secret,
            "created_at": hook.created_at.isoformat(),
        }
    )


def _hook(text: str | bytes) -> Webhook:
    raw = json.loads(text)
    return Webhook(
        id=raw["id"],
        owner_id=raw["owner_id"],
        owner_is_admin=raw["owner_is_admin"],
        url=raw["url"],
        events=tuple(raw["events"]),
        secret=raw["secret"],
        created_at=datetime.fromisoformat(raw["created_at"]),
    )


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# KEYS: webhooks, deliveries, due, new events, then each delivery's endpoint history.
# ARGV: event id, n, then (delivery id, webhook id, delivery JSON, due in ms) × n.
# Deliveries due in the same millisecond go in the order of their events (the outbox counter, as a
# fraction of the score).
EXPAND_EVENT = Script(
    """
    local seq = tonumber(redis.call('ZSCORE', KEYS[4], ARGV[1]) or '0')
    for i = 1, tonumber(ARGV[2]) do
      local at = 3 + 4 * (i - 1)
      if redis.call('HEXISTS', KEYS[1], ARGV[at + 1]) == 1
          and redis.call('HSETNX', KEYS[2], ARGV[at], ARGV[at + 2]) == 1 then
        redis.call('LPUSH', KEYS[4 + i], ARGV[at])
        redis.call('ZADD', KEYS[3], tonumber(ARGV[at + 3]) + (seq % 1000) / 1000, ARGV[at])
      end
    end
    redis.call('ZREM', KEYS[4], ARGV[1])
    return 1
    """
)

SCRIPTS = (EXPAND_EVENT,)

CLAIM_SCAN = 50  # due deliveries looked at per claim (those of leased endpoints are skipped)


class RedisWebhooks:
    _redis: Redis

    async def create_webhook(self, hook: Webhook) -> None:
        await self._redis.hset(keys.webhooks(), hook.id, _hook_json(hook))

    async def get_webhook(self, webhook_id: str) -> Webhook | None:
        found = await self._redis.hget(keys.webhooks(), webhook_id)
        return None if found is None else _hook(found)

    async def list_webhooks(self, owner_id: str | None = None) -> list[Webhook]:
        hooks = [_hook(value) for value in (await self._redis.hgetall(keys.webhooks())).values()]
        mine = [hook for hook in hooks if owner_id is None or hook.owner_id == owner_id]
        return sorted(mine, key=lambda hook: (hook.created_at, hook.id))

    async def delete_webhook(self, webhook_id: str) -> bool:
        delivery_ids = [str(i) for i in await self._redis.lrange(keys.webhook_history(webhook_id), 0, -1)]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(keys.webhooks(), webhook_id)
            if delivery_ids:
                pipe.hdel(keys.webhook_deliveries(), *delivery_ids)
                pipe.zrem(keys.webhook_due(), *delivery_ids)
            pipe.delete(keys.webhook_history(webhook_id), keys.webhook_lease(webhook_id))
            replies = await pipe.execute()
        return bool(replies[0])

    async def new_webhook_events(self, limit: int) -> list[WebhookEvent]:
        event_ids = [str(i) for i in await self._redis.zrange(keys.webhook_events_new(), 0, limit - 1)]
        if not event_ids:
            return []
        records = await self._redis.hmget(keys.webhook_events(), event_ids)
        return [event_from_json(record) for record in records if record is not None]

    async def expand_webhook_event(self, event_id: str, deliveries: Sequence[Delivery]) -> None:
        args: list[str | int] = [event_id, len(deliveries)]
        for delivery in deliveries:
            due = _millis(delivery.next_attempt_at) if delivery.next_attempt_at is not None else 0
            args += [delivery.id, delivery.webhook_id, delivery_to_json(delivery), due]
        await EXPAND_EVENT(
            self._redis,
            [
                keys.webhooks(),
                keys.webhook_deliveries(),
                keys.webhook_due(),
                keys.webhook_events_new(),
                *(keys.webhook_history(delivery.webhook_id) for delivery in deliveries),
            ],
            args,
        )

    async def claim_webhook_delivery(self, holder: str, now: datetime, lease_s: float) -> Delivery | None:
        # scores carry the event order as a fraction of their millisecond (EXPAND_EVENT)
        due = await self._redis.zrangebyscore(
            keys.webhook_due(), "-inf", _millis(now) + 0.9995, start=0, num=CLAIM_SCAN
        )
        tried: set[str] = set()
        for delivery_id in (str(i) for i in due):
            record = await self._redis.hget(keys.webhook_deliveries(), delivery_id)
            if record is None:
                await self._redis.zrem(keys.webhook_due(), delivery_id)
                continue
            delivery = delivery_from_json(record)
            if delivery.webhook_id in tried:
                continue
            tried.add(delivery.webhook_id)
            lease = keys.webhook_lease(delivery.webhook_id)
            if not await self._redis.set(lease, holder, nx=True, px=max(1, int(lease_s * 1000))):
                continue
            # leased: read again, another holder may have finished it meanwhile
            record = await self._redis.hget(keys.webhook_deliveries(), delivery_id)
            current = None if record is None else delivery_from_json(record)
            if (
                current is not None
                and current.status is DeliveryStatus.PENDING
                and current.next_attempt_at is not None
                and current.next_attempt_at <= now
            ):
                return current
            await self._release(delivery.webhook_id, holder)
        return None

    async def _release(self, webhook_id: str, holder: str) -> None:
        lease = keys.webhook_lease(webhook_id)
        if await self._redis.get(lease) == holder:
            await self._redis.delete(lease)

    async def finish_webhook_delivery(self, delivery: Delivery, holder: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.webhook_deliveries(), delivery.id, delivery_to_json(delivery))
            if delivery.status is DeliveryStatus.PENDING and delivery.next_attempt_at is not None:
                pipe.zadd(keys.webhook_due(), {delivery.id: _millis(delivery.next_attempt_at)})
            else:
                pipe.zrem(keys.webhook_due(), delivery.id)
            await pipe.execute()
        await self._release(delivery.webhook_id, holder)

    async def webhook_deliveries(self, webhook_id: str, limit: int) -> list[Delivery]:
        delivery_ids = [str(i) for i in await self._redis.lrange(keys.webhook_history(webhook_id), 0, limit - 1)]
        if not delivery_ids:
            return []
        records = await self._redis.hmget(keys.webhook_deliveries(), delivery_ids)
        return [delivery_from_json(record) for record in records if record is not None]

    async def get_webhook_delivery(self, delivery_id: str) -> Delivery | None:
        record = await self._redis.hget(keys.webhook_deliveries(), delivery_id)
        return None if record is None else delivery_from_json(record)

    async def redeliver_webhook_delivery(self, delivery_id: str, now: datetime) -> Delivery:
        delivery = await self.get_webhook_delivery(delivery_id)
        if delivery is None:
            raise errors.no_such_delivery(delivery_id)
        again = replace(delivery, status=DeliveryStatus.PENDING, next_attempt_at=now)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.webhook_deliveries(), delivery_id, delivery_to_json(again))
            pipe.zadd(keys.webhook_due(), {delivery_id: _millis(now)})
            await pipe.execute()
        return again
