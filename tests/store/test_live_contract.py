"""The live store contract: the same specification runs against SQLite and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis

from livecart.clock import SystemClock
from livecart.domain.errors import NotFound
from livecart.domain.live import ChatMessage, ChatSettings, Question, QuestionStatus
from livecart.domain.models import utcnow
from livecart.store.base import LiveStore
from livecart.store.redis.live import RedisLive
from livecart.store.sqlite import SqliteStore

SHOW = "shw_contract"


class RedisLiveOnly(RedisLive):
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._clock = SystemClock()


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LiveStore]:
    if request.param == "sqlite":
        sqlite = await SqliteStore.open(str(tmp_path / "live.db"), clock=SystemClock())
        yield sqlite
        await sqlite.close()
    else:
        url: str = request.getfixturevalue("redis_url")
        redis = Redis.from_url(url, decode_responses=True)
        yield RedisLiveOnly(redis)
        await redis.aclose()


def message(n: int, show_id: str = SHOW) -> ChatMessage:
    return ChatMessage(id=f"msg_{n}", show_id=show_id, viewer_id="vwr_1", name="Sam", text=f"hello {n}", at=utcnow())


def question(n: int, show_id: str = SHOW) -> Question:
    return Question(
        id=f"qst_{n}",
        show_id=show_id,
        viewer_id="vwr_1",
        name="Sam",
        text=f"question {n}?",
        votes=0,
        status=QuestionStatus.OPEN,
        at=utcnow() + timedelta(milliseconds=n),
    )


async def test_chat_history_keeps_the_newest_in_order(store: LiveStore) -> None:
    for n in range(6):
        await store.add_chat(SHOW, [message(n)], keep=5)
    await store.add_chat(SHOW, [message(6), message(7)], keep=5)
    await store.add_chat("shw_other", [message(99, show_id="shw_other")], keep=5)
    await store.add_chat(SHOW, [], keep=5)
    recent = await store.recent_chat(SHOW, limit=3)
    assert [m.text for m in recent] == ["hello 5", "hello 6", "hello 7"]
    assert [m.id for m in await store.recent_chat(SHOW, limit=50)] == [f"msg_{n}" for n in range(3, 8)]
    assert (await store.audience(SHOW)).chat_messages == 8


async def test_a_deleted_message_leaves_the_history(store: LiveStore) -> None:
    await store.add_chat(SHOW, [message(n) for n in range(3)], keep=50)
    assert await store.delete_chat(SHOW, "msg_1") is True
    assert await store.delete_chat(SHOW, "msg_1") is False
    assert [m.id for m in await store.recent_chat(SHOW, 50)] == ["msg_0", "msg_2"]


async def test_one_vote_per_viewer_per_question(store: LiveStore) -> None:
    await store.add_question(question(1), keep=100)
    voted, counted = await store.upvote(SHOW, "qst_1", "vwr_a")
    assert (voted.votes, counted) == (1, True)
    again, counted_again = await store.upvote(SHOW, "qst_1", "vwr_a")
    assert (again.votes, counted_again) == (1, False)
    other, _ = await store.upvote(SHOW, "qst_1", "vwr_b")
    assert other.votes == 2
    with pytest.raises(NotFound):
        await store.upvote(SHOW, "qst_missing", "vwr_a")
    with pytest.raises(NotFound):
        await store.upvote("shw_other", "qst_1", "vwr_c")


async def test_top_questions_rank_featured_then_votes_then_answered(store: LiveStore) -> None:
    for n in range(4):
        await store.add_question(question(n), keep=100)
    await store.upvote(SHOW, "qst_2", "vwr_a")
    await store.upvote(SHOW, "qst_2", "vwr_b")
    await store.upvote(SHOW, "qst_3", "vwr_a")
    await store.set_question_status(SHOW, "qst_0", QuestionStatus.ANSWERED)
    featured = await store.set_question_status(SHOW, "qst_1", QuestionStatus.FEATURED)
    assert featured.status is QuestionStatus.FEATURED
    top = await store.top_questions(SHOW, limit=10)
    assert [q.id for q in top] == ["qst_1", "qst_2", "qst_3", "qst_0"]
    assert [q.id for q in await store.top_questions(SHOW, limit=2)] == ["qst_1", "qst_2"]
    assert (await store.get_question(SHOW, "qst_2")) == top[1]
    assert await store.get_question("shw_other", "qst_2") is None
    with pytest.raises(NotFound):
        await store.set_question_status(SHOW, "qst_missing", QuestionStatus.ANSWERED)
    assert (await store.audience(SHOW)).questions == 4


async def test_question_history_is_bounded(store: LiveStore) -> None:
    for n in range(5):
        await store.add_question(question(n), keep=3)
    assert sorted(q.id for q in await store.top_questions(SHOW, 10)) == ["qst_2", "qst_3", "qst_4"]
    assert await store.get_question(SHOW, "qst_0") is None


async def test_mutes_expire(store: LiveStore) -> None:
    assert await store.muted_until(SHOW, "vwr_1") is None
    until = utcnow() + timedelta(minutes=5)
    await store.mute(SHOW, "vwr_1", until)
    muted = await store.muted_until(SHOW, "vwr_1")
    assert muted is not None
    assert abs((muted - until).total_seconds()) < 0.01
    assert await store.muted_until("shw_other", "vwr_1") is None
    await store.mute(SHOW, "vwr_1", utcnow() - timedelta(seconds=1))
    assert await store.muted_until(SHOW, "vwr_1") is None


async def test_audience_counts_current_and_peak_viewers(store: LiveStore) -> None:
    await store.count_viewers(SHOW, 3)
    await store.count_viewers(SHOW, -1)
    audience = await store.count_viewers(SHOW, 1)
    assert (audience.current_viewers, audience.peak_viewers) == (3, 3)
    audience = await store.count_viewers(SHOW, -5)
    assert (audience.current_viewers, audience.peak_viewers) == (0, 3)
    assert (await store.count_viewers(SHOW, 0)).current_viewers == 0
    assert (await store.audience("shw_unknown")).current_viewers == 0


async def test_chat_settings_are_kept_per_show(store: LiveStore) -> None:
    assert await store.chat_settings(SHOW) == ChatSettings()
    settings = ChatSettings(slow_mode_s=15.0, blocked_words=("scam", "free money"))
    await store.set_chat_settings(SHOW, settings)
    assert await store.chat_settings(SHOW) == settings
    assert await store.chat_settings("shw_other") == ChatSettings()
    await store.set_chat_settings(SHOW, ChatSettings())
    assert await store.chat_settings(SHOW) == ChatSettings()
