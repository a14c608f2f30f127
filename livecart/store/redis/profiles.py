"""Saved shipping addresses and cards (the provider's token, never the number), and shows' poster frames."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain.profiles import Poster, SavedCard
from livecart.store.redis import codec, keys


class RedisProfiles:
    _redis: Redis
    _clock: Clock

    async def shipping_address(self, account_id: str) -> dict[str, str] | None:
        found = await self._redis.hget(keys.profile(account_id), "address")
        return None if found is None else dict(json.loads(found))

    async def save_shipping_address(self, account_id: str, address: Mapping[str, str]) -> None:
        await self._redis.hset(keys.profile(account_id), "address", json.dumps(dict(address), sort_keys=True))

    async def payment_method(self, account_id: str) -> SavedCard | None:
        found = await self._redis.hget(keys.profile(account_id), "card")
        if found is None:
            return None
        card = json.loads(found)
        created = codec.from_text(card["created_at"])
        assert created is not None
        return SavedCard(token=card["token"], brand=card["brand"], last4=card["last4"], created_at=created)

    async def save_payment_method(self, account_id: str, card: SavedCard) -> None:
        value = {
            "token": card.token, "brand": card.brand, "last4": card.last4, "created_at": codec.to_text(card.created_at),
        }  # fmt: skip
        await self._redis.hset(keys.profile(account_id), "card", json.dumps(value, sort_keys=True))

    async def forget_payment_method(self, account_id: str) -> None:
        await self._redis.hdel(keys.profile(account_id), "card")

    async def show_poster(self, show_id: str) -> Poster | None:
        row = codec.decoded(await self._redis.hgetall(keys.poster(show_id)))
        if not row:
            return None
        updated = codec.from_text(row["updated_at"])
        assert updated is not None
        return Poster(content_type=row["content_type"], data=base64.b64decode(row["data"]), updated_at=updated)

    async def save_show_poster(self, show_id: str, poster: Poster) -> None:
        mapping = {
            "content_type": poster.content_type,
            "data": base64.b64encode(poster.data).decode("ascii"),
            "updated_at": codec.to_text(poster.updated_at) or "",
        }
        await self._redis.hset(keys.poster(show_id), mapping=mapping)  # type: ignore[arg-type]

    async def show_poster_times(self, show_ids: Sequence[str]) -> dict[str, datetime]:
        wanted = list(dict.fromkeys(show_ids))
        async with self._redis.pipeline(transaction=False) as pipe:
            for show_id in wanted:
                pipe.hget(keys.poster(show_id), "updated_at")
            stamps = await pipe.execute()
        found: dict[str, datetime] = {}
        for show_id, stamp in zip(wanted, stamps, strict=True):
            moment = codec.from_text(stamp) if stamp else None
            if moment is not None:
                found[show_id] = moment
        return found
