"""Payouts: when a host's commission becomes payable, the balance per currency, and what a payout writes.

Everything is read from the ledger. A *piece* is one (order, product) line's commission for one host:
what the sale credited it, less what refunds reversed, less what payouts already paid (`owed`).

- A piece is `pending` until its order is `return_window_days` past payment (the sale entry's time);
  then it is *due*: `available` while owed > 0. A piece that a payout touched stays due even if the
  window setting grows later.
- A refund after payout makes a piece's owed negative: that is `negative_cents`, never taken back from
  paid money, but subtracted from the next payout.
- A payout pays `available − negative` when that is at least the minimum (and above zero), writing for
  every due piece with owed ≠ 0 a pair of entries: `host_commission_payable +owed` (the host, the piece
  is settled) and `payments_clearing −owed` (the money leaves). Each pair sums to zero.

Invariants (tests/domain/test_payouts.py, property-tested): the ledger sums to zero per currency, and per
host and currency paid + available + pending − negative = earned − reversed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from livecart.domain.commerce import LedgerAccount, LedgerEntry
from livecart.domain.ids import new_id
from livecart.domain.models import rfc3339


class PayoutStatus(StrEnum):
    PENDING = "pending"  # planned and recorded; the provider may or may not have been called
    PAID = "paid"  # the provider paid it; its ledger entries are written
    FAILED = "failed"  # the provider never paid it (recovery): nothing written, the money stays available


@dataclass(frozen=True)
class Payout:
    """One payment to one host in one currency, made by one payout run (`run_key`: its Idempotency-Key)."""

    id: str
    run_key: str
    host_id: str
    currency: str
    amount_cents: int
    status: PayoutStatus
    created_at: datetime
    paid_at: datetime | None = None
    provider_ref: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "host_id": self.host_id,
            "currency": self.currency,
            "amount_cents": self.amount_cents,
            "status": self.status.value,
            "created_at": rfc3339(self.created_at),
            "paid_at": rfc3339(self.paid_at),
        }


@dataclass
class Piece:
    """One host's commission on one order line, as the ledger has it."""

    currency: str
    order_id: str
    show_id: str
    product_id: str
    earned_at: datetime | None = None  # when the sale was paid (its entry's time)
    earned_cents: int = 0
    reversed_cents: int = 0
    paid_cents: int = 0
    settled: bool = False  # a payout touched it

    @property
    def owed_cents(self) -> int:
        return self.earned_cents - self.reversed_cents - self.paid_cents

    def due(self, now: datetime, window_days: int) -> bool:
        if self.settled:
            return True
        return self.earned_at is not None and self.earned_at + timedelta(days=window_days) <= now


@dataclass
class Balance:
    currency: str
    pending_cents: int = 0
    available_cents: int = 0
    paid_cents: int = 0
    negative_cents: int = 0
    earned_cents: int = 0
    reversed_cents: int = 0
    pieces: list[Piece] = field(default_factory=list, repr=False)

    @property
    def payable_cents(self) -> int:
        """What a payout would pay now (before the minimum): available less what the host owes."""
        return self.available_cents - self.negative_cents

    def public(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "pending_cents": self.pending_cents,
            "available_cents": self.available_cents,
            "paid_cents": self.paid_cents,
            "negative_cents": self.negative_cents,
        }


def pieces(entries: Iterable[LedgerEntry], host_id: str) -> list[Piece]:
    """The host's commission pieces, in the order they were first earned."""
    found: dict[tuple[str, str, str], Piece] = {}
    for entry in entries:
        if entry.account is not LedgerAccount.HOST_COMMISSION or entry.party_id != host_id:
            continue
        key = (entry.currency, entry.order_id, entry.product_id)
        piece = found.setdefault(key, Piece(entry.currency, entry.order_id, entry.show_id, entry.product_id))
        if entry.payout_id is not None:
            piece.paid_cents += entry.amount_cents
            piece.settled = True
        elif entry.refund_id is not None:
            piece.reversed_cents += entry.amount_cents
        else:
            piece.earned_cents += -entry.amount_cents
            if piece.earned_at is None or entry.created_at < piece.earned_at:
                piece.earned_at = entry.created_at
    return list(found.values())


def balances(entries: Iterable[LedgerEntry], host_id: str, now: datetime, window_days: int) -> dict[str, Balance]:
    """The host's balance per currency (currencies in the order first earned)."""
    result: dict[str, Balance] = {}
    for piece in pieces(entries, host_id):
        balance = result.setdefault(piece.currency, Balance(piece.currency))
        balance.pieces.append(piece)
        balance.earned_cents += piece.earned_cents
        balance.reversed_cents += piece.reversed_cents
        balance.paid_cents += piece.paid_cents
        owed = piece.owed_cents
        if not piece.due(now, window_days):
            balance.pending_cents += owed
        elif owed > 0:
            balance.available_cents += owed
        else:
            balance.negative_cents += -owed
    return result


@dataclass(frozen=True)
class PayoutPlan:
    """What one payout of one host in one currency pays, and the ledger entries it writes once paid."""

    payout_id: str
    host_id: str
    currency: str
    amount_cents: int
    entries: tuple[LedgerEntry, ...]


def plan_payout(
    entries: Iterable[LedgerEntry],
    host_id: str,
    currency: str,
    now: datetime,
    *,
    window_days: int,
    min_cents: int,
    payout_id: str,
    make_id: Callable[[], str] | None = None,
) -> PayoutPlan | None:
    """The payout of `host_id`'s due pieces in `currency`, or None when it would pay less than
    max(min_cents, 1) (what is negative then waits, and so does what is available)."""
    make = make_id or (lambda: new_id("led"))
    balance = balances(entries, host_id, now, window_days).get(currency)
    if balance is None or balance.payable_cents < max(min_cents, 1):
        return None
    written: list[LedgerEntry] = []
    for piece in balance.pieces:
        owed = piece.owed_cents
        if owed == 0 or not piece.due(now, window_days):
            continue
        for account, party, amount in (
            (LedgerAccount.HOST_COMMISSION, host_id, owed),
            (LedgerAccount.PAYMENTS, None, -owed),
        ):
            written.append(
                LedgerEntry(
                    id=make(),
                    order_id=piece.order_id,
                    refund_id=None,
                    show_id=piece.show_id,
                    product_id=piece.product_id,
                    account=account,
                    party_id=party,
                    amount_cents=amount,
                    currency=currency,
                    created_at=now,
                    payout_id=payout_id,
                )
            )
    amount = sum(entry.amount_cents for entry in written if entry.account is LedgerAccount.HOST_COMMISSION)
    assert amount == balance.payable_cents
    return PayoutPlan(payout_id, host_id, currency, amount, tuple(written))


def commission_hosts(entries: Iterable[LedgerEntry]) -> list[str]:
    """Every party with host-commission entries, in the order first seen (who a payout run visits)."""
    seen: dict[str, None] = {}
    for entry in entries:
        if entry.account is LedgerAccount.HOST_COMMISSION and entry.party_id is not None:
            seen.setdefault(entry.party_id, None)
    return list(seen)
