"""The live room's state in Redis (keys `lc:live:{show_id}:…`), for several nodes sharing one show.

- `…:chat` list of JSON messages, newest last, trimmed to `keep`.
- `…:questions` list of question ids, newest last; `lc:live:q:{id}` hash; `lc:live:q:{id}:voters` set.
- `…:mutes` hash viewer id → mute end (epoch seconds); `…:settings` hash slow_mode_s, blocked_words (JSON).
- `…:audience` hash current_viewers, peak_viewers, chat_messages, questions.
Votes and viewer counts are Lua scripts, so they are atomic across nodes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import errors
from livecart.domain.live import Audience, ChatMessage, ChatSettings, Question, QuestionStatus, question_rank

QUESTION_TTL_S = 7 * 24 * 3600

_UPVOTE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'show_id') ~= ARGV[2] then return -1 end
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'votes', 1)
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  return 1
end
return 0
"""

_COUNT_VIEWERS = """
local current = redis.call('HINCRBY', KEYS[1], 'current_viewers', ARGV[1])
if current < 0 then
  redis.call('HSET', KEYS[1], 'current_viewers', 0)
  current = 0
end
local peak = tonumber(redis.call('HGET', KEYS[1], 'peak_viewers') or '0')
if current > peak then redis.call('HSET', KEYS[1], 'peak_viewers', current) end
return current
"""


def _key(show_id: str, part: str) -> str:
    return f"lc:live:{show_id}:{part}"


def _question_key(question_id: str) -> str:
    return f"lc:live:q:{question_id}"


def _question(data: dict[str, str]) -> Question:
    return Question(
        id=data["id"],
        show_id=data["show_id"],
        viewer_id=data["viewer_id"],
        name=data["name"],
        text=data["text"],
        votes=int(data["votes"]),
        status=QuestionStatus(data["status"]),
        at=datetime.fromisoformat(data["at"]),
    )


def _message(raw: str) -> ChatMessage:
    data: dict[str, Any] = json.loads(raw)
    return ChatMessage(
        id=data["id"],
        show_id=data["show_id"],
        viewer_id=data["viewer_id"],
        name=data["name"],
        text=data["text"],
        at=datetime.fromisoformat(data["at"]),
    )


