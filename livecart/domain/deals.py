"""Flash deals: a price drop on a set quantity for a short time, and the holds viewers take on its units.

Pure rules (no I/O). A viewer reserves one unit at a time; the unit leaves both the deal's `remaining`
and the product's stock at once (neither can go below zero), and is held for `hold_s` seconds at the
deal price. A hold that expires unused goes back to both. Checkout turns held units into order lines
at the deal price, even after the deal itself has ended.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from livecart.domain.auctions import MAX_AMOUNT_CENTS
from livecart.domain.cart import price_line
from livecart.domain.commerce import Order, OrderStatus
from livecart.domain.errors import BadRequest, Conflict, NotFound, buyer_limit_exceeded
from livecart.domain.models import Product, rfc3339

MIN_DURATION_S = 10
MAX_DURATION_S = 300
MAX_QUANTITY = 100_000


class DealStatus(StrEnum):
    OPEN = "open"  # units can be reserved until ends_at
    ENDED = "ended"  # ended early (DELETE) or its time is over


class HoldStatus(StrEnum):
    HELD = "held"  # reserved, not yet in an order
    ORDERED = "ordered"  # in an order (the order owns the unit now)
    EXPIRED = "expired"  # not ordered in time; the unit went back to the deal and to stock


class DealEnded(Conflict):
    code = "deal_ended"


class DealSoldOut(Conflict):
    code = "deal_sold_out"


class HoldExpired(Conflict):
    code = "hold_expired"


def no_such_deal(deal_id: str) -> NotFound:
    return NotFound("no such deal", deal_id=deal_id)


def no_such_hold(hold_id: str) -> NotFound:
    return NotFound("no such hold", hold_id=hold_id)


def deal_ended(deal_id: str) -> DealEnded:
    return DealEnded("this deal has ended", deal_id=deal_id)


def deal_sold_out(deal_id: str) -> DealSoldOut:
    return DealSoldOut("this deal is sold out", deal_id=deal_id, remaining=0)


def deal_limit(deal_id: str, limit: int) -> DealSoldOut:
    return DealSoldOut(f"at most {limit} units of this deal per buyer", deal_id=deal_id, limit=limit)


def hold_expired(hold_ids: Sequence[str]) -> HoldExpired:
    return HoldExpired("some reserved units are no longer held for you", hold_ids=list(hold_ids))


@dataclass(frozen=True)
class Deal:
    id: str
    show_id: str
    host_id: str
    product_id: str
    brand_id: str
    currency: str
    price_cents: int
    quantity: int
    remaining: int
    status: DealStatus
    created_at: datetime
    ends_at: datetime
    ended_at: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        return self.status is DealStatus.OPEN and now < self.ends_at

    def public(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "show_id": self.show_id,
            "product_id": self.product_id,
            "price_cents": self.price_cents,
            "currency": self.currency,
            "quantity": self.quantity,
            "remaining": self.remaining,
            "ends_at": rfc3339(self.ends_at),
            "status": (DealStatus.OPEN if self.is_open(now) else DealStatus.ENDED).value,
        }


@dataclass(frozen=True)
class DealHold:
    id: str
    deal_id: str
    show_id: str
    product_id: str
    viewer_id: str
    price_cents: int
    reserved_at: datetime
    expires_at: datetime
    status: HoldStatus = HoldStatus.HELD
    order_id: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "deal_id": self.deal_id,
            "product_id": self.product_id,
            "price_cents": self.price_cents,
            "reserved_at": rfc3339(self.reserved_at),
            "expires_at": rfc3339(self.expires_at),
            "status": self.status.value,
        }


def new_deal(
    *,
    deal_id: str,
    show_id: str,
    host_id: str,
    product_id: str,
    brand_id: str,
    currency: str,
    price_cents: int,
    quantity: int,
    duration_s: int,
    now: datetime,
) -> Deal:
    """An OPEN deal of `quantity` units ending `duration_s` from now. Raises BadRequest naming every bad field."""
    fields: dict[str, str] = {}
    if not 0 <= price_cents <= MAX_AMOUNT_CENTS:
        fields["price_cents"] = f"from 0 to {MAX_AMOUNT_CENTS}"
    if not 1 <= quantity <= MAX_QUANTITY:
        fields["quantity"] = f"from 1 to {MAX_QUANTITY}"
    if not MIN_DURATION_S <= duration_s <= MAX_DURATION_S:
        fields["duration_s"] = f"from {MIN_DURATION_S} to {MAX_DURATION_S} seconds"
    if fields:
        raise BadRequest("invalid deal", fields=fields)
    return Deal(
        id=deal_id,
        show_id=show_id,
        host_id=host_id,
        product_id=product_id,
        brand_id=brand_id,
        currency=currency,
        price_cents=price_cents,
        quantity=quantity,
        remaining=quantity,
        status=DealStatus.OPEN,
        created_at=now,
        ends_at=now + timedelta(seconds=duration_s),
    )


def check_reserve(deal: Deal, now: datetime, stock: int, viewer_holds: int, max_per_viewer: int) -> None:
    """Whether one more unit may be reserved: DealEnded (ended, or its time is over), DealSoldOut (no unit
    left in the deal or in stock, or the viewer already holds `max_per_viewer` units of it)."""
    if not deal.is_open(now):
        raise deal_ended(deal.id)
    if deal.remaining < 1 or stock < 1:
        raise deal_sold_out(deal.id)
    if viewer_holds >= max_per_viewer:
        raise deal_limit(deal.id, max_per_viewer)


def new_hold(deal: Deal, hold_id: str, viewer_id: str, now: datetime, hold_s: int) -> DealHold:
    return DealHold(
        id=hold_id,
        deal_id=deal.id,
        show_id=deal.show_id,
        product_id=deal.product_id,
        viewer_id=viewer_id,
        price_cents=deal.price_cents,
        reserved_at=now,
        expires_at=now + timedelta(seconds=hold_s),
    )


def is_expired(hold: DealHold, now: datetime) -> bool:
    """A held unit not ordered by its expiry goes back to the deal and to stock."""
    return hold.status is HoldStatus.HELD and now >= hold.expires_at


def end(deal: Deal, now: datetime) -> Deal:
    """End a deal early (no-op when it already ended); held units may still be ordered until they expire."""
    if deal.status is DealStatus.ENDED:
        return deal
    return replace(deal, status=DealStatus.ENDED, ended_at=now)


def check_holds(order: Order, holds: Sequence[DealHold], now: datetime) -> None:
    """Every hold is the buyer's, HELD and unexpired (HoldExpired otherwise); the order's lines are
    exactly the held units at their hold price (ValueError otherwise: a caller's bug)."""
    unusable = [
        hold.id
        for hold in holds
        if hold.viewer_id != order.buyer_id or hold.status is not HoldStatus.HELD or now >= hold.expires_at
    ]
    if unusable:
        raise hold_expired(unusable)
    units = Counter(hold.product_id for hold in holds)
    prices = {(hold.product_id, hold.price_cents) for hold in holds}
    lines = {line.product_id: line for line in order.lines}
    if (
        set(units) != set(lines)
        or any(
            lines[product_id].qty != qty or (product_id, lines[product_id].unit_price_cents) not in prices
            for product_id, qty in units.items()
        )
        or len(prices) != len(units)
    ):
        raise ValueError("the order's lines must be exactly the held units at their hold prices")


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
        price_line(replace(products[pid], price_cents=prices[pid]), qty, platform_fee_bps) for pid, qty in units.items()
    )
    order = Order(
        id=order_id, show_id=show_id, host_id=host_id, buyer_id=buyer_id, buyer_name=buyer_name,
        currency=first.currency, lines=lines, shipping=dict(shipping), status=OrderStatus.PENDING,
        idempotency_key=idempotency_key, created_at=now, client_ip=client_ip,
    )  # fmt: skip
    return order, chosen
