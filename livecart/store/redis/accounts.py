"""Accounts of every role, with their tokens kept only as SHA-256 digests.

`lc:token:{digest}` holds a copy of the (immutable) account while it lives, so a request is
authenticated in one round trip; deletion removes it in the same script that stamps `deleted_at`,
so a deleted account's token stops working at once.
"""

from __future__ import annotations

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

SCRIPTS = (DELETE_ACCOUNT,)


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
