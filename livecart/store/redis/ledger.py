"""The ledger: append-only lists of JSON rows (RPUSH only; nothing ever rewrites or removes a row).

`lc:ledger` holds every row in the order appended; per order, per party and per show lists hold
copies, written by the same script, so a filtered read never scans the whole ledger.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from livecart.domain.commerce import LedgerAccount, LedgerEntry
from livecart.store.redis import keys, records

# Appending inside a script: KEYS[first…] are the ledger lists, ARGV[first…] pairs of (key position, row);
# a negative position −p means SADD of the value to KEYS[first + p − 1] (the set of commission parties).
APPEND_LUA = """
local function append_ledger(first_key, first_arg, count)
  for i = 0, count - 1 do
    local at = first_arg + 2 * i
    local position = tonumber(ARGV[at])
    if position < 0 then
      redis.call('SADD', KEYS[first_key - position - 1], ARGV[at + 1])
    else
      redis.call('RPUSH', KEYS[first_key + position - 1], ARGV[at + 1])
    end
  end
end
"""


def append_plan(entries: Sequence[LedgerEntry]) -> tuple[list[str], list[str]]:
    """The ledger keys the entries go to, and the (key position, row) pairs that append them."""
    ledger_keys: list[str] = []
    pushes: list[str] = []
    for entry in entries:
        row = records.ledger_entry_json(entry)
        targets = [keys.ledger(), keys.ledger_by_order(entry.order_id), keys.ledger_by_show(entry.show_id)]
        if entry.party_id is not None:
            targets.append(keys.ledger_by_party(entry.party_id))
        for target in targets:
            if target not in ledger_keys:
                ledger_keys.append(target)
            pushes += [str(ledger_keys.index(target) + 1), row]
        if entry.account is LedgerAccount.HOST_COMMISSION and entry.party_id is not None:
            if keys.commission_parties() not in ledger_keys:
                ledger_keys.append(keys.commission_parties())
            pushes += [str(-(ledger_keys.index(keys.commission_parties()) + 1)), entry.party_id]
    return ledger_keys, pushes


class RedisLedger:
    _redis: Redis

    async def ledger_entries(
        self, *, order_id: str | None = None, party_id: str | None = None, show_id: str | None = None
    ) -> list[LedgerEntry]:
        if order_id is not None:
            source = keys.ledger_by_order(order_id)
        elif party_id is not None:
            source = keys.ledger_by_party(party_id)
        elif show_id is not None:
            source = keys.ledger_by_show(show_id)
        else:
            source = keys.ledger()
        entries = [records.ledger_entry(str(row)) for row in await self._redis.lrange(source, 0, -1)]
        return [
            entry
            for entry in entries
            if (order_id is None or entry.order_id == order_id)
            and (party_id is None or entry.party_id == party_id)
            and (show_id is None or entry.show_id == show_id)
        ]
