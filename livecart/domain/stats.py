"""Live show statistics per product, computed from the pin log, cart activity and the show's orders.

- pins: times the product was pinned; pinned_seconds: total time on screen (an open span counts up to
  the show's end, or to now while the show runs);
- cart_adds / cart_viewers: add-to-cart calls and distinct viewers who made them;
- orders / units / buyers: paid orders holding the product, units sold, distinct buyers;
- gross_cents: sales of paid orders; refunded_cents; net_cents = gross − refunded;
- conversion: buyers / cart_viewers (None before anyone added the product to a cart);
- by_source: orders, units, gross_cents and net_cents split by where the order was placed, `live`
  and `replay` (docs/protocol.md, "Buying from a replay").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from livecart.domain.commerce import CartActivity, Order, OrderSource, OrderStatus, PinSpan
from livecart.domain.models import Product


@dataclass(frozen=True)
class ProductStats:
    product_id: str
    brand_id: str
    title: str
    currency: str
    pins: int
    pinned_seconds: float
    cart_adds: int
    cart_viewers: int
    orders: int
    units: int
    buyers: int
    gross_cents: int
    refunded_cents: int
    net_cents: int
    conversion: float | None
    by_source: dict[str, dict[str, int]]

    def public(self) -> dict[str, Any]:
        return asdict(self)


def by_source(lines: Iterable[tuple[Order, Any]]) -> dict[str, dict[str, int]]:
    """Orders, units, gross and net per order source: `live` and `replay` always (zeros included); `link`
    only in a share link's storefront, the one place its orders are placed."""
    empty = {"orders": 0, "units": 0, "gross_cents": 0, "net_cents": 0}
    split = {source.value: dict(empty) for source in (OrderSource.LIVE, OrderSource.REPLAY)}
    for order, line in lines:
        row = split.setdefault(order.source.value, dict(empty))
        row["orders"] += 1
        row["units"] += line.qty
        row["gross_cents"] += line.line_total_cents
        row["net_cents"] += line.line_total_cents - line.refunded_cents
    return split


def pinned_seconds(spans: Iterable[PinSpan], until: datetime) -> float:
    """Seconds on screen; an open span ends at `until` (the show's end, or now)."""
    total = 0.0
    for span in spans:
        end = span.unpinned_at or until
        total += max(0.0, (min(end, until) - span.pinned_at).total_seconds())
    return round(total, 3)


def product_stats(
    products: Iterable[Product],
    pin_log: Iterable[PinSpan],
    activity: Mapping[str, CartActivity],
    orders: Iterable[Order],
    until: datetime,
) -> list[ProductStats]:
    """One row per product, in the order given."""
    spans: dict[str, list[PinSpan]] = {}
    for span in pin_log:
        spans.setdefault(span.product_id, []).append(span)
    paid = [order for order in orders if order.status is OrderStatus.PAID]
    rows = []
    for product in products:
        lines = [(order, line) for order in paid for line in order.lines if line.product_id == product.id]
        gross = sum(line.line_total_cents for _, line in lines)
        refunded = sum(line.refunded_cents for _, line in lines)
        buyers = len({order.buyer_id for order, _ in lines})
        cart = activity.get(product.id, CartActivity(adds=0, viewers=0))
        rows.append(
            ProductStats(
                product_id=product.id,
                brand_id=product.brand_id,
                title=product.title,
                currency=product.currency,
                pins=len(spans.get(product.id, [])),
                pinned_seconds=pinned_seconds(spans.get(product.id, []), until),
                cart_adds=cart.adds,
                cart_viewers=cart.viewers,
                orders=len(lines),
                units=sum(line.qty for _, line in lines),
                buyers=buyers,
                gross_cents=gross,
                refunded_cents=refunded,
                net_cents=gross - refunded,
                conversion=round(buyers / cart.viewers, 4) if cart.viewers else None,
                by_source=by_source(lines),
            )
        )
    return rows
