"""Fake-order and fake-review signals, per show and per product: orders later refunded, buyers (tokens)
and client addresses with many orders; reviews by new accounts and bursts of reviews; accounts sharing
one client address or buyers one shipping address; orders refunded in full soon after the host was
credited. Each has a threshold (`Thresholds`, the `LIVECART_SIGNAL_*` settings); signals are numbers
and lists to act on, they never block anything. `bid_signals`: the shill-bid signals of a show's auctions.

Pure: computed from orders, reviews, account ages and refund times. A brand is shown only orders with a
line of its own and reviews of its own products.
Client addresses are never shown: each is replaced by an opaque label, a keyed hash (HMAC-SHA256
with a deployment secret) of the address — of its /64 network for IPv6, since one subscriber
usually holds a whole /64 and can pick any address in it (docs/security.md explains the choice).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from livecart.domain.auctions import Auction, Bid
from livecart.domain.commerce import LedgerEntry, Order, OrderStatus
from livecart.domain.models import rfc3339
from livecart.domain.reviews import Review

MANY_ORDERS = 3  # a buyer, or a client address, with this many paid orders in one show is listed
IPV6_GROUP_PREFIX = 64  # IPv6 addresses are grouped by network: one subscriber, one /64
LABEL_HEX_DIGITS = 16  # 64 bits of the HMAC: stable, opaque, collisions negligible within a show

LABEL_SECRET = "signals-address-label"  # the store secret keying client- and shipping-address labels


def address_group(ip: str) -> str:
    """What counts as one client: the IPv4 address, or the /64 network of an IPv6 address."""
    address = ipaddress.ip_address(ip)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_GROUP_PREFIX}", strict=False))
    return str(address)


def address_label(ip: str, key: bytes) -> str:
    """An opaque, stable label for a client address: `ip-` + 64 bits of HMAC-SHA256(key, group).

    Without the key, the label cannot be turned back into the address (the IPv4 space is small enough
    to try every address against an unkeyed hash; not against a keyed one).
    """
    digest = hmac.new(key, address_group(ip).encode(), hashlib.sha256).hexdigest()
    return f"ip-{digest[:LABEL_HEX_DIGITS]}"


def order_signals(orders: Iterable[Order], label_key: bytes, brand_id: str | None = None) -> dict[str, Any]:
    """`{paid_orders, refunded_orders, buyers_with_many_orders: [{buyer_id, orders}],
    addresses_with_many_orders: [{label, orders, buyers}]}` (most orders first in both lists).

    `label_key` keys the address labels; orders without a recorded address are not grouped.
    """
    paid = [
        order
        for order in orders
        if order.status is OrderStatus.PAID and (brand_id is None or brand_id in order.brand_ids)
    ]
    refunded = [
        order
        for order in paid
        if any(line.refunded_qty for line in order.lines if brand_id is None or line.brand_id == brand_id)
    ]
    per_buyer = Counter(order.buyer_id for order in paid)
    many = sorted(((count, buyer) for buyer, count in per_buyer.items() if count >= MANY_ORDERS), reverse=True)
    return {
        "paid_orders": len(paid),
        "refunded_orders": len(refunded),
        "buyers_with_many_orders": [{"buyer_id": buyer, "orders": count} for count, buyer in many],
        "addresses_with_many_orders": _addresses_with_many_orders(paid, label_key),
    }


def _addresses_with_many_orders(paid: list[Order], label_key: bytes) -> list[dict[str, Any]]:
    per_group: dict[str, list[Order]] = defaultdict(list)
    for order in paid:
        if order.client_ip is not None:
            per_group[address_label(order.client_ip, label_key)].append(order)
    many = [
        {"label": label, "orders": len(group), "buyers": len({order.buyer_id for order in group})}
        for label, group in per_group.items()
        if len(group) >= MANY_ORDERS
    ]
    return sorted(many, key=lambda row: (-row["orders"], -row["buyers"], row["label"]))


REVIEW_BURST_WINDOW = timedelta(hours=1)  # a burst: more than `review_burst` reviews of one product in this


@dataclass(frozen=True)
class Thresholds:
    """When each signal lists something (docs/security.md explains each; the settings set them)."""

    new_account_h: float = 24.0  # LIVECART_SIGNAL_NEW_ACCOUNT_H: reviewer's account younger than this at order
    review_burst: int = 4  # LIVECART_SIGNAL_REVIEW_BURST: more than this many reviews of a product in an hour
    shared_address: int = 3  # LIVECART_SIGNAL_SHARED_ADDRESS: accounts (buyers, reviewers) from one address
    shared_shipping: int = 3  # LIVECART_SIGNAL_SHARED_SHIPPING: buyers shipping to one address
    quick_refund_h: float = 24.0  # LIVECART_SIGNAL_QUICK_REFUND_H: full refund this soon after payment
    quick_refunds: int = 2  # LIVECART_SIGNAL_QUICK_REFUNDS: a host with this many such orders is listed


def reviews_by_new_accounts(
    reviews: Iterable[Review], account_created: Mapping[str, datetime], new_account_h: float
) -> list[dict[str, Any]]:
    """Reviews whose author's account was created less than `new_account_h` hours before the order
    (oldest review first). Authors whose account is gone (deleted) are not listed: their age is unknown."""
    listed = []
    for review in sorted(reviews, key=lambda r: (r.created_at, r.id)):
        created = account_created.get(review.buyer_id)
        if created is None:
            continue
        age_h = (review.ordered_at - created).total_seconds() / 3600
        if age_h < new_account_h:
            listed.append(
                {
                    "review_id": review.id,
                    "product_id": review.product_id,
                    "buyer_id": review.buyer_id,
                    "account_age_hours": round(max(age_h, 0.0), 2),
                }
            )
    return listed


def review_bursts(reviews: Iterable[Review], more_than: int) -> list[dict[str, Any]]:
    """Per product, the busiest hour of reviews when it holds more than `more_than`:
    `{product_id, reviews, first_at, last_at}` (the earliest such hour; most reviews first)."""
    per_product: dict[str, list[datetime]] = defaultdict(list)
    for review in reviews:
        per_product[review.product_id].append(review.created_at)
    bursts = []
    for product_id, times in per_product.items():
        times.sort()
        best, best_start, start = 0, 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= REVIEW_BURST_WINDOW:
                start += 1
            if end - start + 1 > best:
                best, best_start = end - start + 1, start
        if best > more_than:
            bursts.append(
                {
                    "product_id": product_id,
                    "reviews": best,
                    "first_at": rfc3339(times[best_start]),
                    "last_at": rfc3339(times[best_start + best - 1]),
                }
            )
    return sorted(bursts, key=lambda row: (-row["reviews"], row["product_id"]))


def shared_client_addresses(
    orders: Iterable[Order], reviews: Iterable[Review], label_key: bytes, min_accounts: int
) -> list[dict[str, Any]]:
    """Client addresses (labels) from which at least `min_accounts` accounts bought (paid orders) or
    reviewed: `{label, accounts, buyers, reviewers}`, most accounts first. Never the address."""
    buyers: dict[str, set[str]] = defaultdict(set)
    reviewers: dict[str, set[str]] = defaultdict(set)
    for order in orders:
        if order.status is OrderStatus.PAID and order.client_ip is not None:
            buyers[address_label(order.client_ip, label_key)].add(order.buyer_id)
    for review in reviews:
        if review.client_ip is not None:
            reviewers[address_label(review.client_ip, label_key)].add(review.buyer_id)
    rows = []
    for label in buyers.keys() | reviewers.keys():
        accounts = buyers[label] | reviewers[label]
        if len(accounts) >= min_accounts:
            rows.append(
                {
                    "label": label,
                    "accounts": len(accounts),
                    "buyers": len(buyers[label]),
                    "reviewers": len(reviewers[label]),
                }
            )
    return sorted(rows, key=lambda row: (-row["accounts"], row["label"]))


def shipping_label(shipping: Mapping[str, str], key: bytes) -> str:
    """An opaque label for a shipping address, `ship-` + 64 bits of HMAC-SHA256: the same for the same
    street, city, postal code and country written with other case, spacing or punctuation; the
    recipient's name does not count (a ring ships to one address under many names)."""
    parts = []
    for name in ("line1", "line2", "city", "postal_code", "country"):
        text = unicodedata.normalize("NFKC", str(shipping.get(name) or "")).casefold()
        parts.append(" ".join("".join(ch if ch.isalnum() else " " for ch in text).split()))
    digest = hmac.new(key, ("shipping\x00" + "\x00".join(parts)).encode(), hashlib.sha256).hexdigest()
    return f"ship-{digest[:LABEL_HEX_DIGITS]}"


