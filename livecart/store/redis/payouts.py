"""Payout records: one hash per payout, indexes per run, per host and of pending payouts, and a hash of
the one open (pending) payout per host and currency. Opening checks, in one script, that the run has
no payout for that host yet, that none is open, and that the host's ledger list still has the length
the plan was made from; completing appends the planned rows with the status change."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import errors, webhooks
from livecart.domain.commerce import LedgerAccount, LedgerEntry
from livecart.domain.payouts import Payout, PayoutStatus
from livecart.store.redis import codec, keys, records
from livecart.store.redis.ledger import APPEND_LUA, append_plan
from livecart.store.redis.lua import Script
from livecart.store.redis.webhooks import OUTBOX_LUA, outbox_args, outbox_keys

# KEYS: run, open payouts, host's ledger list, payout, host's payouts, pending payouts, payout sequence.
# ARGV: `{host}:{currency}`, expected ledger length, payout id, score, m field pairs.
# Returns {'ok'}, {'same', id} (the run already has it), {'busy', id} or {'stale'}; nothing written unless 'ok'.
OPEN_PAYOUT = Script(
    """
    local same = redis.call('HGET', KEYS[1], ARGV[1])
    if same then return {'same', same} end
    local busy = redis.call('HGET', KEYS[2], ARGV[1])
    if busy then return {'busy', busy} end
    if redis.call('LLEN', KEYS[3]) ~= tonumber(ARGV[2]) then return {'stale'} end
    redis.call('HSET', KEYS[4], unpack(ARGV, 6, 5 + 2 * tonumber(ARGV[5])))
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
    redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
    local seq = redis.call('INCR', KEYS[7])
    redis.call('HSET', KEYS[4], 'seq', seq)
    redis.call('ZADD', KEYS[5], seq, ARGV[3])
    redis.call('ZADD', KEYS[6], ARGV[4], ARGV[3])
    return {'ok'}
    """
)

# KEYS: payout, open payouts, pending payouts, ledger lists…. ARGV: paid_at, provider ref, `{host}:{currency}`,
# payout id, number of ledger pushes e, then e (key position, row) pairs.
# Returns {'ok'} (paid now), {'paid'} (already: nothing appended), {'failed'} or {'not_found'}.
COMPLETE_PAYOUT = Script(
    APPEND_LUA
    + OUTBOX_LUA
    + """
    local status = redis.call('HGET', KEYS[1], 'status')
    if not status then return {'not_found'} end
    if status ~= 'pending' then return {status} end
    redis.call('HSET', KEYS[1], 'status', 'paid', 'paid_at', ARGV[1], 'provider_ref', ARGV[2])
    redis.call('HDEL', KEYS[2], ARGV[3])
    redis.call('ZREM', KEYS[3], ARGV[4])
    append_ledger(4, 6, tonumber(ARGV[5]))
    write_event()
    return {'ok'}
    """
)

# KEYS: payout, open payouts, pending payouts. ARGV: `{host}:{currency}`, payout id.
# Returns {'ok'} (failed now or before), {'paid'} or {'not_found'}.
FAIL_PAYOUT = Script(
    """
    local status = redis.call('HGET', KEYS[1], 'status')
    if not status then return {'not_found'} end
    if status == 'paid' then return {'paid'} end
    redis.call('HSET', KEYS[1], 'status', 'failed')
    redis.call('HDEL', KEYS[2], ARGV[1])
    redis.call('ZREM', KEYS[3], ARGV[2])
    return {'ok'}
    """
)

SCRIPTS = (OPEN_PAYOUT, COMPLETE_PAYOUT, FAIL_PAYOUT)

LEDGER_BATCH = 1000  # rows read at a time when indexing the parties of an older ledger


def _slot(host_id: str, currency: str) -> str:
    return f"{host_id}:{currency}"


def _payout(row: Mapping[str, str]) -> Payout:
    created = codec.from_text(row["created_at"])
    assert created is not None
    return Payout(
        id=row["id"],
        run_key=row["run_key"],
        host_id=row["host_id"],
        currency=row["currency"],
        amount_cents=int(row["amount_cents"]),
        status=PayoutStatus(row["status"]),
        created_at=created,
        paid_at=codec.from_text(row.get("paid_at")),
        provider_ref=row.get("provider_ref"),
    )


class RedisPayouts:
    """Payout writes (and their ledger rows) WAIT for LIVECART_REDIS_MIN_REPLICAS replicas, as orders do."""

    _redis: Redis
    _min_replicas: int
    _wait_timeout_ms: int
    _clock: Clock

    async def commission_parties(self) -> list[str]:
        if not await self._redis.exists(keys.commission_parties_complete()):
            await self._index_commission_parties()
        return sorted(str(party) for party in await self._redis.smembers(keys.commission_parties()))

    async def _index_commission_parties(self) -> None:
        """Once per database: add the parties of ledger rows appended before the set existed (the script
        that appends rows adds new ones itself, so rows appended meanwhile are never missed)."""
        start = 0
        while True:
            batch = await self._redis.lrange(keys.ledger(), start, start + LEDGER_BATCH - 1)
            parties = {
                entry.party_id
                for entry in (records.ledger_entry(str(row)) for row in batch)
                if entry.account is LedgerAccount.HOST_COMMISSION and entry.party_id is not None
            }
            if parties:
                await self._redis.sadd(keys.commission_parties(), *parties)
            if len(batch) < LEDGER_BATCH:
                break
            start += LEDGER_BATCH
        await self._redis.set(keys.commission_parties_complete(), "1")

    async def ledger_length(self, party_id: str) -> int:
        return int(await self._redis.llen(keys.ledger_by_party(party_id)))

    async def open_payout(self, payout: Payout, entries: Sequence[LedgerEntry], ledger_length: int) -> Payout:
        record = codec.fields(
            id=payout.id, run_key=payout.run_key, host_id=payout.host_id, currency=payout.currency,
            amount_cents=payout.amount_cents, status=payout.status.value, created_at=payout.created_at,
        )  # fmt: skip
        record["entries"] = json.dumps([records.ledger_entry_json(entry) for entry in entries])
        slot = _slot(payout.host_id, payout.currency)
        reply = await OPEN_PAYOUT.replicated(
            self._redis,
            [
                keys.payout_run(payout.run_key),
                keys.payouts_open(),
                keys.ledger_by_party(payout.host_id),
                keys.payout(payout.id),
                keys.host_payouts(payout.host_id),
                keys.payouts_pending(),
                keys.payouts_seq(),
            ],
            [slot, ledger_length, payout.id, codec.micros(payout.created_at), len(record), *codec.pairs(record)],
            self._min_replicas,
            self._wait_timeout_ms,
        )
        if reply[0] == "same":
            found = await self.get_payout(str(reply[1]))
            assert found is not None
            return found
        if reply[0] == "busy":
            raise errors.payout_in_progress(str(reply[1]))
        if reply[0] == "stale":
            raise errors.payout_ledger_moved(payout.host_id)
        return payout

    async def complete_payout(self, payout_id: str, provider_ref: str) -> Payout:
        row = codec.decoded(await self._redis.hgetall(keys.payout(payout_id)))
        if not row:
            raise errors.no_such_payout(payout_id)
        entries = [records.ledger_entry(text) for text in json.loads(row["entries"])]
        ledger_keys, pushes = append_plan(entries)
        now = self._clock.now()
        before = await self.get_payout(payout_id)
        assert before is not None
        paid = replace(before, status=PayoutStatus.PAID, paid_at=now, provider_ref=provider_ref)
        reply = await COMPLETE_PAYOUT.replicated(
            self._redis,
            [keys.payout(payout_id), keys.payouts_open(), keys.payouts_pending(), *ledger_keys, *outbox_keys()],
            [
                codec.to_text(now) or "", provider_ref, _slot(row["host_id"], row["currency"]),
                payout_id, len(pushes) // 2, *pushes, *outbox_args(webhooks.payout_paid(paid, now)),
            ],
            self._min_replicas, self._wait_timeout_ms,
        )  # fmt: skip
        if reply[0] == "failed":
            raise errors.payout_settled(payout_id, "failed")
        found = await self.get_payout(payout_id)
        assert found is not None
        return found

    async def fail_payout(self, payout_id: str) -> Payout:
        found = await self.get_payout(payout_id)
        if found is None:
            raise errors.no_such_payout(payout_id)
        reply = await FAIL_PAYOUT.replicated(
            self._redis,
            [keys.payout(payout_id), keys.payouts_open(), keys.payouts_pending()],
            [_slot(found.host_id, found.currency), payout_id],
            self._min_replicas,
            self._wait_timeout_ms,
        )
        if reply[0] == "paid":
            raise errors.payout_settled(payout_id, "paid")
        failed = await self.get_payout(payout_id)
        assert failed is not None
        return failed

    async def get_payout(self, payout_id: str) -> Payout | None:
        row = codec.decoded(await self._redis.hgetall(keys.payout(payout_id)))
        return _payout(row) if row else None

    async def _payouts(self, payout_ids: Sequence[str], *, by_seq: bool = False) -> list[Payout]:
        if not payout_ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for payout_id in payout_ids:
                pipe.hgetall(keys.payout(payout_id))
            found = [row for row in await pipe.execute() if row]
        if by_seq:
            found.sort(key=lambda row: int(row["seq"]))
        return [_payout(row) for row in found]

    async def run_payouts(self, run_key: str) -> list[Payout]:
        slots = codec.decoded(await self._redis.hgetall(keys.payout_run(run_key)))
        return await self._payouts(list(slots.values()), by_seq=True)

    async def host_payouts(self, host_id: str) -> list[Payout]:
        return await self._payouts([str(i) for i in await self._redis.zrevrange(keys.host_payouts(host_id), 0, -1)])

    async def pending_payouts(self, older_than: datetime) -> list[Payout]:
        ids = await self._redis.zrangebyscore(keys.payouts_pending(), "-inf", f"({codec.micros(older_than)}")
        return await self._payouts([str(i) for i in ids])
