"""Refund plans: which units of an order come back, for how much, and how much commission is reversed.

Commission and platform fee are reversed in proportion to the units refunded, with cumulative
rounding (money.prorated): refunding a line in several parts reverses exactly what the sale
recorded once the last unit is back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from livecart.domain import money
from livecart.domain import shares as sharing
from livecart.domain.commerce import Order, OrderStatus, Refund, RefundLine
from livecart.domain.errors import Conflict, RefundExceedsPurchase


def plan_refund(
    order: Order,
    items: Mapping[str, int] | None,
    *,
    refund_id: str,
    by: str,
    brand_id: str | None,
    now: datetime,
    commission_parts: Mapping[str, Sequence[sharing.Part]] | None = None,
) -> Refund:
    """Plan a refund of `items` (product id → units) or, with None, of everything not refunded yet.

    `brand_id` limits a brand to its own lines (None: admin, every line). Raises Conflict when the
    order is not paid, RefundExceedsPurchase when asking for more than was bought and not yet refunded
    (or for a product not in the order, or nothing at all).

    `commission_parts`: the commission parts the sale wrote per product (co-hosts, shares.sale_parts); the
    commission reversed is the sum of each part's prorated reversal (all the host's when None).
    """
    if order.status is not OrderStatus.PAID:
        raise Conflict(f"a {order.status.value} order cannot be refunded", status=order.status.value)
    lines = [line for line in order.lines if brand_id is None or line.brand_id == brand_id]
    if items is None:
        wanted = {line.product_id: line.qty - line.refunded_qty for line in lines if line.qty > line.refunded_qty}
        if not wanted:
            raise RefundExceedsPurchase("everything in this order has already been refunded", order_id=order.id)
    else:
        wanted = dict(items)
    by_product = {line.product_id: line for line in lines}
    parts: list[RefundLine] = []
    for product_id, qty in wanted.items():
        line = by_product.get(product_id)
        if line is None:
            raise RefundExceedsPurchase("this product was not bought in this order", product_id=product_id)
        if qty < 1 or line.refunded_qty + qty > line.qty:
            raise RefundExceedsPurchase(
                f"{line.qty - line.refunded_qty} units of this product can still be refunded",
                product_id=product_id,
                bought=line.qty,
                refunded=line.refunded_qty,
                requested=qty,
            )
        before, after = line.refunded_qty, line.refunded_qty + qty
        parts.append(
            RefundLine(
                product_id=product_id,
                qty=qty,
                previously_refunded=before,
                amount_cents=money.prorated(line.line_total_cents, before, after, line.qty),
                commission_cents=sum(
                    cents
                    for _, cents in sharing.reverse(
                        sharing.parts_of(commission_parts, product_id, order.host_id, line.commission_cents),
                        before,
                        after,
                        line.qty,
                    )
                ),
                platform_fee_cents=money.prorated(line.platform_fee_cents, before, after, line.qty),
            )
        )
    if not parts:
        raise RefundExceedsPurchase("name at least one product to refund", order_id=order.id)
    return Refund(id=refund_id, order_id=order.id, show_id=order.show_id, by=by, lines=tuple(parts), created_at=now)
