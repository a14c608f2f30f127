"""Small builders for the contract tests: records with sensible defaults, overridable per test."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from livecart.domain.models import Account, Product, ProductDraft, Role, Show
from livecart.store import Store

DRAFT = ProductDraft(
    sku="SKU-1", title="Lipstick", price_cents=1900, currency="EUR", stock=10, commission_bps=1000
)


async def brand(store: Store, name: str = "Aurora Beauty") -> Account:
    account, _ = await store.create_account(Role.BRAND, name)
    return account


async def host(store: Store, name: str = "Mia Live") -> Account:
    account, _ = await store.create_account(Role.HOST, name)
    return account


async def product(store: Store, brand_id: str, **changes: Any) -> Product:
    return await store.create_product(brand_id, replace(DRAFT, **changes))


async def show(store: Store, host_id: str, title: str = "Friday Glow-Up", **kw: Any) -> Show:
    return await store.create_show(host_id, title, kw.get("scheduled_at"))
