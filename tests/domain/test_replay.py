"""The replay timeline's rules: events placed on the recording's clock, chapters from pins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from livecart.domain.replay import TimelineEvent, chapters, place

START = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # store time of the recording's 0


def event(type_: str, wall_ms: int, at_ms: int | None, **data: Any) -> TimelineEvent:
    return TimelineEvent(
        show_id="shw_a", type=type_, at=START + timedelta(milliseconds=wall_ms), at_ms=at_ms, data=data
    )


def product(product_id: str) -> dict[str, Any]:
    return {"id": product_id, "title": product_id.upper()}


def test_events_without_a_recording_time_are_placed_by_the_offset_the_stamped_ones_agree_on() -> None:
    stamped = [
        event("pin", 1000 + 20, 1000, product=product("a")),  # store time runs 20 ms ahead here
        event("unpin", 5000 + 18, 5000, product_id="a"),
        event("pin", 9000 + 500, 9000, product=product("b")),
    ]  # one outlier: the median ignores it
    from_another_node = event("chat", 3020, None, message={"id": "msg_1", "text": "hi"})

    placed = place([*stamped, from_another_node])

    assert [(e["type"], e["at_ms"]) for e in placed] == [("pin", 1000), ("chat", 3000), ("unpin", 5000), ("pin", 9000)]
    assert placed[1] == {"at_ms": 3000, "type": "chat", "message": {"id": "msg_1", "text": "hi"}}


def test_a_pin_from_before_the_recording_starts_its_chapter_at_0() -> None:
    early_pin = event("pin", -5000, None, product=product("a"))  # pinned while the show was scheduled
    chat = event("chat", 1500, 1500, message={"id": "msg_1", "text": "hi"})

    placed = place([early_pin, chat])

    assert [(e["type"], e["at_ms"]) for e in placed] == [("pin", 0), ("chat", 1500)]
    assert chapters(placed, 3000) == [{"at_ms": 0, "until_ms": 3000, "product": product("a")}]


def test_with_nothing_stamped_events_are_placed_from_when_the_show_went_live() -> None:
    went_live = START + timedelta(milliseconds=200)

    placed = place([event("chat", 1200, None, message={"id": "msg_1", "text": "hi"})], went_live)

    assert [e["at_ms"] for e in placed] == [1000]


def test_before_the_recording_nothing_unplaceable_and_deleted_chat_are_left_out() -> None:
    before = event("chat", -2000, None, message={"id": "msg_0", "text": "early"})
    removed = event("chat", 2000, 2000, message={"id": "msg_2", "text": "spam"})
    kept = event("chat", 2100, 2100, message={"id": "msg_3", "text": "nice"})
    deletion = event("removed", 2500, 2500, message_id="msg_2")

    assert [e["message"]["id"] for e in place([before, removed, kept, deletion])] == ["msg_3"]
    assert place([event("chat", 10, None, message={"id": "m", "text": "t"})]) == []  # nothing stamped


def test_equal_times_keep_the_order_things_happened_in() -> None:
    sale = event("sale", 600, 533, product_id="a", qty=1, buyer="Sam L.", title="A")
    chat = event("chat", 590, 533, message={"id": "msg_1", "text": "buying!"})  # said before, stored after

    assert [e["type"] for e in place([sale, chat])] == ["chat", "sale"]


def test_a_chapter_runs_from_a_pin_to_its_unpin_or_to_the_end() -> None:
    placed = place(
        [
            event("pin", 1000, 1000, product=product("a")),
            event("pin", 2000, 2000, product=product("b")),
            event("pin", 2500, 2500, product=product("a")),  # already pinned: no second chapter
            event("unpin", 4000, 4000, product_id="a"),
            event("pin", 6000, 6000, product=product("a")),
        ]
    )

    assert chapters(placed, 8000) == [
        {"at_ms": 1000, "until_ms": 4000, "product": product("a")},
        {"at_ms": 2000, "until_ms": 8000, "product": product("b")},
        {"at_ms": 6000, "until_ms": 8000, "product": product("a")},
    ]
    assert chapters(placed, None)[1]["until_ms"] is None  # a growing recording: open chapters have no end
