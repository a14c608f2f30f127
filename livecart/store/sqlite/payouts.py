"""Payout records (one per run, host and currency) and the ledger entries they write once paid."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from livecart.clock import Clock
from livecart.domain import errors, webhooks
from livecart.domain.commerce import LedgerAccount, LedgerEntry
from livecart.domain.payouts import Payout, PayoutStatus
from livecart.store.sqlite import rows
from livecart.store.sqlite.db import Database, Migration
from livecart.store.sqlite.orders import append_entries
from livecart.store.sqlite.webhooks import write_event

MIGRATIONS: list[Migration] = [
    Migration(
        17,
        "connect_payouts",
        """
        ALTER TABLE ledger ADD COLUMN payout_id TEXT;
        CREATE INDEX ledger_host_commission ON ledger (account, party_id);
        CREATE TABLE payouts (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            run_key TEXT NOT NULL,
            host_id TEXT NOT NULL,
            currency TEXT NOT NULL,
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
            entries TEXT NOT NULL,
            created_at TEXT NOT NULL,
            paid_at TEXT,
            provider_ref TEXT,
            UNIQUE (run_key, host_id, currency)
        );
        CREATE UNIQUE INDEX payouts_one_open ON payouts (host_id, currency) WHERE status = 'pending';
        CREATE INDEX payouts_host ON payouts (host_id, seq);
        CREATE INDEX payouts_pending ON payouts (created_at) WHERE status = 'pending'
        """,
    ),
]


def _entries_json(entries: Sequence[LedgerEntry]) -> str:
    return json.dumps(
        [{**asdict(e), "account": e.account.value, "created_at": e.created_at.isoformat()} for e in entries]
    )


def _entries(text: str) -> list[LedgerEntry]:
    return [
        LedgerEntry(
            **{
                **data,
                "account": LedgerAccount(data["account"]),
                "created_at": datetime.fromisoformat(data["created_at"]),
            }
        )
        for data in json.loads(text)
    ]


def _payout(row: sqlite3.Row) -> Payout:
    created = rows.from_text(row["created_at"])
    assert created is not None
    return Payout(
        id=row["id"],
        run_key=row["run_key"],
        host_id=row["host_id"],
        currency=row["currency"],
        amount_cents=row["amount_cents"],
        status=PayoutStatus(row["status"]),
        created_at=created,
        paid_at=rows.from_text(row["paid_at"]),
        provider_ref=row["provider_ref"],
    )


def _fetch(conn: sqlite3.Connection, payout_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM payouts WHERE id = ?", (payout_id,)).fetchone()
    if row is None:
        raise errors.no_such_payout(payout_id)
    return row


class SqlitePayouts:
    _db: Database
    _clock: Clock

    async def commission_parties(self) -> list[str]:
        def select(conn: sqlite3.Connection) -> list[str]:
            query = (
                "SELECT party_id FROM ledger WHERE account = ? AND party_id IS NOT NULL"
                " GROUP BY party_id ORDER BY MIN(seq)"
            )
            return [row[0] for row in conn.execute(query, (LedgerAccount.HOST_COMMISSION.value,))]

        return await self._db.read(select)

    async def ledger_length(self, party_id: str) -> int:
        def count(conn: sqlite3.Connection) -> int:
            return int(conn.execute("SELECT COUNT(*) FROM ledger WHERE party_id = ?", (party_id,)).fetchone()[0])

        return await self._db.read(count)

    async def open_payout(self, payout: Payout, entries: Sequence[LedgerEntry], ledger_length: int) -> Payout:
        def open_in(conn: sqlite3.Connection) -> Payout:
            same = conn.execute(
                "SELECT * FROM payouts WHERE run_key = ? AND host_id = ? AND currency = ?",
                (payout.run_key, payout.host_id, payout.currency),
            ).fetchone()
            if same is not None:
                return _payout(same)
            busy = conn.execute(
                "SELECT id FROM payouts WHERE host_id = ? AND currency = ? AND status = 'pending'",
                (payout.host_id, payout.currency),
            ).fetchone()
            if busy is not None:
                raise errors.payout_in_progress(busy[0])
            (length,) = conn.execute("SELECT COUNT(*) FROM ledger WHERE party_id = ?", (payout.host_id,)).fetchone()
            if length != ledger_length:
                raise errors.payout_ledger_moved(payout.host_id)
            conn.execute(
                "INSERT INTO payouts (id, run_key, host_id, currency, amount_cents, status, entries, created_at)"
                " VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
                (
                    payout.id, payout.run_key, payout.host_id, payout.currency, payout.amount_cents,
                    _entries_json(entries), rows.to_text(payout.created_at),
                ),
            )  # fmt: skip
            return payout

        return await self._db.transaction(open_in)

    async def complete_payout(self, payout_id: str, provider_ref: str) -> Payout:
        now = self._clock.now()
        paid_at = rows.to_text(now)

        def complete(conn: sqlite3.Connection) -> Payout:
            row = _fetch(conn, payout_id)
            status = PayoutStatus(row["status"])
            if status is PayoutStatus.FAILED:
                raise errors.payout_settled(payout_id, "failed")
            if status is PayoutStatus.PENDING:
                conn.execute(
                    "UPDATE payouts SET status = 'paid', paid_at = ?, provider_ref = ? WHERE id = ?",
                    (paid_at, provider_ref, payout_id),
                )
                append_entries(conn, _entries(row["entries"]))
                paid = _payout(_fetch(conn, payout_id))
                write_event(conn, webhooks.payout_paid(paid, now))  # the webhook outbox, in this transaction
                return paid
            return _payout(_fetch(conn, payout_id))

        return await self._db.transaction(complete)

    async def fail_payout(self, payout_id: str) -> Payout:
        def fail(conn: sqlite3.Connection) -> Payout:
            row = _fetch(conn, payout_id)
            if row["status"] == PayoutStatus.PAID.value:
                raise errors.payout_settled(payout_id, "paid")
            conn.execute("UPDATE payouts SET status = 'failed' WHERE id = ?", (payout_id,))
            return _payout(_fetch(conn, payout_id))

        return await self._db.transaction(fail)

    async def get_payout(self, payout_id: str) -> Payout | None:
        def select(conn: sqlite3.Connection) -> Payout | None:
            row = conn.execute("SELECT * FROM payouts WHERE id = ?", (payout_id,)).fetchone()
            return None if row is None else _payout(row)

        return await self._db.read(select)

    async def _payouts_where(self, where: str, args: tuple[object, ...]) -> list[Payout]:
        def select(conn: sqlite3.Connection) -> list[Payout]:
            return [_payout(row) for row in conn.execute(f"SELECT * FROM payouts WHERE {where}", args)]

        return await self._db.read(select)

    async def run_payouts(self, run_key: str) -> list[Payout]:
        return await self._payouts_where("run_key = ? ORDER BY seq", (run_key,))

    async def host_payouts(self, host_id: str) -> list[Payout]:
        return await self._payouts_where("host_id = ? ORDER BY seq DESC", (host_id,))

    async def pending_payouts(self, older_than: datetime) -> list[Payout]:
        return await self._payouts_where(
            "status = 'pending' AND created_at < ? ORDER BY seq", (rows.to_text(older_than),)
        )
