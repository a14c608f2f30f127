"""The checks both stores make before they write, as pure functions over what the store has read.

The SQLite store calls them inside its transaction on the rows it just read. The Redis store calls
the ones that need no fresh data (input shape, product values, show transitions) before its script,
and its Lua scripts repeat the ones that must see the data atomically (stock, limits, refunded
counts) in the same order, answering with the same errors (`livecart.domain.errors`).

Errors a caller can cause with valid requests are domain errors; `ValueError` marks input that only
a bug can build (an order naming one product twice, a refund of zero units).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from livecart.domain import errors
from livecart.domain.commerce import Order, OrderStatus, Refund
from livecart.domain.models import (
    EARLIEST_INSTANT,
    LATEST_INSTANT,
    PRODUCT_MUTABLE_FIELDS,
    Product,
    ShowStatus,
    instant_in_range,
    show_transition_allowed,
)
from livecart.domain.reviews import RATINGS, Review

# Product fields that may be cleared (set to None); the others are required.
NULLABLE_PRODUCT_FIELDS = frozenset({"image_url", "description"})
MAX_COMMISSION_BPS = 10_000


def product_values(values: Mapping[str, Any]) -> None:
    """A new product's draft or a product's changes (only PRODUCT_MUTABLE_FIELDS are looked at):
    BadRequest when a required field is None, price or stock is negative, or the commission rate is
    outside 0–10000 basis points."""
    names = [name for name in ("sku", "currency", *PRODUCT_MUTABLE_FIELDS) if name in values]
    nulls = [name for name in names if values[name] is None and name not in NULLABLE_PRODUCT_FIELDS]
    if nulls:
        raise errors.null_product_fields(nulls)
    problems: dict[str, str] = {}
    for name in ("price_cents", "stock"):
        if values.get(name) is not None and values[name] < 0:
            problems[name] = "must not be negative"
    bps = values.get("commission_bps")
    if bps is not None and not 0 <= bps <= MAX_COMMISSION_BPS:
        problems["commission_bps"] = f"must be from 0 to {MAX_COMMISSION_BPS}"
    if problems:
        raise errors.invalid_product(problems)


def instant(name: str, moment: datetime | None) -> None:
    """A date given to the store: None, or an aware datetime within `instant_in_range` (BadRequest)."""
    if moment is not None and (moment.tzinfo is None or not instant_in_range(moment)):
        raise errors.BadRequest(
            f"{name} is out of range",
            fields={name: f"a date from {EARLIEST_INSTANT.year} to {LATEST_INSTANT.year}, with a time zone"},
        )


def show_status_change(current: ShowStatus, new: ShowStatus) -> bool:
    """True when the show must move from `current` to `new`; False when it is there already.
    Conflict when the move is not allowed (scheduled → live → ended)."""
    if current == new:
        return False
    if not show_transition_allowed(current, new):
        raise errors.show_transition_refused(current.value, new.value)
    return True


def distinct_products(product_ids: Sequence[str], what: str) -> None:
    if len(set(product_ids)) != len(product_ids):
        raise ValueError(f"{what} must name each product once")


def order_shape(order: Order) -> None:
    """An order names each product once, with at least one unit, and has at least one line."""
    if not order.lines:
        raise ValueError("an order has at least one line")
    distinct_products([line.product_id for line in order.lines], "an order's lines")
    if any(line.qty < 1 for line in order.lines):
        raise ValueError("an order line holds at least one unit")


def refund_shape(refund: Refund) -> None:
    """A refund names each product once and refunds at least one unit of each."""
    distinct_products([line.product_id for line in refund.lines], "a refund's lines")
    if any(line.qty < 1 for line in refund.lines):
        raise ValueError("a refund line refunds at least one unit")


def order_placement(
    order: Order, products: Mapping[str, Product | None], bought: Mapping[str, int], max_qty_per_buyer: int
) -> None:
    """The checks of `place_order`, in the contract's order (`products`: the current product of every
    line, None when it does not exist; `bought`: the buyer's units of each). Raises the first that fails."""
    for line in order.lines:
        if products[line.product_id] is None:
            raise errors.no_such_product(line.product_id)
    current = {product_id: product for product_id, product in products.items() if product is not None}
    changed = [
        line.product_id
        for line in order.lines
        if current[line.product_id].price_cents != line.unit_price_cents
        or current[line.product_id].commission_bps != line.commission_bps
    ]
    if changed:
        raise errors.price_changed(changed)
    over = [line.product_id for line in order.lines if bought.get(line.product_id, 0) + line.qty > max_qty_per_buyer]
    if over:
        raise errors.buyer_limit_exceeded(over, max_qty_per_buyer)
    short = {
        line.product_id: current[line.product_id].stock
        for line in order.lines
        if current[line.product_id].stock < line.qty
    }
    if short:
        raise errors.out_of_stock(short)


def cart_holds(order: Order, in_cart: Mapping[str, int], other_pending: bool) -> None:
    """A checkout from the cart (`place_order(..., from_cart=True)`): the buyer's cart in the show still
    holds every line with at least its units, and no other order of the buyer in that show is pending.
    Otherwise CartEmpty: the cart is consumed by its first checkout (finding 3 of issue 19)."""
    if other_pending or any(in_cart.get(line.product_id, 0) < line.qty for line in order.lines):
        raise errors.cart_checked_out()


def pending(order: Order | None, order_id: str) -> Order:
    """The order, when it exists and is pending (it can be paid or failed)."""
    if order is None:
        raise errors.no_such_order(order_id)
    if order.status is not OrderStatus.PENDING:
        raise errors.order_not_pending(order_id, order.status.value)
    return order


def refundable(order: Order | None, refund: Refund) -> Order:
    """The checks of `record_refund` against the order as it is now, in the contract's order."""
    if order is None:
        raise errors.no_such_order(refund.order_id)
    if order.status is not OrderStatus.PAID:
        raise errors.order_not_refundable(order.status.value)
    for part in refund.lines:
        line = order.line(part.product_id)
        if line is None:
            raise errors.not_bought(part.product_id)
        if line.refunded_qty != part.previously_refunded:
            raise errors.refund_raced()
        if line.refunded_qty + part.qty > line.qty:
            raise errors.refund_exceeds_purchase(part.product_id, line.qty, line.refunded_qty, part.qty)
    return order


def cart_qty(qty: int) -> None:
    if qty < 1:
        raise ValueError("qty must be at least 1")


def cart_set_qty(qty: int) -> None:
    if qty < 0:
        raise ValueError("qty must be at least 0")


def cart_add(product_id: str, qty: int, in_cart: int, max_qty: int) -> None:
    """Adding `qty` units to a cart line that holds `in_cart`, with at most `max_qty` allowed."""
    cart_qty(qty)
    if in_cart + qty > max_qty:
        raise errors.cart_line_limit_exceeded(product_id, max_qty, in_cart)


def page_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError("limit must be at least 1")


def review_shape(review: Review) -> None:
    """A review a store may keep: a rating from 1 to 5 (the API refuses others first; only a bug gets here)."""
    if isinstance(review.rating, bool) or review.rating not in RATINGS:
        raise ValueError(f"a review's rating is 1 to 5, not {review.rating!r}")
