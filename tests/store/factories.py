"""Small builders for the contract tests: records with sensible defaults, overridable per test."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from livecart.domain.commerce import (
    LedgerAccount,
    LedgerEntry,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    RefundLine,
)
from livecart.domain.ids import new_id
from livecart.domain.models import Account, Product, ProductDraft, Role, Show, utcnow
from livecart.store import Store

DRAFT = ProductDraft(sku="SKU-1", title="Lipstick", price_cents=1900, currency="EUR", stock=10, commission_bps=1000)


async def brand(store: Store, name: str = "Aurora Beauty") -> Account:
    account, _ = await store.create_account(Role.BRAND, name)
    return account


async def viewer(store: Store, name: str = "Sam") -> Account:
    account, _ = await store.create_account(Role.VIEWER, name)
    return account


async def host(store: Store, name: str = "Mia Live") -> Account:
    account, _ = await store.create_account(Role.HOST, name)
    return account


async def product(store: Store, brand_id: str, **changes: Any) -> Product:
    return await store.create_product(brand_id, replace(DRAFT, **changes))


async def show(store: Store, host_id: str, title: str = "Friday Glow-Up", **kw: Any) -> Show:
    return await store.create_show(host_id, title, kw.get("scheduled_at"))


# -- commerce ----------------------------------------------------------------------------------------


def order_line(product: Product, qty: int, refunded_qty: int = 0) -> OrderLine:
    total = product.price_cents * qty
    return OrderLine(
        product_id=product.id,
        brand_id=product.brand_id,
        title=product.title,
        unit_price_cents=product.price_cents,
        qty=qty,
        commission_bps=product.commission_bps,
        platform_fee_bps=0,
        line_total_cents=total,
        commission_cents=total * product.commission_bps // 10_000,
        platform_fee_cents=0,
        refunded_qty=refunded_qty,
    )


def order(show: Show, buyer: Account, *lines: tuple[Product, int], key: str | None = None) -> Order:
    """A PENDING order of `qty` units of each product at its current price, as checkout builds one."""
    return Order(
        id=new_id("ord"),
        show_id=show.id,
        host_id=show.host_id,
        buyer_id=buyer.id,
        buyer_name=buyer.name,
        currency=lines[0][0].currency,
        lines=tuple(order_line(product, qty) for product, qty in lines),
        shipping={"name": buyer.name, "country": "FR"},
        status=OrderStatus.PENDING,
        idempotency_key=key,
        created_at=utcnow(),
    )


def sale_entries(order: Order) -> list[LedgerEntry]:
    """Double entry for a paid order: the payment debited, the brand and the host credited (sum 0)."""
    now = utcnow()
    entries: list[LedgerEntry] = []
    for line in order.lines:
        for account, party, amount in (
            (LedgerAccount.PAYMENTS, None, line.line_total_cents),
            (LedgerAccount.BRAND_RECEIVABLE, line.brand_id, -(line.line_total_cents - line.commission_cents)),
            (LedgerAccount.HOST_COMMISSION, order.host_id, -line.commission_cents),
        ):
            entries.append(
                LedgerEntry(
                    id=new_id("led"), order_id=order.id, refund_id=None, show_id=order.show_id,
                    product_id=line.product_id, account=account, party_id=party, amount_cents=amount,
                    currency=order.currency, created_at=now,
                )
            )  # fmt: skip
    return entries


def refund(order: Order, by: str, *lines: tuple[str, int, int]) -> Refund:
    """Refund (product id, qty, previously refunded) lines, with proportional amounts."""
    refund_lines = []
    for product_id, qty, previously in lines:
        line = order.line(product_id)
        price = line.unit_price_cents if line else 0
        commission = line.commission_cents * qty // line.qty if line else 0
        refund_lines.append(RefundLine(product_id, qty, previously, price * qty, commission, 0))
    return Refund(
        id=new_id("rfd"), order_id=order.id, show_id=order.show_id, by=by, lines=tuple(refund_lines),
        created_at=utcnow(),
    )  # fmt: skip


def refund_entries(order: Order, refund: Refund) -> list[LedgerEntry]:
    """The reversing rows of a refund (sum 0)."""
    now = utcnow()
    entries: list[LedgerEntry] = []
    for line in refund.lines:
        brand_id = next(item.brand_id for item in order.lines if item.product_id == line.product_id)
        for account, party, amount in (
            (LedgerAccount.PAYMENTS, None, -line.amount_cents),
            (LedgerAccount.BRAND_RECEIVABLE, brand_id, line.amount_cents - line.commission_cents),
            (LedgerAccount.HOST_COMMISSION, order.host_id, line.commission_cents),
        ):
            entries.append(
                LedgerEntry(
                    id=new_id("led"), order_id=order.id, refund_id=refund.id, show_id=order.show_id,
                    product_id=line.product_id, account=account, party_id=party, amount_cents=amount,
                    currency=order.currency, created_at=now,
                )
            )  # fmt: skip
    return entries
