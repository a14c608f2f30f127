"""A show's replay timeline in Redis: `lc:replay:{show_id}:timeline`, a list of JSON events, oldest first."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from redis.asyncio import Redis

from livecart.domain.replay import TimelineEvent
from livecart.store.redis import keys


class RedisTimeline:
    _redis: Redis

    async def add_timeline_events(self, events: Sequence[TimelineEvent]) -> None:
        by_show: dict[str, list[str]] = {}
        for e in events:
            raw = json.dumps({"type": e.type, "at": e.at.isoformat(), "at_ms": e.at_ms, "data": dict(e.data)})
            by_show.setdefault(e.show_id, []).append(raw)
        if not by_show:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            for show_id, raws in by_show.items():
                pipe.rpush(keys.timeline(show_id), *raws)
            await pipe.execute()

    async def timeline(self, show_id: str) -> list[TimelineEvent]:
        raws = await self._redis.lrange(keys.timeline(show_id), 0, -1)
        found = []
        for raw in raws:
            item = json.loads(raw)
            found.append(
                TimelineEvent(
                    show_id=show_id,
                    type=item["type"],
                    at=datetime.fromisoformat(item["at"]),
                    at_ms=item["at_ms"],
                    data=item["data"],
                )
            )
        return found
