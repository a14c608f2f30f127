"""Co-host commission shares: how a line's commission is split between a show's host and co-hosts.

A co-host holds `share_bps` of the show's commission; the shares of one show sum to at most 10,000 and
the host keeps the rest. A line's commission C is split with the largest-remainder method (integer
cents, none lost or created: the parts always add up to C). A refund reverses each part in proportion
to the units refunded with cumulative rounding (money.prorated), so every part is back to exactly zero
once the last unit is refunded, and a party's reversal never goes the wrong way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from livecart.domain import errors, money
from livecart.domain.commerce import LedgerAccount, LedgerEntry
from livecart.domain.models import rfc3339

Part = tuple[str, int]  # (host id, cents)


class CohostStatus(StrEnum):
    INVITED = "invited"  # the show's host offered the share; it counts toward the 10,000 already
    ACTIVE = "active"  # the co-host accepted: its share is written with every sale


@dataclass(frozen=True)
class Cohost:
    show_id: str
    host_id: str
    share_bps: int
    status: CohostStatus
    invited_at: datetime
    accepted_at: datetime | None = None

    def public(self) -> dict[str, Any]:
        return {
            "show_id": self.show_id,
            "host_id": self.host_id,
            "share_bps": self.share_bps,
            "status": self.status.value,
            "invited_at": rfc3339(self.invited_at),
            "accepted_at": rfc3339(self.accepted_at),
        }


def active_shares(cohosts: Iterable[Cohost]) -> list[Share]:
    """The shares a sale splits the commission by: accepted co-hosts, in the order they were invited."""
    return [Share(c.host_id, c.share_bps) for c in cohosts if c.status is CohostStatus.ACTIVE]


@dataclass(frozen=True)
class Share:
    """An active co-host of a show and its part of the show's commission."""

    host_id: str
    share_bps: int


def check_new_share(show_host_id: str, existing: Sequence[Share], host_id: str, share_bps: int) -> None:
    """Raise when adding (or changing) `host_id`'s share would break the rules.

    BadRequest: share outside 1–10000, or the show's own host; SharesExceedTotal when the
    shares of the show would sum to more than 10,000.
    """
    if isinstance(share_bps, bool) or not isinstance(share_bps, int) or not 1 <= share_bps <= 10_000:
        raise errors.invalid_field("share_bps", "share_bps must be a whole number from 1 to 10000")
    if host_id == show_host_id:
        raise errors.invalid_field("host_id", "the show's host cannot be its own co-host")
    others = sum(share.share_bps for share in existing if share.host_id != host_id)
    if others + share_bps > money.BPS_DENOMINATOR:
        raise errors.shares_exceed_total(others)


def split(commission_cents: int, host_id: str, shares: Sequence[Share]) -> list[Part]:
    """The host's part first, then each co-host's, in the order given; the parts add up to the commission.

    Largest remainder: each party gets floor(C × bps / 10000); the cents left over go one each to the
    largest fractional remainders (ties: earlier party first).
    """
    if commission_cents < 0:
        raise ValueError("a commission is never negative")
    total_bps = sum(share.share_bps for share in shares)
    if total_bps > money.BPS_DENOMINATOR or any(share.share_bps < 0 for share in shares):
        raise ValueError("co-host shares must be non-negative and sum to at most 10000")
    weights = [(host_id, money.BPS_DENOMINATOR - total_bps)] + [(s.host_id, s.share_bps) for s in shares]
    floors = [commission_cents * bps // money.BPS_DENOMINATOR for _, bps in weights]
    remainders = [commission_cents * bps % money.BPS_DENOMINATOR for _, bps in weights]
    left = commission_cents - sum(floors)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        floors[index] += 1
    return [(party, cents) for (party, _), cents in zip(weights, floors, strict=True)]


def reverse(parts: Sequence[Part], units_before: int, units_now: int, units_total: int) -> list[Part]:
    """What a refund of units (units_before, units_now] of a line takes back from each part."""
    return [(party, money.prorated(cents, units_before, units_now, units_total)) for party, cents in parts]


def sale_parts(entries: Iterable[LedgerEntry]) -> dict[str, list[Part]]:
    """Per product of an order: the commission parts its sale wrote, from the order's ledger entries."""
    parts: dict[str, list[Part]] = {}
    for entry in entries:
        if (
            entry.account is LedgerAccount.HOST_COMMISSION
            and entry.refund_id is None
            and entry.payout_id is None
            and entry.party_id is not None
        ):
            parts.setdefault(entry.product_id, []).append((entry.party_id, -entry.amount_cents))
    return parts


def parts_of(parts: Mapping[str, Sequence[Part]] | None, product_id: str, host_id: str, cents: int) -> list[Part]:
    """A line's parts: those recorded for it, or (no co-hosts, or sold before co-hosts existed) the host's."""
    recorded = None if parts is None else parts.get(product_id)
    return list(recorded) if recorded else [(host_id, cents)]
