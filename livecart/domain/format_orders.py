"""Orders made by a selling format (an auction win, a deal hold, a giveaway prize): one product at the
format's price, priced exactly like a checkout line (`cart.price_line`: commission at the product's
rate now, platform fee, floor per line), so the ledger and earnings treat them like any sale."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from livecart.domain.cart import price_line
from livecart.domain.commerce import Order, OrderStatus
from livecart.domain.models import Product

GIVEAWAY_PAYMENT_REF = "giveaway"  # payment_ref of a prize order (nothing was charged)


def format_order(
    *,
    order_id: str,
    show_id: str,
    host_id: str,
    buyer_id: str,
    buyer_name: str,
    product: Product,
    unit_price_cents: int,
    qty: int,
    platform_fee_bps: int,
    now: datetime,
    shipping: Mapping[str, str] | None = None,
    idempotency_key: str | None = None,
) -> Order:
    """A PENDING one-line order of `qty` units of `product` at `unit_price_cents` each."""
    line = price_line(replace(product, price_cents=unit_price_cents), qty, platform_fee_bps)
    return Order(
        id=order_id,
        show_id=show_id,
        host_id=host_id,
        buyer_id=buyer_id,
        buyer_name=buyer_name,
        currency=product.currency,
        lines=(line,),
        shipping=dict(shipping or {}),
        status=OrderStatus.PENDING,
        idempotency_key=idempotency_key,
        created_at=now,
    )
