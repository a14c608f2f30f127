"""Live auctions: the record, who may bid and how much, anti-sniping, settlement and the runner-up offer.

Pure rules (no I/O). Both stores apply exactly these rules inside one atomic step (SQLite calls these
functions in its transaction; the Redis Lua scripts mirror them, and the contract suite checks both).

Amounts are per unit, in minor units of the product's currency; with `quantity` > 1 the winner buys
every unit at the winning amount. Times are aware UTC datetimes from the injected clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from livecart.domain.buyers import public_buyer_name
from livecart.domain.commerce import Order
from livecart.domain.errors import BadRequest, Conflict, Forbidden, NotFound
from livecart.domain.format_orders import format_order
from livecart.domain.models import Product, rfc3339

MIN_DURATION_S = 5
MAX_DURATION_S = 600
MAX_AMOUNT_CENTS = 10**12  # far below 2**53, so Lua's doubles compare every amount exactly
MAX_QUANTITY = 1000


class AuctionStatus(StrEnum):
    OPEN = "open"  # taking bids until ends_at
    SOLD = "sold"  # someone owes the winning amount (order pending) or paid it
    UNSOLD = "unsold"  # no valid winner; the units went back to stock
    CANCELLED = "cancelled"  # stopped by the seller before the end; units back to stock


class AuctionOpen(Conflict):
    code = "auction_open"


class AuctionClosed(Conflict):
    code = "auction_closed"


class BidTooLow(Conflict):
    code = "bid_too_low"


class OwnAuction(Forbidden):
    code = "own_auction"


def no_such_auction(auction_id: str) -> NotFound:
    return NotFound("no such auction", auction_id=auction_id)


def auction_open(show_id: str) -> AuctionOpen:
    return AuctionOpen("this show already has an open auction", show_id=show_id)


def auction_closed(auction_id: str, status: str) -> AuctionClosed:
    return AuctionClosed("this auction is closed", auction_id=auction_id, status=status)


def own_auction(auction_id: str) -> OwnAuction:
    return OwnAuction("the host and the brand selling the product cannot bid", auction_id=auction_id)


def bid_too_low(auction_id: str, min_cents: int) -> BidTooLow:
    return BidTooLow(f"the next bid must be at least {min_cents}", auction_id=auction_id, min_cents=min_cents)


def bid_too_high() -> BadRequest:
    return BadRequest("invalid bid", fields={"amount_cents": f"at most {MAX_AMOUNT_CENTS}"})


@dataclass(frozen=True)
class Bid:
    auction_id: str
    bidder_id: str
    bidder_name: str
    amount_cents: int
    at: datetime


@dataclass(frozen=True)
class Auction:
    id: str
    show_id: str
    host_id: str
    product_id: str
    brand_id: str
    currency: str
    start_cents: int
    increment_cents: int
    reserve_cents: int | None
    quantity: int
    status: AuctionStatus
    created_at: datetime
    ends_at: datetime
    high_bid_cents: int | None = None
    leader_id: str | None = None
    leader_name: str | None = None
    bids: int = 0
    # After the end: the buyer of the current offer (the winner, then maybe the runner-up).
    winner_id: str | None = None
    winner_name: str | None = None
    price_cents: int | None = None  # what the current offer's buyer pays per unit
    order_id: str | None = None  # the current offer's order (pending until paid)
    pay_by: datetime | None = None
    offers: int = 0  # 1: offered to the winner; 2: passed on to the runner-up
    ended_at: datetime | None = None

    @property
    def min_bid_cents(self) -> int:
        """The lowest amount the next bid may offer."""
        return self.start_cents if self.high_bid_cents is None else self.high_bid_cents + self.increment_cents

    @property
    def reserve_met(self) -> bool:
        return self.high_bid_cents is not None and (
            self.reserve_cents is None or self.high_bid_cents >= self.reserve_cents
        )

    def public(self) -> dict[str, Any]:
        """What anyone may see (the reserve amount stays secret; `reserve_met` tells whether it is reached)."""
        leader = None if self.leader_id is None else {
            "id": self.leader_id, "name": public_buyer_name(self.leader_name or "")}  # fmt: skip
        winner = None if self.winner_id is None else {
            "id": self.winner_id, "name": public_buyer_name(self.winner_name or "")}  # fmt: skip
        return {
            "id": self.id,
            "show_id": self.show_id,
            "product_id": self.product_id,
            "status": self.status.value,
            "currency": self.currency,
            "start_cents": self.start_cents,
            "increment_cents": self.increment_cents,
            "quantity": self.quantity,
            "has_reserve": self.reserve_cents is not None,
            "reserve_met": self.reserve_met,
            "high_bid_cents": self.high_bid_cents,
            "min_bid_cents": self.min_bid_cents if self.status is AuctionStatus.OPEN else None,
            "leader": leader,
            "bids": self.bids,
            "ends_at": rfc3339(self.ends_at),
            "winner": winner,
            "price_cents": self.price_cents,
            "order_id": self.order_id,
            "pay_by": rfc3339(self.pay_by),
            "ended_at": rfc3339(self.ended_at),
            "created_at": rfc3339(self.created_at),
        }


def new_auction(
    *,
    auction_id: str,
    show_id: str,
    host_id: str,
    product_id: str,
    brand_id: str,
    currency: str,
    start_cents: int,
    increment_cents: int,
    duration_s: int,
    reserve_cents: int | None,
    quantity: int,
    now: datetime,
) -> Auction:
    """An OPEN auction ending `duration_s` from now. Raises BadRequest naming every invalid field."""
    fields: dict[str, str] = {}
    if not 1 <= start_cents <= MAX_AMOUNT_CENTS:
        fields["start_cents"] = f"from 1 to {MAX_AMOUNT_CENTS}"
    if not 1 <= increment_cents <= MAX_AMOUNT_CENTS:
        fields["increment_cents"] = f"from 1 to {MAX_AMOUNT_CENTS}"
    if not MIN_DURATION_S <= duration_s <= MAX_DURATION_S:
        fields["duration_s"] = f"from {MIN_DURATION_S} to {MAX_DURATION_S} seconds"
    if reserve_cents is not None and not 0 <= reserve_cents <= MAX_AMOUNT_CENTS:
        fields["reserve_cents"] = f"from 0 to {MAX_AMOUNT_CENTS}"
    if not 1 <= quantity <= MAX_QUANTITY:
        fields["quantity"] = f"from 1 to {MAX_QUANTITY}"
    if fields:
        raise BadRequest("invalid auction", fields=fields)
    return Auction(
        id=auction_id,
        show_id=show_id,
        host_id=host_id,
        product_id=product_id,
        brand_id=brand_id,
        currency=currency,
        start_cents=start_cents,
        increment_cents=increment_cents,
        reserve_cents=reserve_cents,
        quantity=quantity,
        status=AuctionStatus.OPEN,
        created_at=now,
        ends_at=now + timedelta(seconds=duration_s),
    )


def is_own(auction: Auction, account_id: str) -> bool:
    """The show's host and the brand selling the product may not bid (shill bidding)."""
    return account_id in (auction.host_id, auction.brand_id)


