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
