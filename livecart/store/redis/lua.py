"""Lua scripts: each one runs atomically inside Redis, so a check and the write it guards cannot be
interleaved with another client's commands.

A `Script` is registered once (its SHA-1 computed at import, `SCRIPT LOAD`ed when the store opens) and
run with EVALSHA; if the server forgot it (a restart, `SCRIPT FLUSH`) it is loaded again and retried.
Every key a script touches is passed in KEYS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from livecart.store.base import NotReplicated

Arg = str | int | float


class Script:
    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def load(self, redis: Redis) -> None:
        await redis.script_load(self.source)

    async def __call__(self, redis: Redis, keys: Sequence[str], args: Sequence[Arg] = ()) -> Any:
        try:
            return await redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.load(redis)
            return await redis.evalsha(self.sha, len(keys), *keys, *args)

    async def replicated(
        self, redis: Redis, keys: Sequence[str], args: Sequence[Arg], replicas: int, timeout_ms: int
    ) -> Any:
        """Run the script, then `WAIT` for `replicas` replicas to have it — on the same connection (WAIT
        counts that connection's writes only), in one round trip. Raises NotReplicated when fewer
        acknowledged within `timeout_ms`. With `replicas` 0 it is a plain call."""
        if replicas <= 0:
            return await self(redis, keys, args)
        for attempt in (1, 2):
            async with redis.pipeline(transaction=False) as pipe:
                pipe.evalsha(self.sha, len(keys), *keys, *args)
                pipe.execute_command("WAIT", replicas, timeout_ms)
                reply, acknowledged = await pipe.execute(raise_on_error=False)
            if isinstance(reply, NoScriptError) and attempt == 1:
                await self.load(redis)
                continue
            if isinstance(reply, BaseException):
                raise reply
            if isinstance(acknowledged, BaseException):
                raise acknowledged
            if int(acknowledged) < replicas:
                raise NotReplicated(f"the write reached {acknowledged} of {replicas} replicas in {timeout_ms} ms")
            return reply
        raise AssertionError("unreachable")
