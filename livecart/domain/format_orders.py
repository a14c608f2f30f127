"""Orders made by a selling format (an auction win, a deal hold, a giveaway prize): one product at the
format's price, priced exactly like a checkout line (`cart.price_line`: commission at the product's
rate now, platform fee, floor per line), so the ledger and earnings treat them like any sale."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from livecart.domain.cart import price_line
from livecart.domain.commerce import Order, OrderStatus
from livecart.domain.deals import DealHold, hold_expired
from livecart.domain.errors import buyer_limit_exceeded
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


def deal_order(
    *,
    order_id: str,
    show_id: str,
    host_id: str,
    buyer_id: str,
    buyer_name: str,
    holds: Sequence[DealHold],
    products: Mapping[str, Product],
    bought: Mapping[str, int],
    max_qty_per_buyer: int,
    platform_fee_bps: int,
    now: datetime,
    shipping: Mapping[str, str],
    idempotency_key: str | None,
    client_ip: str | None = None,
) -> tuple[Order, list[DealHold]]:
    """The PENDING order buying a viewer's held deal units at their deal prices, and the holds it uses.

    Held units of one product at one price make one line (a second price for the same product, from
    another deal, waits for the next checkout; so do holds in another currency than the first one).
    Raises HoldExpired when none is usable (`holds` empty) and LimitExceeded when a line would take
    the buyer past `max_qty_per_buyer` units of its product (what they bought before included)."""
    if not holds:
        raise hold_expired([])
    first = products[holds[0].product_id]
    chosen: list[DealHold] = []
    prices: dict[str, int] = {}
    for hold in holds:
        product = products.get(hold.product_id)
        if product is None or product.currency != first.currency:
            continue
        if prices.setdefault(hold.product_id, hold.price_cents) == hold.price_cents:
            chosen.append(hold)
    units = Counter(hold.product_id for hold in chosen)
    over = sorted(pid for pid, qty in units.items() if bought.get(pid, 0) + qty > max_qty_per_buyer)
    if over:
        raise buyer_limit_exceeded(over, max_qty_per_buyer)
    lines = tuple(
        price_line(replace(products[pid], price_cents=prices[pid]), qty, platform_fee_bps)
        for pid, qty in units.items()
    )
    order = Order(
        id=order_id, show_id=show_id, host_id=host_id, buyer_id=buyer_id, buyer_name=buyer_name,
        currency=first.currency, lines=lines, shipping=dict(shipping), status=OrderStatus.PENDING,
        idempotency_key=idempotency_key, created_at=now, client_ip=client_ip,
    )  # fmt: skip
    return order, chosen
