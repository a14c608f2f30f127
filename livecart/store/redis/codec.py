"""Conversions between Redis hashes (strings only; a missing field is None) and domain records.

Datetimes are kept as ISO 8601 text, exactly as the SQLite store keeps them, so both round-trip the
same values; sorted-set scores are whole microseconds since the epoch (exact in a double until 2255).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from livecart.domain.models import Account, Product, Role, Show, ShowStatus

Fields = dict[str, str]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def from_text(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch; a naive datetime is taken as UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    delta = aware - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def fields(**values: Any) -> Fields:
    """The hash fields for `values`, leaving out None (a missing field reads back as None)."""
    encoded: Fields = {}
    for name, value in values.items():
        if value is None:
            continue
        encoded[name] = value.isoformat() if isinstance(value, datetime) else str(value)
    return encoded


def pairs(values: Mapping[str, str]) -> list[str]:
    """Flatten a mapping into field, value, field, value … for HSET inside Lua."""
    return [item for name, value in values.items() for item in (name, value)]


def from_pairs(flat: Sequence[Any]) -> Fields:
    """The reply of HGETALL inside Lua (a flat list) as a dict."""
    return {str(flat[i]): str(flat[i + 1]) for i in range(0, len(flat), 2)}


def _required(text: str) -> datetime:
    return datetime.fromisoformat(text)


def account(row: Mapping[str, str]) -> Account:
    return Account(id=row["id"], role=Role(row["role"]), name=row["name"], created_at=_required(row["created_at"]))


def product(row: Mapping[str, str]) -> Product:
    return Product(
        id=row["id"],
        brand_id=row["brand_id"],
        sku=row["sku"],
        title=row["title"],
        price_cents=int(row["price_cents"]),
        currency=row["currency"],
        stock=int(row["stock"]),
        commission_bps=int(row["commission_bps"]),
        image_url=row.get("image_url"),
        description=row.get("description"),
        created_at=_required(row["created_at"]),
        updated_at=_required(row["updated_at"]),
    )


def show(row: Mapping[str, str]) -> Show:
    return Show(
        id=row["id"],
        host_id=row["host_id"],
        title=row["title"],
        status=ShowStatus(row["status"]),
        scheduled_at=from_text(row.get("scheduled_at")),
        started_at=from_text(row.get("started_at")),
        ended_at=from_text(row.get("ended_at")),
        created_at=_required(row["created_at"]),
        paused_at=from_text(row.get("paused_at")),
    )


def decoded(row: Mapping[Any, Any]) -> Fields:
    """An HGETALL reply typed as str → str (the client is created with decode_responses=True)."""
    return {str(name): str(value) for name, value in row.items()}
