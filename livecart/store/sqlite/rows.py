"""Conversions between SQLite rows and domain records."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from livecart.domain.models import Account, Product, Role, Show, ShowStatus


def to_text(moment: datetime | None) -> str | None:
    """Times are stored in UTC, so text order is time order (SQL ORDER BY compares the text)."""
    return None if moment is None else moment.astimezone(UTC).isoformat()


def live_account_exists(conn: sqlite3.Connection, account_id: str) -> bool:
    """True when the account exists and is not deleted (what `get_account` finds)."""
    row = conn.execute("SELECT 1 FROM accounts WHERE id = ? AND deleted_at IS NULL", (account_id,)).fetchone()
    return row is not None


def from_text(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _required(text: str) -> datetime:
    return datetime.fromisoformat(text)


def account(row: sqlite3.Row) -> Account:
    return Account(id=row["id"], role=Role(row["role"]), name=row["name"], created_at=_required(row["created_at"]))


def product(row: sqlite3.Row) -> Product:
    return Product(
        id=row["id"],
        brand_id=row["brand_id"],
        sku=row["sku"],
        title=row["title"],
        price_cents=row["price_cents"],
        currency=row["currency"],
        stock=row["stock"],
        commission_bps=row["commission_bps"],
        image_url=row["image_url"],
        description=row["description"],
        created_at=_required(row["created_at"]),
        updated_at=_required(row["updated_at"]),
    )


def show(row: sqlite3.Row) -> Show:
    return Show(
        id=row["id"],
        host_id=row["host_id"],
        title=row["title"],
        status=ShowStatus.PAUSED if row["paused_at"] is not None else ShowStatus(row["status"]),
        scheduled_at=from_text(row["scheduled_at"]),
        started_at=from_text(row["started_at"]),
        ended_at=from_text(row["ended_at"]),
        created_at=_required(row["created_at"]),
        paused_at=from_text(row["paused_at"]),
    )
