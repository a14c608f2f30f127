"""JSON and hash encodings of the commerce records (orders, ledger entries, refunds, pin spans).

Money stays in Python: Lua scripts push these JSON texts as they are and never re-encode a number
(Lua's cjson writes only 14 significant digits).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from livecart.domain.commerce import (
    LedgerAccount,
    LedgerEntry,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    PinSpan,
    Refund,
)
from livecart.store.redis import codec

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LINE_FIELDS = tuple(name for name in OrderLine.__dataclass_fields__ if name != "refunded_qty")


def from_micros(value: int | str) -> datetime:
    """A time kept as whole microseconds since the epoch (an int, or its text as Redis returns it)."""
    return EPOCH + timedelta(microseconds=int(Decimal(value)))


def order_fields(order: Order) -> dict[str, str]:
    """The hash of a new order (its lines' refunded counts start at their recorded values)."""
    row = codec.fields(
        id=order.id,
        show_id=order.show_id,
        host_id=order.host_id,
        buyer_id=order.buyer_id,
        buyer_name=order.buyer_name,
        currency=order.currency,
        status=order.status.value,
        idempotency_key=order.idempotency_key,
        created_at=order.created_at,
        paid_at=order.paid_at,
        payment_ref=order.payment_ref,
        client_ip=order.client_ip,
        source=order.source.value,
    )
    row["shipping"] = json.dumps(dict(order.shipping), sort_keys=True)
    row["lines"] = json.dumps([{name: getattr(line, name) for name in LINE_FIELDS} for line in order.lines])
    for line in order.lines:
        row[f"refunded:{line.product_id}"] = str(line.refunded_qty)
    return row


def order(row: Mapping[str, str]) -> Order:
    lines = tuple(
        OrderLine(**line, refunded_qty=int(row.get(f"refunded:{line['product_id']}", "0")))
        for line in json.loads(row["lines"])
    )
    return Order(
        id=row["id"],
        show_id=row["show_id"],
        host_id=row["host_id"],
        buyer_id=row["buyer_id"],
        buyer_name=row["buyer_name"],
        currency=row["currency"],
        lines=lines,
        shipping=json.loads(row["shipping"]),
        status=OrderStatus(row["status"]),
        idempotency_key=row.get("idempotency_key"),
        created_at=datetime.fromisoformat(row["created_at"]),
        paid_at=codec.from_text(row.get("paid_at")),
        payment_ref=row.get("payment_ref"),
        client_ip=row.get("client_ip"),
        source=OrderSource(row.get("source", "live")),
    )


def ledger_entry_json(entry: LedgerEntry) -> str:
    return json.dumps(
        {
            "id": entry.id,
            "order_id": entry.order_id,
            "refund_id": entry.refund_id,
            "show_id": entry.show_id,
            "product_id": entry.product_id,
            "account": entry.account.value,
            "party_id": entry.party_id,
            "amount_cents": entry.amount_cents,
            "currency": entry.currency,
            "created_at": entry.created_at.isoformat(),
            **({"payout_id": entry.payout_id} if entry.payout_id is not None else {}),
        }
    )


def ledger_entry(text: str) -> LedgerEntry:
    data = json.loads(text)
    data["account"] = LedgerAccount(data["account"])
    data["created_at"] = datetime.fromisoformat(data["created_at"])
    return LedgerEntry(**data)


def refund_json(refund: Refund) -> str:
    data: dict[str, Any] = asdict(refund)
    data["created_at"] = refund.created_at.isoformat()
    return json.dumps(data, sort_keys=True)


def pin_span(show_id: str, text: str) -> PinSpan:
    data = json.loads(text)
    unpinned = data.get("unpinned_us")
    return PinSpan(
        show_id=show_id,
        product_id=data["product_id"],
        pinned_at=from_micros(data["pinned_us"]),
        unpinned_at=None if unpinned is None else from_micros(unpinned),
    )
