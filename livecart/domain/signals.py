"""Fake-order signals per show: orders later refunded, and buyers (tokens) with many orders.

Pure: computed from the show's orders. A brand is shown only orders with a line of its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from livecart.domain.commerce import Order, OrderStatus

MANY_ORDERS = 3  # a buyer with this many paid orders in one show is listed


def order_signals(orders: Iterable[Order], brand_id: str | None = None) -> dict[str, Any]:
    """`{paid_orders, refunded_orders, buyers_with_many_orders: [{buyer_id, orders}]}` (most orders first)."""
    paid = [
        order
        for order in orders
        if order.status is OrderStatus.PAID and (brand_id is None or brand_id in order.brand_ids)
    ]
    refunded = [order for order in paid if any(line.refunded_qty for line in order.lines
                                               if brand_id is None or line.brand_id == brand_id)]
    per_buyer = Counter(order.buyer_id for order in paid)
    many = sorted(((count, buyer) for buyer, count in per_buyer.items() if count >= MANY_ORDERS), reverse=True)
    return {
        "paid_orders": len(paid),
        "refunded_orders": len(refunded),
        "buyers_with_many_orders": [{"buyer_id": buyer, "orders": count} for count, buyer in many],
    }
