"""What each party may see of an order (docs/protocol.md, "Orders of a show").

- admin: the whole order, with the buyer's id and shipping address;
- the show's host: every line and the totals, the buyer's display name; no address (the host ships nothing);
- a brand: only its own lines, totals over those lines, the buyer's display name, and the shipping
  address once the order is paid (it ships those items); never another brand's lines, never the buyer id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from livecart.domain.commerce import Order, OrderLine, OrderStatus
from livecart.domain.models import rfc3339

SHIPPING_FIELDS = ("name", "line1", "line2", "city", "postal_code", "country")


def refund_state(lines: Sequence[OrderLine]) -> str:
    """`none`, `partial` or `full`: how much of these lines has been refunded."""
    refunded = sum(line.refunded_qty for line in lines)
    if refunded == 0:
        return "none"
    return "full" if refunded == sum(line.qty for line in lines) else "partial"


def _view(order: Order, lines: Sequence[OrderLine]) -> dict[str, Any]:
    return {
        "id": order.id,
        "show_id": order.show_id,
        "status": order.status.value,
        "refund_status": refund_state(lines),
        "currency": order.currency,
        "buyer_name": order.buyer_name,
        "items": [line.public() for line in lines],
        "total_cents": sum(line.line_total_cents for line in lines),
        "commission_cents": sum(line.commission_cents for line in lines),
        "refunded_cents": sum(line.refunded_cents for line in lines),
        "created_at": rfc3339(order.created_at),
        "paid_at": rfc3339(order.paid_at),
        "source": order.source.value,
    }


def admin_view(order: Order) -> dict[str, Any]:
    return {**order.public(), "buyer_name": order.buyer_name, "refund_status": refund_state(order.lines)}


def host_view(order: Order) -> dict[str, Any]:
    return {**_view(order, order.lines), "host_id": order.host_id, "shipping": None}


def brand_view(order: Order, brand_id: str) -> dict[str, Any]:
    lines = [line for line in order.lines if line.brand_id == brand_id]
    shipping = None
    if order.status is OrderStatus.PAID:
        shipping = {name: order.shipping[name] for name in SHIPPING_FIELDS if name in order.shipping}
    return {**_view(order, lines), "shipping": shipping}
