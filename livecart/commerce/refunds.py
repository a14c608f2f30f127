"""Refunds: a brand (or admin) gives back a whole order or some of its items; the money, the ledger,
the stock and the live room all follow (docs/commerce.md)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from livecart.bus import EventBus
from livecart.clock import Clock
from livecart.commerce.payments import PaymentProvider
from livecart.commerce.stock_news import StockNews
from livecart.domain.commerce import Order, Refund
from livecart.domain.errors import Forbidden
from livecart.domain.events import Refunded
from livecart.domain.ids import new_id
from livecart.domain.ledger import refund_entries
from livecart.domain.models import Account, Role
from livecart.domain.refunds import plan_refund
from livecart.domain.shares import sale_parts
from livecart.store import Store

log = logging.getLogger(__name__)


class Refunds:
    def __init__(self, store: Store, provider: PaymentProvider, bus: EventBus, news: StockNews, clock: Clock) -> None:
        self.store = store
        self.provider = provider
        self.bus = bus
        self.news = news
        self.clock = clock

    async def refund(self, order: Order, by: Account, items: Mapping[str, int] | None) -> tuple[Refund, Order]:
        """Refund `items` (product id → units; None: everything still refundable) of `order`.

        The refund is booked (order, ledger, stock) in one store call first, then the provider is
        asked to give the money back; a provider failure is logged for a retry by hand, the booking
        stands. Returns the refund and the updated order.
        """
        if by.role is not Role.ADMIN and by.id not in order.brand_ids:
            raise Forbidden("only the brand that sold it (or admin) may refund an order")
        now = self.clock.now()
        brand_id = by.id if by.role is Role.BRAND else None
        parts = sale_parts(await self.store.ledger_entries(order_id=order.id))  # co-host shares, in proportion
        planned = plan_refund(
            order, items, refund_id=new_id("rfd"), by=by.id, brand_id=brand_id, now=now, commission_parts=parts
        )
        entries = refund_entries(order, planned, now, commission_parts=parts)
        updated, stock = await self.store.record_refund(planned, entries)
        if updated.payment_ref is not None:
            try:
                await self.provider.refund(charge_id=updated.payment_ref, amount_cents=planned.amount_cents)
            except Exception:
                log.exception("refund %s is booked but the provider did not take it; retry it by hand", planned.id)
        for product_id, level in stock.items():
            await self.news.announce(product_id, level, show_id=order.show_id)
        self.bus.publish(
            Refunded(
                show_id=order.show_id,
                order_id=order.id,
                items=tuple((line.product_id, line.qty) for line in planned.lines),
            )
        )
        return planned, updated
