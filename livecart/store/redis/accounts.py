"""Accounts of every role, with their tokens kept only as SHA-256 digests.

`lc:token:{digest}` holds a copy of the (immutable) account while it lives, so a request is
authenticated in one round trip; deletion removes it in the same script that stamps `deleted_at`,
so a deleted account's token stops working at once.
"""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import errors
from livecart.domain.ids import hash_token, new_id, new_token
from livecart.domain.models import Account, Role
from livecart.store.redis import codec, keys
from livecart.store.redis.lua import Script

ID_PREFIX = {Role.HOST: "hst", Role.BRAND: "brd", Role.VIEWER: "vwr"}  # as the SQLite store

# KEYS: account, token index. ARGV: deleted_at. Returns 1, or 0 when there is no live account.
DELETE_ACCOUNT = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'deleted_at') == 1 then
      return 0
    end
    redis.call('HSET', KEYS[1], 'deleted_at', ARGV[1])
    redis.call('DEL', KEYS[2])
    return 1
    """
)

# KEYS: account, token index, buyer units, viewer's carts, new viewers. ARGV: deleted_at, viewer id,
#       cart key prefix, cart qty suffix, cart lines suffix.
# Deletes a viewer who never placed an order (no units) with its carts; returns 1, or 0 when it
# bought meanwhile (it leaves the index: a buyer is kept) or is gone.
EXPIRE_VIEWER = Script(
    """
    redis.call('ZREM', KEYS[5], ARGV[2])
    if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
    if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'deleted_at') == 1 then
      return 0
    end
    redis.call('HSET', KEYS[1], 'deleted_at', ARGV[1])
    redis.call('DEL', KEYS[2])
    for _, show_id in ipairs(redis.call('SMEMBERS', KEYS[4])) do
      local cart = ARGV[3] .. show_id .. ':' .. ARGV[2]
      redis.call('DEL', cart .. ARGV[4], cart .. ARGV[5])
    end
    redis.call('DEL', KEYS[4])
    return 1
    """
)

SCRIPTS = (DELETE_ACCOUNT, EXPIRE_VIEWER)
EXPIRY_BATCH = 500


class RedisAccounts:
    _redis: Redis
    _clock: Clock

    async def create_account(self, role: Role, name: str) -> tuple[Account, str]:
        token = new_token()
        digest = hash_token(token)
        created = Account(id=new_id(ID_PREFIX[role]), role=role, name=name, created_at=self._clock.now())
        row = codec.fields(id=created.id, role=role.value, name=name, token_hash=digest, created_at=created.created_at)
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hset(keys.account(created.id), mapping=row)  # type: ignore[arg-type]
            tx.hset(keys.token(digest), mapping={name: row[name] for name in ("id", "role", "name", "created_at")})
            if role is Role.VIEWER:
                tx.zadd(keys.new_viewers(), {created.id: codec.micros(created.created_at)})
            await tx.execute()
        return created, token

    async def account_by_token(self, token: str) -> Account | None:
        row = codec.decoded(await self._redis.hgetall(keys.token(hash_token(token))))
        return codec.account(row) if row else None

    async def get_account(self, account_id: str) -> Account | None:
        row = codec.decoded(await self._redis.hgetall(keys.account(account_id)))
        if not row or "deleted_at" in row:
            return None
        return codec.account(row)

    async def delete_account(self, account_id: str) -> None:
        digest = await self._redis.hget(keys.account(account_id), "token_hash")
        if digest is None:
            raise errors.no_such_account(account_id)
        deleted = await DELETE_ACCOUNT(
            self._redis, [keys.account(account_id), keys.token(str(digest))], [self._clock.now().isoformat()]
        )
        if deleted == 0:
            raise errors.no_such_account(account_id)

    async def expire_idle_viewers(self, created_before: datetime) -> int:
        """Walks the index of viewers that have not bought, oldest first, a batch at a time."""
        expired = 0
        cutoff = codec.micros(created_before)
        probe_qty, probe_lines = keys.cart_qty("S", "V"), keys.cart_lines("S", "V")
        prefix = probe_qty[: probe_qty.index("S")]
        qty_suffix, lines_suffix = probe_qty[probe_qty.index("V") + 1 :], probe_lines[probe_lines.index("V") + 1 :]
        while True:
            viewer_ids = [
                str(v)
                for v in await self._redis.zrangebyscore(
                    keys.new_viewers(), "-inf", f"({cutoff}", start=0, num=EXPIRY_BATCH
                )
            ]
            if not viewer_ids:
                return expired
            for viewer_id in viewer_ids:
                digest = await self._redis.hget(keys.account(viewer_id), "token_hash")
                expired += int(
                    await EXPIRE_VIEWER(
                        self._redis,
                        [
                            keys.account(viewer_id),
                            keys.token(str(digest or "")),
                            keys.units_bought(viewer_id),
                            keys.viewer_carts(viewer_id),
                            keys.new_viewers(),
                        ],
                        [self._clock.now().isoformat(), viewer_id, prefix, qty_suffix, lines_suffix],
                    )
                )
