"""Review rules without I/O: who may review which order line and when, ratings, text, the summary,
and what each party sees of a review."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from livecart.domain.chat import BlockedWord, compile_blocked
from livecart.domain.commerce import Order, OrderLine, OrderStatus
from livecart.domain.errors import BadRequest, NotABuyer, ReviewTooEarly
from livecart.domain.reviews import (
    HIDDEN_LABEL,
    Hidden,
    Reply,
    Report,
    Review,
    rating,
    reason_text,
    reply_text,
    review_text,
    reviewable_line,
    summarize,
    summary_of,
)

PAID_AT = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def line(product_id: str, qty: int = 2, refunded_qty: int = 0) -> OrderLine:
    return OrderLine(product_id, "brd_a", "Glow serum", 1999, qty, 1000, 0, 1999 * qty, 199 * qty, 0, refunded_qty)


def order(*lines: OrderLine, status: OrderStatus = OrderStatus.PAID, buyer_id: str = "vwr_ann") -> Order:
    return Order(
        id="ord_1",
        show_id="shw_1",
        host_id="hst_1",
        buyer_id=buyer_id,
        buyer_name="Ann",
        currency="EUR",
        lines=lines,
        shipping={},
        status=status,
        idempotency_key="k",
        created_at=PAID_AT - timedelta(minutes=1),
        paid_at=PAID_AT if status is OrderStatus.PAID else None,
    )


def refused(
    order_: Order | None, product_id: str = "prd_1", buyer_id: str = "vwr_ann", after: timedelta = timedelta(0)
) -> NotABuyer:
    with pytest.raises(NotABuyer) as caught:
        reviewable_line(order_, product_id, buyer_id, PAID_AT + timedelta(days=3), after)
    return caught.value


def test_the_buyer_of_a_paid_line_may_review_it() -> None:
    bought = order(line("prd_1"), line("prd_2"))
    assert reviewable_line(bought, "prd_2", "vwr_ann", PAID_AT, timedelta(0)).product_id == "prd_2"


def test_a_partly_refunded_line_may_still_be_reviewed() -> None:
    assert reviewable_line(order(line("prd_1", 2, 1)), "prd_1", "vwr_ann", PAID_AT, timedelta(0)).qty == 2


def test_everyone_else_is_not_a_buyer_and_says_why() -> None:
    bought = order(line("prd_1"))
    assert refused(None).details == {"reason": "not_your_order"}
    assert refused(bought, buyer_id="vwr_bob").details == {"reason": "not_your_order"}  # no hint the order exists
    assert refused(order(line("prd_1"), status=OrderStatus.PENDING)).details["reason"] == "not_paid"
    assert refused(order(line("prd_1"), status=OrderStatus.FAILED)).details["reason"] == "not_paid"
    assert refused(bought, product_id="prd_9").details["reason"] == "not_in_order"
    assert refused(order(line("prd_1", 2, 2))).details["reason"] == "refunded"
    assert refused(None).code == "not_a_buyer"


def test_reviews_open_review_after_hours_after_payment() -> None:
    bought = order(line("prd_1"))
    after = timedelta(hours=48)
    with pytest.raises(ReviewTooEarly) as caught:
        reviewable_line(bought, "prd_1", "vwr_ann", PAID_AT + after - timedelta(seconds=1), after)
    assert caught.value.details == {"open_at": "2026-11-22T18:00:00Z"}
    assert caught.value.code == "review_too_early"
    assert reviewable_line(bought, "prd_1", "vwr_ann", PAID_AT + after, after).product_id == "prd_1"


@pytest.mark.parametrize("value", [0, 6, -1, 4.5, "4", True, None, [5]])
def test_a_rating_is_a_whole_number_from_1_to_5(value: object) -> None:
    with pytest.raises(BadRequest) as caught:
        rating(value)
    assert caught.value.details == {"fields": {"rating": "a whole number from 1 to 5"}}


def test_ratings_1_to_5_are_accepted() -> None:
    assert [rating(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 3, 4, 5]


def test_review_text_is_cleaned_like_chat_and_may_be_empty() -> None:
    assert review_text("  Lovely\x07 serum,\nworks.  ", None) == "Lovely serum,\nworks."
    assert review_text("", None) == review_text(None, None) == review_text("   ", None) == ""
    assert review_text(" \x07\x00 ", None) == ""  # nothing visible is no text, as blank is
    assert review_text("x" * 2000, None) == "x" * 2000
    with pytest.raises(BadRequest) as caught:
        review_text("x" * 2001, None)
    assert caught.value.details == {"fields": {"text": "must have 1 to 2000 characters"}}
    with pytest.raises(BadRequest):
        review_text(5, None)


def test_blocked_words_of_the_show_refuse_reviews_and_replies_as_in_chat() -> None:
    blocked = compile_blocked(["scam"])
    with pytest.raises(BlockedWord):
        review_text("Total SCAM!", blocked)
    with pytest.raises(BlockedWord):
        reply_text("not a scam", blocked)
    assert review_text("scampi recipe", blocked) == "scampi recipe"  # whole words only, as chat


def test_replies_and_reasons_must_not_be_empty() -> None:
    with pytest.raises(BadRequest):
        reply_text("  ", None)
    with pytest.raises(BadRequest) as caught:
        reason_text("")
    assert caught.value.details == {"fields": {"reason": "must have 1 to 500 characters"}}
    assert reason_text(" paid review ") == "paid review"


def test_the_summary_counts_visible_reviews_per_star() -> None:
    assert summarize([]).public() == {
        "count": 0,
        "average": None,
        "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
    }
    summary = summarize([5, 5, 4, 1, 5, 3])
    assert summary.public() == {
        "count": 6,
        "average": round(23 / 6, 2),
        "histogram": {"1": 1, "2": 0, "3": 1, "4": 1, "5": 3},
    }
    shown = sample_review("rvw_1", 5)
    hidden = replace(sample_review("rvw_2", 1), hidden=Hidden("spam", PAID_AT))
    assert summary_of([shown, hidden]).public()["count"] == 1
    assert summary_of([shown, hidden]).average == 5.0


def sample_review(review_id: str = "rvw_1", stars: int = 4) -> Review:
    return Review(
        id=review_id,
        product_id="prd_1",
        brand_id="brd_a",
        order_id="ord_1",
        show_id="shw_1",
        host_id="hst_1",
        buyer_id="vwr_ann",
        buyer_name="Ann",
        rating=stars,
        text="Works.",
        created_at=PAID_AT,
        ordered_at=PAID_AT,
        client_ip="203.0.113.9",
    )


def test_each_party_sees_its_view_of_a_review_and_never_the_address() -> None:
    review = replace(
        sample_review(),
        reply=Reply("Thanks!", PAID_AT),
        reports=(Report("brd_a", "competitor", PAID_AT),),
    )
    public = review.public()
    assert public["rating"] == 4
    assert public["text"] == "Works."
    assert public["reply"]["text"] == "Thanks!"
    assert public["verified_buyer"] is True
    assert public["hidden"] is None
    assert "reports" not in public
    assert "buyer_id" not in public
    assert "order_id" not in public
    assert review.brand_view()["reports"] == [{"by": "brd_a", "reason": "competitor", "at": "2026-11-20T18:00:00Z"}]
    assert "buyer_id" not in review.brand_view()
    assert review.admin_view()["buyer_id"] == "vwr_ann"
    for view in (public, review.brand_view(), review.admin_view()):
        assert "203.0.113.9" not in str(view)


def test_a_hidden_review_keeps_its_place_with_the_reason_but_not_its_rating_or_text() -> None:
    review = replace(sample_review(), hidden=Hidden("paid review", PAID_AT))
    public = review.public()
    assert public["rating"] is None
    assert public["text"] is None
    assert public["hidden"] == {"label": HIDDEN_LABEL, "reason": "paid review", "at": "2026-11-20T18:00:00Z"}
    assert HIDDEN_LABEL == "hidden by moderation"
    assert review.brand_view()["text"] is None
    assert review.admin_view()["text"] == "Works."
    assert review.admin_view()["rating"] == 4