def shared_shipping_addresses(orders: Iterable[Order], label_key: bytes, min_buyers: int) -> list[dict[str, Any]]:
    """Shipping addresses (labels) that at least `min_buyers` buyers' paid orders go to:
    `{label, buyers, orders}`, most buyers first."""
    per_label: dict[str, list[Order]] = defaultdict(list)
    for order in orders:
        if order.status is OrderStatus.PAID:
            per_label[shipping_label(order.shipping, label_key)].append(order)
    listed: list[dict[str, Any]] = []
    for label, group in per_label.items():
        buyers = len({order.buyer_id for order in group})
        if buyers >= min_buyers:
            listed.append({"label": label, "buyers": buyers, "orders": len(group)})
    return sorted(listed, key=lambda row: (-row["buyers"], -row["orders"], row["label"]))


def last_refund_at(entries: Iterable[LedgerEntry]) -> dict[str, datetime]:
    """When each order was last refunded, from its ledger rows (refund rows carry a refund id)."""
    latest: dict[str, datetime] = {}
    for entry in entries:
        if entry.refund_id is not None and (entry.order_id not in latest or entry.created_at > latest[entry.order_id]):
            latest[entry.order_id] = entry.created_at
    return latest


def quick_full_refunds(
    orders: Iterable[Order],
    refunded_at: Mapping[str, datetime],
    thresholds: Thresholds,
    brand_id: str | None = None,
) -> list[dict[str, Any]]:
    """Per host, paid orders refunded in full (every unit of every line — of the brand's lines for a
    brand) within `quick_refund_h` hours after payment, when the host was credited its commission:
    `{host_id, orders, order_ids}` for hosts with at least `quick_refunds` such orders."""
    within = timedelta(hours=thresholds.quick_refund_h)
    per_host: dict[str, list[str]] = defaultdict(list)
    for order in orders:
        lines = [line for line in order.lines if brand_id is None or line.brand_id == brand_id]
        refunded = refunded_at.get(order.id)
        if (
            order.status is OrderStatus.PAID
            and order.paid_at is not None
            and refunded is not None
            and lines
            and all(line.refunded_qty >= line.qty for line in lines)
            and refunded - order.paid_at <= within
        ):
            per_host[order.host_id].append(order.id)
    rows = [
        {"host_id": host_id, "orders": len(ids), "order_ids": sorted(ids)}
        for host_id, ids in per_host.items()
        if len(ids) >= thresholds.quick_refunds
    ]
    return sorted(rows, key=lambda row: (-row["orders"], row["host_id"]))


