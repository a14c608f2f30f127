"""Product reviews from verified buyers, pure: who may review, the text, the summary, replies, reports,
moderation, and what each party sees of a review.

A review belongs to one paid order line: only that order's buyer may write it, once, while the line is
not fully refunded, from `review_after` after payment. Nothing here does I/O or reads a clock; every
rule takes `now`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from livecart.domain.chat import BlockedWord, clean_text
from livecart.domain.commerce import Order, OrderLine, OrderStatus
from livecart.domain.errors import BadRequest, NotABuyer, ReviewTooEarly
from livecart.domain.models import rfc3339

MAX_REVIEW_CHARS = 2000
MAX_REASON_CHARS = 500
RATINGS = (1, 2, 3, 4, 5)
HIDDEN_LABEL = "hidden by moderation"  # what everyone sees in place of a hidden review

ReviewCursor = tuple[datetime, str]  # (created_at, id) of the review a page starts after


@dataclass(frozen=True)
class Reply:
    """The brand's one answer to a review."""

    text: str
    at: datetime

    def public(self) -> dict[str, Any]:
        return {"text": self.text, "at": rfc3339(self.at)}


@dataclass(frozen=True)
class Report:
    """A brand (or admin) asks moderation to look at a review; one report per account per review."""

    by: str
    reason: str
    at: datetime

    def public(self) -> dict[str, Any]:
        return {"by": self.by, "reason": self.reason, "at": rfc3339(self.at)}


@dataclass(frozen=True)
class Hidden:
    """An admin hid the review: its rating and text are withheld, the reason stays visible."""

    reason: str
    at: datetime

    def public(self) -> dict[str, Any]:
        return {"label": HIDDEN_LABEL, "reason": self.reason, "at": rfc3339(self.at)}


@dataclass(frozen=True)
class Review:
    id: str
    product_id: str
    brand_id: str
    order_id: str
    show_id: str
    host_id: str
    buyer_id: str
    buyer_name: str
    rating: int
    text: str
    created_at: datetime
    ordered_at: datetime  # when the order was placed (new-account signal)
    client_ip: str | None = None  # where the review was written from (signals); never in a view
    reply: Reply | None = None
    hidden: Hidden | None = None
    reports: tuple[Report, ...] = field(default=())

    def public(self) -> dict[str, Any]:
        """What anyone sees: a hidden review keeps its place, name and date, not its rating or text."""
        return {
            "id": self.id,
            "product_id": self.product_id,
            "buyer_name": self.buyer_name,
            "verified_buyer": True,
            "rating": None if self.hidden else self.rating,
            "text": None if self.hidden else self.text,
            "created_at": rfc3339(self.created_at),
            "reply": self.reply.public() if self.reply else None,
            "hidden": self.hidden.public() if self.hidden else None,
        }

    def brand_view(self) -> dict[str, Any]:
        """The owning brand also sees the order and show it came from and the reports on it."""
        return {
            **self.public(),
            "order_id": self.order_id,
            "show_id": self.show_id,
            "reports": [report.public() for report in self.reports],
        }

    def admin_view(self) -> dict[str, Any]:
        """An admin sees everything but the client address, including a hidden review's rating and text."""
        return {**self.brand_view(), "buyer_id": self.buyer_id, "rating": self.rating, "text": self.text}


def rating(value: object) -> int:
    """A rating: a whole number from 1 to 5 (`4.5`, `"4"` and `true` are not)."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in RATINGS:
        raise BadRequest("rating must be a whole number from 1 to 5", fields={"rating": "a whole number from 1 to 5"})
    return value


def review_text(value: object, blocked: re.Pattern[str] | None) -> str:
    """The review text cleaned as chat text is (trimmed, control characters but newlines removed),
    at most 2,000 characters, possibly empty (a rating alone is a review); refused with `blocked_word`
    when it contains one of the show's blocked words."""
    if value is None or (isinstance(value, str) and not _visible(value)):
        return ""
    cleaned = clean_text(value, MAX_REVIEW_CHARS)
    if blocked is not None and blocked.search(cleaned):
        raise BlockedWord("the review contains a word that is not allowed here")
    return cleaned


def _visible(text: str) -> str:
    """The text without control characters (newlines kept), trimmed: what cleaning would keep."""
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc").strip()


def reply_text(value: object, blocked: re.Pattern[str] | None) -> str:
    """A brand's reply: cleaned like a review, 1–2,000 characters, blocked words refused."""
    cleaned = clean_text(value, MAX_REVIEW_CHARS)
    if blocked is not None and blocked.search(cleaned):
        raise BlockedWord("the reply contains a word that is not allowed here")
    return cleaned


def reason_text(value: object) -> str:
    """Why a review is reported or hidden: 1–500 characters, cleaned like chat text."""
    try:
        return clean_text(value, MAX_REASON_CHARS)
    except BadRequest as exc:
        raise BadRequest(exc.message, fields={"reason": f"must have 1 to {MAX_REASON_CHARS} characters"}) from None


def reviewable_line(
    order: Order | None, product_id: str, buyer_id: str, now: datetime, review_after: timedelta
) -> OrderLine:
    """The order line a buyer reviews, or why they may not.

    `not_a_buyer` (same answer whether the order does not exist or is someone else's, so order ids
    cannot be probed) with a `reason`: `not_your_order`, `not_paid`, `not_in_order`, `refunded` (every
    unit of the line was refunded). `review_too_early` (with `open_at`) before `review_after` has passed
    since payment. Once per line is the store's check (`already_reviewed`).
    """
    if order is None or order.buyer_id != buyer_id:
        raise NotABuyer("only the buyer of this order may review its products", reason="not_your_order")
    if order.status is not OrderStatus.PAID or order.paid_at is None:
        raise NotABuyer("the order is not paid", reason="not_paid", order_id=order.id)
    line = order.line(product_id)
    if line is None:
        raise NotABuyer("this order did not buy the product", reason="not_in_order", order_id=order.id)
    if line.refunded_qty >= line.qty:
        raise NotABuyer("this order line was refunded in full", reason="refunded", order_id=order.id)
    open_at = order.paid_at + review_after
    if now < open_at:
        raise ReviewTooEarly("reviews open some time after payment", open_at=rfc3339(open_at))
    return line


@dataclass(frozen=True)
class ReviewSummary:
    """What a product page shows: visible reviews only (hidden ones count nowhere)."""

    count: int
    histogram: tuple[int, int, int, int, int]  # reviews rated 1, 2, 3, 4, 5

    @property
    def average(self) -> float | None:
        """Mean rating rounded to two decimals; None without reviews."""
        if not self.count:
            return None
        return round(sum(stars * n for stars, n in zip(RATINGS, self.histogram, strict=True)) / self.count, 2)

    def public(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "average": self.average,
            "histogram": {str(stars): n for stars, n in zip(RATINGS, self.histogram, strict=True)},
        }


def summarize(ratings: Iterable[int]) -> ReviewSummary:
    counts = [0] * len(RATINGS)
    for stars in ratings:
        counts[stars - 1] += 1
    return ReviewSummary(sum(counts), (counts[0], counts[1], counts[2], counts[3], counts[4]))


def summary_of(reviews: Iterable[Review]) -> ReviewSummary:
    return summarize(review.rating for review in reviews if review.hidden is None)
