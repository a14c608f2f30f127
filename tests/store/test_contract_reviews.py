"""Contract: product reviews on both stores — one review per order line, newest-first pages, the rating
summary of visible reviews, one brand reply, one report per account, moderation, address retention."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from livecart.clock import ManualClock
from livecart.domain.errors import AlreadyReplied, AlreadyReviewed, NotFound
from livecart.domain.ids import new_id
from livecart.domain.reviews import Review
from livecart.store import Store
from tests.store.conftest import OpenStore

T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def review(
    *,
    product_id: str = "prd_1",
    order_id: str | None = None,
    at: datetime = T0,
    rating: int = 5,
    show_id: str = "shw_1",
    review_id: str | None = None,
    ip: str | None = "198.51.100.7",
) -> Review:
    return Review(
        id=review_id or new_id("rvw"),
        product_id=product_id,
        brand_id="brd_1",
        order_id=order_id or new_id("ord"),
        show_id=show_id,
        host_id="hst_1",
        buyer_id="vwr_1",
        buyer_name="Ann",
        rating=rating,
        text="Lovely,\nworks",
        created_at=at,
        ordered_at=at - timedelta(hours=1),
        client_ip=ip,
    )


async def test_a_review_is_kept_and_read_back_whole(store: Store) -> None:
    written = review()
    await store.add_review(written)
    assert await store.get_review(written.id) == written
    assert await store.product_reviews("prd_1") == [written]
    assert await store.show_reviews("shw_1") == [written]
    assert await store.get_review("rvw_unknown") is None
    assert await store.product_reviews("prd_other") == []


async def test_an_order_line_is_reviewed_once_and_a_second_review_stores_nothing(store: Store) -> None:
    first = review(order_id="ord_1", rating=5)
    await store.add_review(first)
    with pytest.raises(AlreadyReviewed) as caught:
        await store.add_review(review(order_id="ord_1", rating=1))
    assert caught.value.details == {"order_id": "ord_1", "product_id": "prd_1"}
    assert [r.id for r in await store.product_reviews("prd_1")] == [first.id]
    assert (await store.review_summary("prd_1")).public()["histogram"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}
    other_line = review(order_id="ord_1", product_id="prd_2")  # another product of the same order
    assert await store.add_review(other_line) == other_line


async def test_concurrent_reviews_of_one_line_from_two_nodes_store_exactly_one(open_stores: OpenStore) -> None:
    one, two = await open_stores(), await open_stores()
    outcomes = await asyncio.gather(
        *[(one if n % 2 else two).add_review(review(order_id="ord_race", rating=1 + n % 5)) for n in range(8)],
        return_exceptions=True,
    )
    assert sum(isinstance(outcome, Review) for outcome in outcomes) == 1
    assert all(isinstance(outcome, Review | AlreadyReviewed) for outcome in outcomes)
    assert len(await one.product_reviews("prd_1")) == 1
    assert (await two.review_summary("prd_1")).count == 1


async def test_a_rating_outside_1_to_5_is_refused_before_anything_is_stored(store: Store) -> None:
    for stars in (0, 6):
        with pytest.raises(ValueError, match="rating"):
            await store.add_review(review(rating=stars))
    assert await store.product_reviews("prd_1") == []


async def test_reviews_are_paged_newest_first_with_ties_broken_by_id(store: Store) -> None:
    written = [review(review_id=f"rvw_{n:02}", at=T0 + timedelta(minutes=n // 2)) for n in range(7)]
    for item in written:
        await store.add_review(item)
    expected = sorted(written, key=lambda r: (r.created_at, r.id), reverse=True)
    assert [r.id for r in await store.product_reviews("prd_1")] == [r.id for r in expected]
    seen: list[str] = []
    cursor = None
    while True:
        page = await store.product_reviews("prd_1", 3, before=cursor)
        seen += [r.id for r in page]
        if len(page) < 3:
            break
        cursor = (page[-1].created_at, page[-1].id)
    assert seen == [r.id for r in expected]
    tie = expected[2]  # the middle of a pair written at the same time
    assert [r.id for r in await store.product_reviews("prd_1", 2, before=(tie.created_at, tie.id))] == [
        r.id for r in expected[3:5]
    ]


async def test_the_summary_counts_visible_reviews_and_a_hidden_one_leaves_it_once(store: Store) -> None:
    written = [review(rating=stars) for stars in (5, 4, 4, 1)]
    for item in written:
        await store.add_review(item)
    summary = await store.review_summary("prd_1")
    assert summary.public() == {"count": 4, "average": 3.5, "histogram": {"1": 1, "2": 0, "3": 0, "4": 2, "5": 1}}
    hidden = await store.hide_review(written[3].id, "abusive")
    assert hidden.hidden is not None
    assert hidden.hidden.reason == "abusive"
    again = await store.hide_review(written[3].id, "abusive, and paid for")
    assert again.hidden is not None
    assert again.hidden.reason == "abusive, and paid for"
    summary = await store.review_summary("prd_1")
    assert summary.public() == {"count": 3, "average": 4.33, "histogram": {"1": 0, "2": 0, "3": 0, "4": 2, "5": 1}}
    assert len(await store.product_reviews("prd_1")) == 4  # a hidden review keeps its place
    assert (await store.review_summary("prd_empty")).public()["average"] is None
    with pytest.raises(NotFound):
        await store.hide_review("rvw_unknown", "x")


async def test_the_brand_replies_once_stamped_by_the_stores_clock(open_stores: OpenStore) -> None:
    clock = ManualClock(T0 + timedelta(days=2))
    store = await open_stores(clock)
    written = review()
    await store.add_review(written)
    replied = await store.reply_to_review(written.id, "Thank you!")
    assert replied.reply is not None
    assert (replied.reply.text, replied.reply.at) == ("Thank you!", clock.now())
    await clock.advance(60)
    with pytest.raises(AlreadyReplied):
        await store.reply_to_review(written.id, "Edited")
    kept = await store.get_review(written.id)
    assert kept is not None
    assert kept.reply == replied.reply
    with pytest.raises(NotFound):
        await store.reply_to_review("rvw_unknown", "Hi")


async def test_each_account_reports_a_review_once(store: Store) -> None:
    written = review()
    await store.add_review(written)
    reported, added = await store.report_review(written.id, "brd_1", "competitor's review")
    assert added is True
    assert [(r.by, r.reason) for r in reported.reports] == [("brd_1", "competitor's review")]
    again, added = await store.report_review(written.id, "brd_1", "another reason")
    assert added is False
    assert [(r.by, r.reason) for r in again.reports] == [("brd_1", "competitor's review")]
    both, added = await store.report_review(written.id, "adm", "spam")
    assert added is True
    assert sorted(r.by for r in both.reports) == ["adm", "brd_1"]
    with pytest.raises(NotFound):
        await store.report_review("rvw_unknown", "brd_1", "x")


async def test_review_addresses_older_than_the_retention_are_erased_once(store: Store) -> None:
    old, recent, without = review(at=T0), review(at=T0 + timedelta(days=40)), review(at=T0, ip=None)
    for item in (old, recent, without):
        await store.add_review(item)
    assert await store.forget_review_addresses(T0 + timedelta(days=10)) == 1
    assert await store.forget_review_addresses(T0 + timedelta(days=10)) == 0
    erased, kept = await store.get_review(old.id), await store.get_review(recent.id)
    assert erased == replace(old, client_ip=None)
    assert kept == recent
