"""The reviews service: a verified buyer writes a review of an order line, anyone reads them, the brand
replies once and reports, an admin hides with a reason. Rules are domain/reviews.py; this reads what they
need from the store and stamps the time with the injected clock."""

from __future__ import annotations

from datetime import timedelta

from livecart.clock import Clock
from livecart.domain import errors
from livecart.domain.chat import compile_blocked
from livecart.domain.commerce import OrderStatus
from livecart.domain.ids import new_id
from livecart.domain.models import Account, Product, Role
from livecart.domain.reviews import (
    Review,
    ReviewSummary,
    rating,
    reason_text,
    reply_text,
    review_text,
    reviewable_line,
)
from livecart.store import Store


class Reviews:
    def __init__(self, store: Store, clock: Clock, *, review_after: timedelta) -> None:
        self.store = store
        self.clock = clock
        self.review_after = review_after  # LIVECART_REVIEW_AFTER_H

    async def product(self, product_id: str) -> Product:
        product = await self.store.get_product(product_id)
        if product is None:
            raise errors.no_such_product(product_id)
        return product

    async def review(self, review_id: str) -> Review:
        review = await self.store.get_review(review_id)
        if review is None:
            raise errors.no_such_review(review_id)
        return review

    async def write(
        self, buyer: Account, product_id: str, order_id: str, stars: object, text: object, client_ip: str | None
    ) -> Review:
        """A review of the buyer's order line of the product: `not_a_buyer`, `review_too_early`,
        `already_reviewed` (conflicts), `blocked_word` (the show's chat list), 404 for an unknown product."""
        stars = rating(stars)
        await self.product(product_id)
        order = await self.store.get_order(order_id)
        now = self.clock.now()
        line = reviewable_line(order, product_id, buyer.id, now, self.review_after)
        assert order is not None  # reviewable_line refuses a missing order
        settings = await self.store.chat_settings(order.show_id)
        cleaned = review_text(text, compile_blocked(settings.blocked_words))
        review = Review(
            id=new_id("rvw"),
            product_id=product_id,
            brand_id=line.brand_id,
            order_id=order.id,
            show_id=order.show_id,
            host_id=order.host_id,
            buyer_id=buyer.id,
            buyer_name=order.buyer_name,
            rating=stars,
            text=cleaned,
            created_at=now,
            ordered_at=order.created_at,
            client_ip=client_ip,
        )
        return await self.store.add_review(review)

    async def reviewable(self, buyer: Account, product_id: str) -> list[str]:
        """Ids of the buyer's orders whose line of the product they may review now (oldest first).

        Reads the orders of every show featuring the product (there is no per-buyer order index)."""
        await self.product(product_id)
        now = self.clock.now()
        found: list[str] = []
        for show in await self.store.shows_featuring(product_id):
            for order in await self.store.show_orders(show.id):
                if order.buyer_id != buyer.id or order.status is not OrderStatus.PAID:
                    continue
                try:
                    reviewable_line(order, product_id, buyer.id, now, self.review_after)
                except errors.Conflict:
                    continue
                found.append(order.id)
        reviewed = {
            review.order_id for review in await self.store.product_reviews(product_id) if review.buyer_id == buyer.id
        }
        return [order_id for order_id in found if order_id not in reviewed]

    async def page(self, product_id: str, limit: int, before_id: str | None) -> tuple[list[Review], str | None]:
        """A page of the product's reviews, newest first, and the id to pass as `before` next (None: last)."""
        await self.product(product_id)
        cursor = None
        if before_id is not None:
            before = await self.store.get_review(before_id) if 0 < len(before_id) <= 64 else None
            if before is None or before.product_id != product_id:
                raise errors.BadRequest("before is not valid", fields={"before": "the id of a review in this list"})
            cursor = (before.created_at, before.id)
        page = await self.store.product_reviews(product_id, limit + 1, before=cursor)
        return page[:limit], page[limit - 1].id if len(page) > limit else None

    async def summary(self, product_id: str) -> ReviewSummary:
        return await self.store.review_summary(product_id)

    async def reply(self, account: Account, review_id: str, text: object) -> Review:
        """The owning brand's (or admin's) one reply; `already_replied` after the first."""
        review = await self.review(review_id)
        self._check_owner(account, review, "reply to")
        settings = await self.store.chat_settings(review.show_id)
        return await self.store.reply_to_review(review_id, reply_text(text, compile_blocked(settings.blocked_words)))

    async def report(self, account: Account, review_id: str, reason: object) -> tuple[Review, bool]:
        """The owning brand (or admin) asks moderation to look; once per account (False on a repeat)."""
        review = await self.review(review_id)
        self._check_owner(account, review, "report")
        return await self.store.report_review(review_id, account.id, reason_text(reason))

    async def hide(self, review_id: str, reason: object) -> Review:
        """Admin only (the caller checks the role): the review shows as "hidden by moderation"."""
        cleaned = reason_text(reason)
        await self.review(review_id)
        return await self.store.hide_review(review_id, cleaned)

    @staticmethod
    def _check_owner(account: Account, review: Review, action: str) -> None:
        if account.role is not Role.ADMIN and account.id != review.brand_id:
            raise errors.Forbidden(f"only the brand of the product may {action} its reviews")
