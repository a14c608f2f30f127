"""Commerce records shared by the store, the API and the live room: pins, carts, orders, ledger, refunds.

Money is always an integer number of minor units (`*_cents`) in the order's one ISO 4217 currency.
The records are plain and immutable; the rules that build them live in money.py, cart.py, ledger.py
and refunds.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from livecart.domain.models import Product, rfc3339


class OrderSource(StrEnum):
    """Where an order was placed (docs/protocol.md): during the live show, from its replay, or through a
    host's share link (the link's storefront, outside any show: domain/attribution.py)."""

    LIVE = "live"
    REPLAY = "replay"
    LINK = "link"


@dataclass(frozen=True)
class Pin:
    """A product on screen now in a show (the live room's join snapshot lists them)."""

    show_id: str
    product: Product
    pinned_at: datetime

    def public(self) -> dict[str, Any]:
        return {"product": self.product.public(), "pinned_at": rfc3339(self.pinned_at)}


@dataclass(frozen=True)
class PinSpan:
    """One entry of a show's pin log: pinned from `pinned_at` until `unpinned_at` (None: still pinned)."""

    show_id: str
    product_id: str
    pinned_at: datetime
    unpinned_at: datetime | None


@dataclass(frozen=True)
class CartItem:
    product_id: str
    qty: int
    added_at: datetime


@dataclass(frozen=True)
class CartActivity:
    """Per product in a show: how many add-to-cart calls, and how many distinct viewers made them."""

    adds: int
    viewers: int


class OrderStatus(StrEnum):
    PENDING = "pending"  # stock taken, payment not confirmed yet (never visible as paid)
    PAID = "paid"  # charged; ledger entries written in the same transaction
    FAILED = "failed"  # declined or abandoned; stock released, no ledger entries


@dataclass(frozen=True)
class OrderLine:
    """One product of an order, priced at sale time with the rates in force then."""

    product_id: str
    brand_id: str
    title: str
    unit_price_cents: int
    qty: int
    commission_bps: int
    platform_fee_bps: int
    line_total_cents: int
    commission_cents: int
    platform_fee_cents: int
    refunded_qty: int = 0
    campaign_id: str | None = None  # sold under this campaign: commission_bps is the campaign's rate

    @property
    def refunded_cents(self) -> int:
        return self.unit_price_cents * self.refunded_qty

    def public(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "brand_id": self.brand_id,
            "title": self.title,
            "unit_price_cents": self.unit_price_cents,
            "qty": self.qty,
            "line_total_cents": self.line_total_cents,
            "commission_bps": self.commission_bps,
            "commission_cents": self.commission_cents,
            "refunded_qty": self.refunded_qty,
            "campaign_id": self.campaign_id,
        }


@dataclass(frozen=True)
class Order:
    id: str
    show_id: str
    host_id: str
    buyer_id: str
    buyer_name: str
    currency: str
    lines: tuple[OrderLine, ...]
    shipping: Mapping[str, str]
    status: OrderStatus
    idempotency_key: str | None
    created_at: datetime
    paid_at: datetime | None = None
    payment_ref: str | None = None
    client_ip: str | None = None  # where the checkout came from (fake-order signals); never in public()
    source: OrderSource = OrderSource.LIVE  # REPLAY: from the show's replay; LINK: a share link's storefront

    @property
    def total_cents(self) -> int:
        return sum(line.line_total_cents for line in self.lines)

    @property
    def commission_cents(self) -> int:
        return sum(line.commission_cents for line in self.lines)

    @property
    def platform_fee_cents(self) -> int:
        return sum(line.platform_fee_cents for line in self.lines)

    @property
    def refunded_cents(self) -> int:
        return sum(line.refunded_cents for line in self.lines)

    @property
    def brand_ids(self) -> frozenset[str]:
        return frozenset(line.brand_id for line in self.lines)

    def line(self, product_id: str) -> OrderLine | None:
        return next((line for line in self.lines if line.product_id == product_id), None)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "show_id": self.show_id,
            "host_id": self.host_id,
            "buyer_id": self.buyer_id,
            "status": self.status.value,
            "currency": self.currency,
            "items": [line.public() for line in self.lines],
            "total_cents": self.total_cents,
            "commission_cents": self.commission_cents,
            "refunded_cents": self.refunded_cents,
            "shipping": dict(self.shipping),
            "created_at": rfc3339(self.created_at),
            "paid_at": rfc3339(self.paid_at),
            "source": self.source.value,
        }


class LedgerAccount(StrEnum):
    """Double entry: debits are positive, credits negative; each order's entries sum to zero."""

    PAYMENTS = "payments_clearing"  # debit: what the buyer paid, held by the payment provider for us
    BRAND_RECEIVABLE = "brand_receivable"  # credit: what the platform owes the brand
    HOST_COMMISSION = "host_commission_payable"  # credit: what the platform owes the host
    PLATFORM_FEE = "platform_fee"  # credit: the platform's own fee (only when one is configured)


@dataclass(frozen=True)
class LedgerEntry:
    """One append-only ledger row. Never updated: a refund appends entries with opposite signs."""

    id: str
    order_id: str
    refund_id: str | None
    show_id: str
    product_id: str
    account: LedgerAccount
    party_id: str | None  # the brand (receivable), the host (commission), None for platform accounts
    amount_cents: int
    currency: str
    created_at: datetime
    payout_id: str | None = None  # set on the entries a payout writes (docs/commerce.md#payouts)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "order_id": self.order_id,
            "refund_id": self.refund_id,
            "payout_id": self.payout_id,
            "show_id": self.show_id,
            "product_id": self.product_id,
            "account": self.account.value,
            "party_id": self.party_id,
            "amount_cents": self.amount_cents,
            "currency": self.currency,
            "created_at": rfc3339(self.created_at),
        }


@dataclass(frozen=True)
class RefundLine:
    """Refund `qty` units of one order line; `previously_refunded` is what the plan was computed from."""

    product_id: str
    qty: int
    previously_refunded: int
    amount_cents: int
    commission_cents: int
    platform_fee_cents: int


@dataclass(frozen=True)
class Refund:
    id: str
    order_id: str
    show_id: str
    by: str  # account id of the brand or admin who refunded
    lines: tuple[RefundLine, ...]
    created_at: datetime = field(compare=False)

    @property
    def amount_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def commission_cents(self) -> int:
        return sum(line.commission_cents for line in self.lines)


@dataclass(frozen=True)
class StoredResponse:
    """The first response to an idempotent request, replayed byte for byte for a retry."""

    status: int
    body: str  # the JSON text sent
