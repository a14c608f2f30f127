"""Hash and JSON encodings of the selling formats' records (auctions, bids, deals, holds, giveaways).

As for orders, numbers are written by Python; Lua scripts compare and copy these texts, never
re-encode a number. Times are ISO 8601 text (as SQLite keeps them) plus, where a script compares
them, whole microseconds since the epoch (`*_us`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from livecart.domain.auctions import Auction, AuctionStatus, Bid
from livecart.domain.deals import Deal, DealHold, DealStatus, HoldStatus
from livecart.domain.giveaways import Giveaway, GiveawayStatus
from livecart.store.redis import codec


def fields_of(record: Any) -> dict[str, str]:
    """Every non-None field of a dataclass as text (tuples as JSON lists), plus `*_us` for its times."""
    row: dict[str, str] = {}
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if value is None:
            continue
        if isinstance(value, datetime):
            row[field.name] = value.isoformat()
            row[f"{field.name}_us"] = str(codec.micros(value))
        elif isinstance(value, Enum):
            row[field.name] = str(value.value)
        elif isinstance(value, tuple):
            row[field.name] = json.dumps(list(value))
        else:
            row[field.name] = str(value)
    return row


def _int(row: Mapping[str, str], name: str) -> int | None:
    value = row.get(name)
    return None if value is None else int(value)


def _time(row: Mapping[str, str], name: str) -> datetime:
    return datetime.fromisoformat(row[name])


def auction(row: Mapping[str, str]) -> Auction:
    return Auction(
        id=row["id"],
        show_id=row["show_id"],
        host_id=row["host_id"],
        product_id=row["product_id"],
        brand_id=row["brand_id"],
        currency=row["currency"],
        start_cents=int(row["start_cents"]),
        increment_cents=int(row["increment_cents"]),
        reserve_cents=_int(row, "reserve_cents"),
        quantity=int(row["quantity"]),
        status=AuctionStatus(row["status"]),
        created_at=_time(row, "created_at"),
        ends_at=_time(row, "ends_at"),
        high_bid_cents=_int(row, "high_bid_cents"),
        leader_id=row.get("leader_id"),
        leader_name=row.get("leader_name"),
        bids=int(row.get("bids", "0")),
        winner_id=row.get("winner_id"),
        winner_name=row.get("winner_name"),
        price_cents=_int(row, "price_cents"),
        order_id=row.get("order_id"),
        pay_by=codec.from_text(row.get("pay_by")),
        offers=int(row.get("offers", "0")),
        ended_at=codec.from_text(row.get("ended_at")),
    )


def bid_json(bid: Bid) -> str:
    return json.dumps(
        {
            "bidder_id": bid.bidder_id,
            "bidder_name": bid.bidder_name,
            "amount_cents": bid.amount_cents,
            "at": bid.at.isoformat(),
        }
    )


def bid(auction_id: str, text: str) -> Bid:
    data = json.loads(text)
    return Bid(auction_id, data["bidder_id"], data["bidder_name"], data["amount_cents"],
               datetime.fromisoformat(data["at"]))  # fmt: skip


def deal(row: Mapping[str, str]) -> Deal:
    return Deal(
        id=row["id"],
        show_id=row["show_id"],
        host_id=row["host_id"],
        product_id=row["product_id"],
        brand_id=row["brand_id"],
        currency=row["currency"],
        price_cents=int(row["price_cents"]),
        quantity=int(row["quantity"]),
        remaining=int(row["remaining"]),
        status=DealStatus(row["status"]),
        created_at=_time(row, "created_at"),
        ends_at=_time(row, "ends_at"),
        ended_at=codec.from_text(row.get("ended_at")),
    )


def hold_json(hold: DealHold) -> str:
    """The immutable part of a hold (its status lives in the deal's `hold_status` hash)."""
    return json.dumps(
        {
            "id": hold.id,
            "deal_id": hold.deal_id,
            "show_id": hold.show_id,
            "product_id": hold.product_id,
            "viewer_id": hold.viewer_id,
            "price_cents": hold.price_cents,
            "reserved_at": hold.reserved_at.isoformat(),
            "expires_at": hold.expires_at.isoformat(),
        }
    )


def hold(text: str, status: str | None) -> DealHold:
    """A hold from its JSON and its status text (`held`, `expired` or `ordered <order id>`)."""
    data = json.loads(text)
    state, _, order_id = (status or "held").partition(" ")
    return DealHold(
        id=data["id"],
        deal_id=data["deal_id"],
        show_id=data["show_id"],
        product_id=data["product_id"],
        viewer_id=data["viewer_id"],
        price_cents=data["price_cents"],
        reserved_at=datetime.fromisoformat(data["reserved_at"]),
        expires_at=datetime.fromisoformat(data["expires_at"]),
        status=HoldStatus(state),
        order_id=order_id or None,
    )


def giveaway(row: Mapping[str, str]) -> Giveaway:
    return Giveaway(
        id=row["id"],
        show_id=row["show_id"],
        host_id=row["host_id"],
        product_id=row["product_id"],
        brand_id=row["brand_id"],
        winners=int(row["winners"]),
        keyword=row.get("keyword"),
        seed=row["seed"],
        commitment=row["commitment"],
        status=GiveawayStatus(row["status"]),
        created_at=_time(row, "created_at"),
        ends_at=_time(row, "ends_at"),
        entrants=int(row.get("entrants", "0")),
        winner_ids=tuple(json.loads(row.get("winner_ids", "[]"))),
        order_ids=tuple(json.loads(row.get("order_ids", "[]"))),
        drawn_at=codec.from_text(row.get("drawn_at")),
    )
