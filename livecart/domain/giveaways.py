"""Provably fair giveaways: the commitment, the deterministic draw and who may enter.

Pure rules (no I/O). When a giveaway is created the server picks a secret 32-byte seed and publishes
only its commitment, `SHA-256(seed)` in hex. At the end it reveals the seed; the winners are
`draw(seed, entrant ids, winners)`, a function anyone can recompute (docs/selling.md has a 10-line
script doing exactly this):

1. sort the entrant ids (by Unicode code point, i.e. Python's `sorted`);
2. a partial Fisher–Yates shuffle: for i = 0, 1, … (as many times as there are winners), pick j
   uniformly in [i, n) and swap positions i and j; the winners are the first positions, in draw order;
3. each uniform pick takes 256-bit numbers x = HMAC-SHA256(key = seed, message = counter as 8 bytes
   big-endian), counter = 0, 1, 2, … across the whole draw, and rejects x ≥ ⌊2²⁵⁶ / m⌋ · m (so
   `x mod m` has no modulo bias), where m = n − i; then j = i + x mod m.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from livecart.domain.errors import BadRequest, Conflict, Forbidden, NotFound
from livecart.domain.models import Role, rfc3339

SEED_BYTES = 32
MIN_WINNERS = 1
MAX_WINNERS = 100
MIN_DURATION_S = 10
MAX_DURATION_S = 3600
MAX_KEYWORD_CHARS = 40
_SPACE = 1 << 256  # HMAC-SHA256 outputs are uniform in [0, 2**256)


class GiveawayStatus(StrEnum):
    OPEN = "open"  # taking entries until ends_at
    DRAWN = "drawn"  # seed revealed, winners drawn, their orders made
    CANCELLED = "cancelled"  # stopped before the draw; prize units back to stock


class GiveawayClosed(Conflict):
    code = "giveaway_closed"


def no_such_giveaway(giveaway_id: str) -> NotFound:
    return NotFound("no such giveaway", giveaway_id=giveaway_id)


def giveaway_closed(giveaway_id: str) -> GiveawayClosed:
    return GiveawayClosed("this giveaway is closed", giveaway_id=giveaway_id)


@dataclass(frozen=True)
class Giveaway:
    id: str
    show_id: str
    host_id: str
    product_id: str
    brand_id: str
    winners: int  # how many prizes
    keyword: str | None
    seed: str  # hex; secret until drawn
    commitment: str  # SHA-256 of the seed bytes, hex; public from the start
    status: GiveawayStatus
    created_at: datetime
    ends_at: datetime
    entrants: int = 0
    winner_ids: tuple[str, ...] = ()
    order_ids: tuple[str, ...] = ()
    drawn_at: datetime | None = None

    def public(self, entrant_ids: Iterable[str] | None = None) -> dict[str, Any]:
        """The seed only once drawn (before that, only its commitment)."""
        drawn = self.status is GiveawayStatus.DRAWN
        data: dict[str, Any] = {
            "id": self.id,
            "show_id": self.show_id,
            "product_id": self.product_id,
            "winners_count": self.winners,
            "keyword": self.keyword,
            "commitment": self.commitment,
            "status": self.status.value,
            "entrants": self.entrants,
            "ends_at": rfc3339(self.ends_at),
            "created_at": rfc3339(self.created_at),
            "seed": self.seed if drawn else None,
            "winners": list(self.winner_ids) if drawn else None,
            "drawn_at": rfc3339(self.drawn_at),
        }
        if entrant_ids is not None:
            data["entrant_ids"] = sorted(entrant_ids)
        return data


# How anyone recomputes a draw from GET /api/giveaways/{id} (docs/selling.md has a 10-line script).
VERIFY_STEPS = (
    "Check that SHA-256 of the bytes of `seed` (hex) equals `commitment`, published before any entry.",
    "Sort `entrant_ids` by code point.",
    "For i = 0 .. min(winners_count, entrants) - 1: m = entrants - i; draw x = HMAC-SHA256(key = seed bytes, "
    "message = counter as 8 bytes big-endian) as a 256-bit number, the counter running 0, 1, 2, ... over the "
    "whole draw, until x < floor(2^256 / m) * m; swap positions i and i + (x mod m).",
    "The winners are the first min(winners_count, entrants) positions, in that order: compare with `winners`.",
)


def new_seed() -> str:
    """A fresh secret seed, hex."""
    return secrets.token_hex(SEED_BYTES)


def commitment(seed_hex: str) -> str:
    """SHA-256 of the seed's bytes, hex: published at creation, checked against the seed revealed later."""
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def _uniform(key: bytes, counter: int, m: int) -> tuple[int, int]:
    """A uniform integer in [0, m) and the next counter (rejection sampling: no modulo bias)."""
    limit = (_SPACE // m) * m
    while True:
        x = int.from_bytes(hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha256).digest(), "big")
        counter += 1
        if x < limit:
            return x % m, counter


