"""Contract: a show's replay timeline keeps every event as given, in the order appended (both stores)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from livecart.domain.replay import TimelineEvent
from livecart.store import Store
from tests.store.conftest import OpenStore

AT = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)


def event(show_id: str, type_: str, seconds: float, at_ms: int | None, **data: object) -> TimelineEvent:
    return TimelineEvent(show_id=show_id, type=type_, at=AT + timedelta(seconds=seconds), at_ms=at_ms, data=data)


async def test_the_timeline_keeps_each_event_with_its_times_and_payload(store: Store) -> None:
    pin = event(
        "shw_a",
        "pin",
        1.5,
        1500,
        product={"id": "prd_1", "title": "Serum", "price_cents": 2900},
        media_time=4_294_000_000,
    )
    chat = event("shw_a", "chat", 2.25, None, message={"id": "msg_1", "name": "Sam", "text": "wow ü"})
    unpin = event("shw_a", "unpin", 9.0, 9000, product_id="prd_1")

    await store.add_timeline_events([pin, chat])
    await store.add_timeline_events([unpin])

    assert await store.timeline("shw_a") == [pin, chat, unpin]
    assert await store.timeline("shw_unknown") == []


async def test_shows_have_separate_timelines_and_appends_keep_their_order(store: Store) -> None:
    for i in range(10):  # one after another: in that order
        await store.add_timeline_events(
            [event(show, "sale", i, i * 1000, order_id=f"ord_{show}_{i}") for show in ("shw_a", "shw_b")]
        )
    # at once (several nodes): each kept once
    await asyncio.gather(
        *(store.add_timeline_events([event("shw_c", "sale", i, None, order_id=f"ord_{i}")]) for i in range(20))
    )

    for show in ("shw_a", "shw_b"):
        assert [e.data["order_id"] for e in await store.timeline(show)] == [f"ord_{show}_{i}" for i in range(10)]
    assert sorted(e.data["order_id"] for e in await store.timeline("shw_c")) == sorted(f"ord_{i}" for i in range(20))


async def test_the_timeline_survives_reopening_the_store(store: Store, open_stores: OpenStore) -> None:
    kept = event("shw_a", "answer", 3, 3000, question={"id": "qst_1", "text": "Vegan?", "status": "answered"})
    await store.add_timeline_events([kept])

    other_node = await open_stores()

    assert await other_node.timeline("shw_a") == [kept]
