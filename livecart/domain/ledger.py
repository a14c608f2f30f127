"""The double-entry ledger: what a sale and a refund write.

Signs: debits positive, credits negative. A sale line of total T, host commission C and platform
fee F writes
    payments_clearing        +T   (the buyer's money, held by the payment provider for us)
    brand_receivable         −(T − C − F)
    host_commission_payable  −C
    platform_fee             −F   (only when a fee is configured)
so each line, and therefore each order, sums to zero. A refund writes the same accounts with the
opposite signs for the refunded part; nothing is ever edited.

With co-hosts (shares.py) the host-commission credit is one entry per party — the host's part, then
each co-host's — and a refund reverses each part in proportion. Payouts (payouts.py) append their own
pairs of entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from livecart.domain import shares as sharing
from livecart.domain.commerce import LedgerAccount, LedgerEntry, Order, Refund
from livecart.domain.ids import new_id


def _line_entries(
    order: Order,
    refund_id: str | None,
    product_id: str,
    brand_id: str,
    total: int,
    commission: Sequence[sharing.Part],
    fee: int,
    fee_configured: bool,
    sign: int,
    now: datetime,
    make_id: Callable[[], str],
) -> list[LedgerEntry]:
    commission_total = sum(cents for _, cents in commission)
    parts: list[tuple[LedgerAccount, str | None, int]] = [
        (LedgerAccount.PAYMENTS, None, total),
        (LedgerAccount.BRAND_RECEIVABLE, brand_id, -(total - commission_total - fee)),
    ]
    parts += [(LedgerAccount.HOST_COMMISSION, party, -cents) for party, cents in commission]
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


def sale_entries(
    order: Order,
    now: datetime,
    make_id: Callable[[], str] | None = None,
    shares: Sequence[sharing.Share] = (),
) -> list[LedgerEntry]:
    """The entries an order writes when it is paid; `shares`: the show's active co-hosts then."""
    make = make_id or (lambda: new_id("led"))
    entries: list[LedgerEntry] = []
    for line in order.lines:
        entries += _line_entries(
            order,
            None,
            line.product_id,
            line.brand_id,
            line.line_total_cents,
            sharing.split(line.commission_cents, order.host_id, shares),
            line.platform_fee_cents,
            line.platform_fee_bps > 0,
            +1,
            now,
            make,
        )
    return entries


def refund_entries(
    order: Order,
    refund: Refund,
    now: datetime,
    make_id: Callable[[], str] | None = None,
    commission_parts: Mapping[str, Sequence[sharing.Part]] | None = None,
) -> list[LedgerEntry]:
    """The reversing entries of a refund: the refunded part of each line, with opposite signs.

    `commission_parts`: the commission parts the sale wrote per product (shares.sale_parts of the order's entries;
    None or missing: all the host's). Raises ValueError when the refund was planned with other parts.
    """
    make = make_id or (lambda: new_id("led"))
    entries: list[LedgerEntry] = []
    for part in refund.lines:
        line = order.line(part.product_id)
        if line is None:
            raise ValueError(f"product {part.product_id} is not in order {order.id}")
        line_parts = sharing.parts_of(commission_parts, line.product_id, order.host_id, line.commission_cents)
        reversed_parts = sharing.reverse(
            line_parts, part.previously_refunded, part.previously_refunded + part.qty, line.qty
        )
        if sum(cents for _, cents in reversed_parts) != part.commission_cents:
            raise ValueError(f"refund {refund.id} was planned with other commission parts")
        entries += _line_entries(
            order,
            refund.id,
            line.product_id,
            line.brand_id,
            part.amount_cents,
            reversed_parts,
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