def draw(seed_hex: str, entrant_ids: Iterable[str], winners: int) -> list[str]:
    """The winners, in draw order: min(winners, number of entrants) distinct entrant ids (module doc)."""
    pool = sorted(set(entrant_ids))
    key = bytes.fromhex(seed_hex)
    counter = 0
    for i in range(min(winners, len(pool))):
        offset, counter = _uniform(key, counter, len(pool) - i)
        j = i + offset
        pool[i], pool[j] = pool[j], pool[i]
    return pool[: min(winners, len(pool))]


def new_giveaway(
    *,
    giveaway_id: str,
    show_id: str,
    host_id: str,
    product_id: str,
    brand_id: str,
    winners: int,
    duration_s: int,
    keyword: str | None,
    now: datetime,
    seed: str | None = None,
) -> Giveaway:
    """An OPEN giveaway with a fresh seed (or `seed`, for tests). Raises BadRequest naming every bad field."""
    fields: dict[str, str] = {}
    if not MIN_WINNERS <= winners <= MAX_WINNERS:
        fields["winners"] = f"from {MIN_WINNERS} to {MAX_WINNERS}"
    if not MIN_DURATION_S <= duration_s <= MAX_DURATION_S:
        fields["duration_s"] = f"from {MIN_DURATION_S} to {MAX_DURATION_S} seconds"
    if keyword is not None and not (0 < len(keyword.strip()) <= MAX_KEYWORD_CHARS):
        fields["keyword"] = f"1 to {MAX_KEYWORD_CHARS} characters"
    if fields:
        raise BadRequest("invalid giveaway", fields=fields)
    chosen = seed or new_seed()
    return Giveaway(
        id=giveaway_id,
        show_id=show_id,
        host_id=host_id,
        product_id=product_id,
        brand_id=brand_id,
        winners=winners,
        keyword=None if keyword is None else keyword.strip(),
        seed=chosen,
        commitment=commitment(chosen),
        status=GiveawayStatus.OPEN,
        created_at=now,
        ends_at=now + timedelta(seconds=duration_s),
    )


def check_entrant(giveaway: Giveaway, account_id: str, role: Role) -> None:
    """Only viewers enter, and never the show's host or the brand giving the prize (Forbidden)."""
    if role is not Role.VIEWER or account_id in (giveaway.host_id, giveaway.brand_id):
        raise Forbidden("the host and brands cannot enter a giveaway", role=role.value)


def check_open(giveaway: Giveaway, now: datetime) -> None:
    """Entries are taken while OPEN and before ends_at (GiveawayClosed otherwise)."""
    if giveaway.status is not GiveawayStatus.OPEN or now >= giveaway.ends_at:
        raise giveaway_closed(giveaway.id)


def is_due(giveaway: Giveaway, now: datetime) -> bool:
    return giveaway.status is GiveawayStatus.OPEN and now >= giveaway.ends_at


def matches_keyword(giveaway: Giveaway, text: str) -> bool:
    """A chat message enters its author when it is the keyword (case and surrounding space ignored)."""
    return giveaway.keyword is not None and text.strip().casefold() == giveaway.keyword.casefold()