def accept_bid(auction: Auction, bid: Bid, now: datetime, extend_s: int) -> Auction:
    """The auction after `bid`, or why it is refused.

    Raises AuctionClosed (not open, or its end has passed even if nobody settled it yet), OwnAuction
    (the host or the owning brand), BadRequest (over MAX_AMOUNT_CENTS), BidTooLow (`min_cents`: start
    for the first bid, else high + increment). Anti-sniping: a bid accepted with less than `extend_s`
    left moves the end to now + extend_s.
    """
    if auction.status is not AuctionStatus.OPEN or now >= auction.ends_at:
        raise auction_closed(auction.id, auction.status.value)
    if is_own(auction, bid.bidder_id):
        raise own_auction(auction.id)
    if bid.amount_cents > MAX_AMOUNT_CENTS:
        raise bid_too_high()
    if bid.amount_cents < auction.min_bid_cents:
        raise bid_too_low(auction.id, auction.min_bid_cents)
    ends_at = extended_end(auction.ends_at, now, extend_s)
    return replace(
        auction,
        high_bid_cents=bid.amount_cents,
        leader_id=bid.bidder_id,
        leader_name=bid.bidder_name,
        bids=auction.bids + 1,
        ends_at=ends_at,
    )


def extended_end(ends_at: datetime, now: datetime, extend_s: int) -> datetime:
    """Anti-sniping: with less than `extend_s` left, the end moves to now + extend_s."""
    return now + timedelta(seconds=extend_s) if ends_at - now < timedelta(seconds=extend_s) else ends_at