class RedisLive:
    _redis: Redis
    _clock: Clock

    async def add_chat(self, show_id: str, messages: Sequence[ChatMessage], keep: int) -> None:
        raws = [
            json.dumps(
                {
                    "id": m.id,
                    "show_id": show_id,
                    "viewer_id": m.viewer_id,
                    "name": m.name,
                    "text": m.text,
                    "at": m.at.isoformat(),
                }
            )
            for m in messages
        ]
        if not raws:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(_key(show_id, "chat"), *raws)
            pipe.ltrim(_key(show_id, "chat"), -keep, -1)
            pipe.hincrby(_key(show_id, "audience"), "chat_messages", len(raws))
            await pipe.execute()

    async def recent_chat(self, show_id: str, limit: int) -> list[ChatMessage]:
        raws = cast(list[str], await self._redis.lrange(_key(show_id, "chat"), -limit, -1))
        return [_message(raw) for raw in raws]

    async def delete_chat(self, show_id: str, message_id: str) -> bool:
        raws = cast(list[str], await self._redis.lrange(_key(show_id, "chat"), 0, -1))
        for raw in raws:
            if json.loads(raw)["id"] == message_id:
                removed = await self._redis.lrem(_key(show_id, "chat"), 1, raw)
                return removed == 1
        return False

    async def add_question(self, question: Question, keep: int) -> None:
        mapping = {
            "id": question.id,
            "show_id": question.show_id,
            "viewer_id": question.viewer_id,
            "name": question.name,
            "text": question.text,
            "votes": question.votes,
            "status": question.status.value,
            "at": question.at.isoformat(),
        }
        ids_key = _key(question.show_id, "questions")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(_question_key(question.id), mapping=mapping)  # type: ignore[arg-type]
            pipe.expire(_question_key(question.id), QUESTION_TTL_S)
            pipe.rpush(ids_key, question.id)
            pipe.lrange(ids_key, 0, -keep - 1)
            pipe.ltrim(ids_key, -keep, -1)
            pipe.hincrby(_key(question.show_id, "audience"), "questions", 1)
            results = await pipe.execute()
        dropped: list[str] = results[3]
        if dropped:
            await self._redis.delete(
                *[_question_key(q) for q in dropped], *[_question_key(q) + ":voters" for q in dropped]
            )

    async def get_question(self, show_id: str, question_id: str) -> Question | None:
        data = cast(dict[str, str], await self._redis.hgetall(_question_key(question_id)))
        if not data or data.get("show_id") != show_id:
            return None
        return _question(data)

    async def upvote(self, show_id: str, question_id: str, viewer_id: str) -> tuple[Question, bool]:
        key = _question_key(question_id)
        script = self._redis.eval(_UPVOTE, 2, key, key + ":voters", viewer_id, show_id, str(QUESTION_TTL_S))
        result = cast(int, await script)
        question = await self.get_question(show_id, question_id) if result >= 0 else None
        if question is None:
            raise errors.no_such_question(question_id)
        return question, result == 1

    async def set_question_status(self, show_id: str, question_id: str, status: QuestionStatus) -> Question:
        if await self.get_question(show_id, question_id) is None:
            raise errors.no_such_question(question_id)
        await self._redis.hset(_question_key(question_id), "status", status.value)
        question = await self.get_question(show_id, question_id)
        if question is None:
            raise errors.no_such_question(question_id)
        return question

    async def top_questions(self, show_id: str, limit: int) -> list[Question]:
        ids = cast(list[str], await self._redis.lrange(_key(show_id, "questions"), 0, -1))
        async with self._redis.pipeline(transaction=False) as pipe:
            for question_id in ids:
                pipe.hgetall(_question_key(question_id))
            rows: list[dict[str, str]] = await pipe.execute()
        questions = [_question(row) for row in rows if row]
        return sorted(questions, key=question_rank)[:limit]

    async def mute(self, show_id: str, viewer_id: str, until: datetime) -> None:
        await self._redis.hset(_key(show_id, "mutes"), viewer_id, str(until.timestamp()))

    async def muted_until(self, show_id: str, viewer_id: str) -> datetime | None:
        raw = cast(str | None, await self._redis.hget(_key(show_id, "mutes"), viewer_id))
        if raw is None:
            return None
        until = datetime.fromtimestamp(float(raw), UTC)
        return until if until > self._clock.now() else None

    async def set_chat_settings(self, show_id: str, settings: ChatSettings) -> None:
        mapping = {"slow_mode_s": str(settings.slow_mode_s), "blocked_words": json.dumps(list(settings.blocked_words))}
        await self._redis.hset(_key(show_id, "settings"), mapping=mapping)  # type: ignore[arg-type]

    async def chat_settings(self, show_id: str) -> ChatSettings:
        data = cast(dict[str, str], await self._redis.hgetall(_key(show_id, "settings")))
        if not data:
            return ChatSettings()
        return ChatSettings(
            slow_mode_s=float(data["slow_mode_s"]), blocked_words=tuple(json.loads(data["blocked_words"]))
        )

    async def count_viewers(self, show_id: str, delta: int) -> Audience:
        await self._redis.eval(_COUNT_VIEWERS, 1, _key(show_id, "audience"), str(delta))
        return await self.audience(show_id)

    async def audience(self, show_id: str) -> Audience:
        data = cast(dict[str, str], await self._redis.hgetall(_key(show_id, "audience")))
        return Audience(
            current_viewers=max(0, int(data.get("current_viewers", 0))),
            peak_viewers=int(data.get("peak_viewers", 0)),
            chat_messages=int(data.get("chat_messages", 0)),
            questions=int(data.get("questions", 0)),
        )
