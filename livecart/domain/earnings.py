"""A host's earnings, read from the ledger's host-commission entries (never from orders).

earned_cents: commission credited by sales; reversed_cents: commission taken back by refunds;
net of refunds = earned − reversed, reported as `pending_cents` (what payout states the money is in:
payouts.py, `GET /api/hosts/{id}/balance`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from livecart.domain.commerce import LedgerAccount, LedgerEntry


@dataclass
class EarningsRow:
    show_id: str
    title: str
    currency: str
    orders: set[str] = field(default_factory=set)
    earned_cents: int = 0
    reversed_cents: int = 0

    @property
    def pending_cents(self) -> int:
        return self.earned_cents - self.reversed_cents

    def public(self) -> dict[str, Any]:
        return {
            "show_id": self.show_id,
            "title": self.title,
            "currency": self.currency,
            "orders": len(self.orders),
            "earned_cents": self.earned_cents,
            "reversed_cents": self.reversed_cents,
            "pending_cents": self.pending_cents,
        }


CSV_COLUMNS = ("show_id", "title", "currency", "orders", "earned_cents", "reversed_cents", "pending_cents")


def earnings_rows(entries: Iterable[LedgerEntry], host_id: str, titles: Mapping[str, str]) -> list[EarningsRow]:
    """One row per (show, currency), in the order the shows first earned."""
    rows: dict[tuple[str, str], EarningsRow] = {}
    for entry in entries:
        if (
            entry.account is not LedgerAccount.HOST_COMMISSION
            or entry.party_id != host_id
            or entry.payout_id is not None  # money paid out, not earned (payouts.py has the balance)
        ):
            continue
        key = (entry.show_id, entry.currency)
        row = rows.setdefault(key, EarningsRow(entry.show_id, titles.get(entry.show_id, ""), entry.currency))
        if entry.refund_id is None:
            row.earned_cents += -entry.amount_cents
            row.orders.add(entry.order_id)
        else:
            row.reversed_cents += entry.amount_cents
    return list(rows.values())


def earnings_summary(host_id: str, rows: list[EarningsRow]) -> dict[str, Any]:
    """`{host_id, currency, earned_cents, pending_cents, reversed_cents, by_show, totals}`.

    The top-level amounts are in the currency the host earned most in (`totals` has one entry per
    currency when there are several); `currency` is None before the first sale.
    """
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        total = totals.setdefault(
            row.currency,
            {"currency": row.currency, "earned_cents": 0, "reversed_cents": 0, "pending_cents": 0},
        )
        total["earned_cents"] += row.earned_cents
        total["reversed_cents"] += row.reversed_cents
        total["pending_cents"] += row.pending_cents
    ranked = sorted(totals.values(), key=lambda total: (-total["earned_cents"], total["currency"]))
    main = ranked[0] if ranked else {"currency": None, "earned_cents": 0, "reversed_cents": 0, "pending_cents": 0}
    return {"host_id": host_id, **main, "by_show": [row.public() for row in rows], "totals": ranked}


def earnings_csv(rows: list[EarningsRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        data = row.public()
        writer.writerow([data[column] for column in CSV_COLUMNS])
    return out.getvalue()
