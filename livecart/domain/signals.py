"""Fake-order signals per show: orders later refunded, buyers (tokens) with many orders, and client
addresses with many orders; and shill-bid signals of its auctions (`bid_signals`).

Pure: computed from the show's orders. A brand is shown only orders with a line of its own.
Client addresses are never shown: each is replaced by an opaque label, a keyed hash (HMAC-SHA256
with a deployment secret) of the address — of its /64 network for IPv6, since one subscriber
usually holds a whole /64 and can pick any address in it (docs/security.md explains the choice).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from livecart.domain.auctions import Auction, Bid
from livecart.domain.commerce import Order, OrderStatus

LABEL_SECRET = "signals-address-label"  # the store secret keying client-address labels (Store.secret)
MANY_ORDERS = 3  # a buyer, or a client address, with this many paid orders in one show is listed
IPV6_GROUP_PREFIX = 64  # IPv6 addresses are grouped by network: one subscriber, one /64
LABEL_HEX_DIGITS = 16  # 64 bits of the HMAC: stable, opaque, collisions negligible within a show


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
    refunded = [order for order in paid if any(line.refunded_qty for line in order.lines
                                               if brand_id is None or line.brand_id == brand_id)]
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
        {"bidder_id": bidder, "label": label, "bids": counted[(bidder, label)],
         "shares_with": sorted(shared[(bidder, label)])}
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