def trust_signals(
    orders: Sequence[Order],
    reviews: Sequence[Review],
    account_created: Mapping[str, datetime],
    refunded_at: Mapping[str, datetime],
    label_key: bytes,
    thresholds: Thresholds,
    brand_id: str | None = None,
) -> dict[str, Any]:
    """Every signal over these orders and reviews: `order_signals` plus `reviews_by_new_accounts`,
    `review_bursts`, `shared_client_addresses`, `shared_shipping_addresses`, `quick_full_refunds`.

    For a brand, orders without a line of its own and reviews of other brands' products are left out.
    """
    if brand_id is not None:
        orders = [order for order in orders if brand_id in order.brand_ids]
        reviews = [review for review in reviews if review.brand_id == brand_id]
    return {
        **order_signals(orders, label_key, brand_id),
        "reviews_by_new_accounts": reviews_by_new_accounts(reviews, account_created, thresholds.new_account_h),
        "review_bursts": review_bursts(reviews, thresholds.review_burst),
        "shared_client_addresses": shared_client_addresses(orders, reviews, label_key, thresholds.shared_address),
        "shared_shipping_addresses": shared_shipping_addresses(orders, label_key, thresholds.shared_shipping),
        "quick_full_refunds": quick_full_refunds(orders, refunded_at, thresholds, brand_id),
    }


