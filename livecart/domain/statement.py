"""A host's statement: every sale, co-host share, refund and payout line of its commission, with the
running balance per currency (what the platform owes the host: earned − reversed − paid out), read from
the ledger. `/api/hosts/{id}/statement.csv?from=&to=` serves it as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from livecart.domain.commerce import LedgerAccount, LedgerEntry
from livecart.domain.models import rfc3339

COLUMNS = ("created_at", "kind", "order_id", "show_id", "product_id", "payout_id", "currency", "amount_cents",
           "balance_cents")  # fmt: skip


@dataclass(frozen=True)
class StatementLine:
    created_at: datetime
    kind: str  # sale (as the show's host) | share (as a co-host) | refund | payout
    order_id: str
    show_id: str
    product_id: str
    payout_id: str | None
    currency: str
    amount_cents: int  # positive: owed to the host; negative: taken back or paid out
    balance_cents: int  # running, per currency, including the lines before `from`

    def public(self) -> dict[str, Any]:
        return {
            "created_at": rfc3339(self.created_at), "kind": self.kind, "order_id": self.order_id,
            "show_id": self.show_id, "product_id": self.product_id, "payout_id": self.payout_id,
            "currency": self.currency, "amount_cents": self.amount_cents, "balance_cents": self.balance_cents,
        }  # fmt: skip


def statement(
    entries: Iterable[LedgerEntry],
    host_id: str,
    show_hosts: Mapping[str, str],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[StatementLine]:
    """The host's lines in [since, until), in ledger order; `show_hosts`: show id → its host (a sale of
    another host's show is a co-host `share`)."""
    running: dict[str, int] = {}
    lines: list[StatementLine] = []
    for entry in entries:
        if entry.account is not LedgerAccount.HOST_COMMISSION or entry.party_id != host_id:
            continue
        amount = -entry.amount_cents
        running[entry.currency] = running.get(entry.currency, 0) + amount
        if (since is not None and entry.created_at < since) or (until is not None and entry.created_at >= until):
            continue
        if entry.payout_id is not None:
            kind = "payout"
        elif entry.refund_id is not None:
            kind = "refund"
        else:
            kind = "share" if show_hosts.get(entry.show_id, host_id) != host_id else "sale"
        line = StatementLine(
            entry.created_at, kind, entry.order_id, entry.show_id, entry.product_id, entry.payout_id,
            entry.currency, amount, running[entry.currency],
        )  # fmt: skip
        lines.append(line)
    return lines


def statement_csv(lines: Iterable[StatementLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for line in lines:
        data = line.public()
        writer.writerow([data[column] if data[column] is not None else "" for column in COLUMNS])
    return out.getvalue()
