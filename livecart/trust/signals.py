"""The signals service: gathers what domain/signals.py needs — a show's or a product's orders, reviews,
the reviewers' account ages, refund times from the ledger, the label key — and computes the signals
with the LIVECART_SIGNAL_* thresholds. Signals are read, never enforced: nothing here blocks a sale."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from typing import Any

from livecart.domain.commerce import Order
from livecart.domain.models import Product, Show
from livecart.domain.reviews import Review
from livecart.domain.signals import LABEL_SECRET, Thresholds, bid_signals, last_refund_at, trust_signals
from livecart.store import Store

__all__ = ["LABEL_SECRET", "Signals"]  # LABEL_SECRET is defined in domain/signals.py (selling notes labels too)


class Signals:
    def __init__(self, store: Store, thresholds: Thresholds) -> None:
        self.store = store
        self.thresholds = thresholds

    async def for_show(
        self, show: Show, brand_id: str | None = None, orders: list[Order] | None = None
    ) -> dict[str, Any]:
        """The show's signals; a brand's cover only orders with a line of its own and its products' reviews.
        `orders`: the show's orders when the caller already read them."""
        if orders is None:
            orders = await self.store.show_orders(show.id)
        reviews = await self.store.show_reviews(show.id)
        refunded_at = last_refund_at(await self.store.ledger_entries(show_id=show.id))
        auctions = await self.store.show_auctions(show.id)
        bids = {auction.id: await self.store.auction_bids(auction.id) for auction in auctions}
        return {
            **trust_signals(
                orders, reviews, await self._created(reviews), refunded_at, await self.store.secret(LABEL_SECRET),
                self.thresholds, brand_id,
            ),
            **bid_signals(auctions, bids, orders, await self.store.show_addresses(show.id), brand_id),
        }  # fmt: skip

    async def for_product(self, product: Product) -> dict[str, Any]:
        """The product's signals over every show featuring it: each order counts with its line of this
        product only (paid, refunded, fully refunded soon after payment), and the product's reviews."""
        orders: list[Order] = []
        refunded_at: dict[str, datetime] = {}
        for show in await self.store.shows_featuring(product.id):
            for order in await self.store.show_orders(show.id):
                line = order.line(product.id)
                if line is not None:
                    orders.append(replace(order, lines=(line,)))
            refunded_at.update(last_refund_at(await self.store.ledger_entries(show_id=show.id)))
        reviews = await self.store.product_reviews(product.id)
        return trust_signals(
            orders, reviews, await self._created(reviews), refunded_at, await self.store.secret(LABEL_SECRET),
            self.thresholds,
        )  # fmt: skip

    async def _created(self, reviews: list[Review]) -> dict[str, datetime]:
        """When each reviewer's account was created (deleted accounts are left out)."""
        ids = sorted({review.buyer_id for review in reviews})
        accounts = await asyncio.gather(*(self.store.get_account(account_id) for account_id in ids))
        return {account.id: account.created_at for account in accounts if account is not None}