def bid_signals(
    auctions: Sequence[Auction],
    bids: Mapping[str, Sequence[Bid]],
    orders: Iterable[Order],
    labels: Mapping[str, set[str]],
    brand_id: str | None = None,
) -> dict[str, Any]:
    """Shill-bid signals of a show's auctions (a brand sees only its own auctions):

    - `bids_from_seller_addresses`: `[{bidder_id, label, bids, shares_with}]` — bidders seen from a client
      address that the show's host or the auctioned product's brand used in the show too; `labels` maps
      each account to the labels (`address_label`) of the addresses it was noted with in the show;
      `shares_with` lists `"host"` and/or `"brand"`;
    - `bidders_who_never_pay`: `[{bidder_id, bids, unpaid_wins}]` — bidders who won at least one offer that
      went unpaid (its order failed: not paid in time, or declined) and have no paid order in the show.
    """
    chosen = [auction for auction in auctions if brand_id is None or auction.brand_id == brand_id]
    shared: dict[tuple[str, str], set[str]] = defaultdict(set)
    counted: Counter[tuple[str, str]] = Counter()
    bids_of: Counter[str] = Counter()
    amounts: dict[tuple[str, str], set[int]] = defaultdict(set)  # (auction id, bidder) → amounts bid
    for auction in chosen:
        sellers = {"host": labels.get(auction.host_id, set()), "brand": labels.get(auction.brand_id, set())}
        for bid in bids.get(auction.id, ()):
            bids_of[bid.bidder_id] += 1
            amounts[(auction.id, bid.bidder_id)].add(bid.amount_cents)
            for label in labels.get(bid.bidder_id, set()):
                for who, seller_labels in sellers.items():
                    if label in seller_labels:
                        shared[(bid.bidder_id, label)].add(who)
                if shared.get((bid.bidder_id, label)):
                    counted[(bid.bidder_id, label)] += 1
    from_sellers = [
        {
            "bidder_id": bidder,
            "label": label,
            "bids": counted[(bidder, label)],
            "shares_with": sorted(shared[(bidder, label)]),
        }
        for bidder, label in sorted(shared, key=lambda pair: (-counted[pair], *pair))
    ]
    listed = list(orders)
    payers = {order.buyer_id for order in listed if order.status is OrderStatus.PAID}
    unpaid: Counter[str] = Counter()
    for auction in chosen:
        for order in listed:
            won = order.status is OrderStatus.FAILED and any(
                line.product_id == auction.product_id
                and line.unit_price_cents in amounts.get((auction.id, order.buyer_id), set())
                for line in order.lines
            )
            if won:
                unpaid[order.buyer_id] += 1
    never_pay = [
        {"bidder_id": bidder, "bids": bids_of[bidder], "unpaid_wins": unpaid[bidder]}
        for bidder in sorted(unpaid, key=lambda who: (-unpaid[who], -bids_of[who], who))
        if bidder not in payers
    ]
    return {"bids_from_seller_addresses": from_sellers, "bidders_who_never_pay": never_pay}
