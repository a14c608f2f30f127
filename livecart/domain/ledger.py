"""The double-entry ledger: what a sale and a refund write.

Signs: debits positive, credits negative. A sale line of total T, host commission C and platform
fee F writes
    payments_clearing        +T   (the buyer's money, held by the payment provider for us)
    brand_receivable         −(T − C − F)
    host_commission_payable  −C
    platform_fee             −F   (only when a fee is configured)
so each line, and therefore each order, sums to zero. A refund writes the same accounts with the
opposite signs for the refunded part; nothing is ever edited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from livecart.domain.commerce import LedgerAccount, LedgerEntry, Order, Refund
from livecart.domain.ids import new_id


def _line_entries(
    order: Order,
    refund_id: str | None,
    product_id: str,
    brand_id: str,
    total: int,
    commission: int,
    fee: int,
    fee_configured: bool,
    sign: int,
    now: datetime,
    make_id: Callable[[], str],
) -> list[LedgerEntry]:
    parts = [
        (LedgerAccount.PAYMENTS, None, total),
        (LedgerAccount.BRAND_RECEIVABLE, brand_id, -(total - commission - fee)),
        (LedgerAccount.HOST_COMMISSION, order.host_id, -commission),
    ]
    if fee_configured:
        parts.append((LedgerAccount.PLATFORM_FEE, None, -fee))
    return [
        LedgerEntry(
            id=make_id(),
            order_id=order.id,
            refund_id=refund_id,
            show_id=order.show_id,
            product_id=product_id,
            account=account,
            party_id=party,
            amount_cents=sign * amount,
            currency=order.currency,
            created_at=now,
        )
        for account, party, amount in parts
    ]


def sale_entries(order: Order, now: datetime, make_id: Callable[[], str] | None = None) -> list[LedgerEntry]:
    """The entries an order writes when it is paid."""
    make = make_id or (lambda: new_id("led"))
    entries: list[LedgerEntry] = []
    for line in order.lines:
        entries += _line_entries(
            order,
            None,
            line.product_id,
            line.brand_id,
            line.line_total_cents,
            line.commission_cents,
            line.platform_fee_cents,
            line.platform_fee_bps > 0,
            +1,
            now,
            make,
        )
    return entries


def refund_entries(
    order: Order, refund: Refund, now: datetime, make_id: Callable[[], str] | None = None
) -> list[LedgerEntry]:
    """The reversing entries of a refund: the refunded part of each line, with opposite signs."""
    make = make_id or (lambda: new_id("led"))
    entries: list[LedgerEntry] = []
    for part in refund.lines:
        line = order.line(part.product_id)
        if line is None:
            raise ValueError(f"product {part.product_id} is not in order {order.id}")
        entries += _line_entries(
            order,
            refund.id,
            line.product_id,
            line.brand_id,
            part.amount_cents,
            part.commission_cents,
            part.platform_fee_cents,
            line.platform_fee_bps > 0,
            -1,
            now,
            make,
        )
    return entries


def balance(entries: Iterable[LedgerEntry]) -> int:
    """Sum of the amounts: zero for any complete set of an order's entries."""
    return sum(entry.amount_cents for entry in entries)