def is_due(auction: Auction, now: datetime) -> bool:
    """Open and past its end: settle it."""
    return auction.status is AuctionStatus.OPEN and now >= auction.ends_at


def settle(auction: Auction, now: datetime, pay_s: int, order_id: str) -> Auction:
    """The outcome at the end: SOLD to the leader at the high bid when the reserve is met (a pending
    order `order_id`, payable until now + pay_s), else UNSOLD. An auction that is not due is returned as is."""
    if not is_due(auction, now):
        return auction
    if auction.leader_id is not None and auction.reserve_met:
        return replace(
            auction,
            status=AuctionStatus.SOLD,
            winner_id=auction.leader_id,
            winner_name=auction.leader_name,
            price_cents=auction.high_bid_cents,
            order_id=order_id,
            pay_by=now + timedelta(seconds=pay_s),
            offers=1,
            ended_at=now,
        )
    return replace(auction, status=AuctionStatus.UNSOLD, ended_at=now)


def runner_up(auction: Auction, bids: Iterable[Bid]) -> Bid | None:
    """The highest bid by someone other than the winner, when it meets the reserve (else None)."""
    best: Bid | None = None
    for bid in bids:
        if bid.bidder_id == auction.winner_id:
            continue
        if best is None or bid.amount_cents > best.amount_cents:
            best = bid
    if best is None or (auction.reserve_cents is not None and best.amount_cents < auction.reserve_cents):
        return None
    return best


def pass_offer(auction: Auction, bids: Iterable[Bid], now: datetime, pay_s: int, order_id: str) -> Auction:
    """The current offer went unpaid or was declined: the first offer passes to the runner-up at their
    highest bid (order `order_id`, payable until now + pay_s); after the second, or with no runner-up,
    the auction is UNSOLD. Raises Conflict unless the auction is SOLD."""
    if auction.status is not AuctionStatus.SOLD:
        raise Conflict(f"the auction is {auction.status.value}", auction_id=auction.id)
    second = runner_up(auction, bids) if auction.offers == 1 else None
    if second is None:
        return replace(auction, status=AuctionStatus.UNSOLD, pay_by=None)
    return replace(
        auction,
        winner_id=second.bidder_id,
        winner_name=second.bidder_name,
        price_cents=second.amount_cents,
        order_id=order_id,
        pay_by=now + timedelta(seconds=pay_s),
        offers=2,
    )


def cancel(auction: Auction, now: datetime) -> Auction:
    """Stop an open auction before its end (its units go back to stock). Raises AuctionClosed otherwise."""
    if auction.status is not AuctionStatus.OPEN:
        raise auction_closed(auction.id, auction.status.value)
    return replace(auction, status=AuctionStatus.CANCELLED, ended_at=now)


def offer_order(auction: Auction, product: Product, platform_fee_bps: int, now: datetime) -> Order:
    """The PENDING order of the auction's current offer: its quantity at the offered price per unit,
    commission at the product's rate now (as any checkout line)."""
    if auction.order_id is None or auction.winner_id is None or auction.price_cents is None:
        raise ValueError("the auction has no offer")
    return format_order(
        order_id=auction.order_id,
        show_id=auction.show_id,
        host_id=auction.host_id,
        buyer_id=auction.winner_id,
        buyer_name=auction.winner_name or "",
        product=product,
        unit_price_cents=auction.price_cents,
        qty=auction.quantity,
        platform_fee_bps=platform_fee_bps,
        now=now,
    )
