"""The demo show: a brand with three products, a host, and a scheduled show featuring them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from livecart.clock import Clock
from livecart.domain.models import ProductDraft, Role
from livecart.store import Store

DEMO_PRODUCTS = (
    ProductDraft(
        sku="LIP-RUBY",
        title="Ruby Velvet Lipstick",
        price_cents=1900,
        currency="EUR",
        stock=40,
        commission_bps=1500,
        image_url="/static/img/lipstick.svg",
        description="Long-wear matte lipstick in a deep ruby red.",
    ),
    ProductDraft(
        sku="SNK-CLOUD",
        title="Cloudstep Sneakers",
        price_cents=8900,
        currency="EUR",
        stock=12,
        commission_bps=1000,
        image_url="/static/img/sneakers.svg",
        description="Knit sneakers with a recycled foam sole.",
    ),
    ProductDraft(
        sku="SRM-GLOW",
        title="Glow Serum 30 ml",
        price_cents=3450,
        currency="EUR",
        stock=25,
        commission_bps=2000,
        image_url="/static/img/serum.svg",
        description="Vitamin C serum for a brighter skin tone.",
    ),
)


@dataclass(frozen=True)
class DemoSeed:
    brand_id: str
    brand_token: str
    host_id: str
    host_token: str
    show_id: str
    product_ids: tuple[str, ...]


async def seed_demo(store: Store, clock: Clock) -> DemoSeed:
    brand, brand_token = await store.create_account(Role.BRAND, "Aurora Beauty")
    host, host_token = await store.create_account(Role.HOST, "Mia Live")
    products = [await store.create_product(brand.id, draft) for draft in DEMO_PRODUCTS]
    show = await store.create_show(host.id, "Friday Glow-Up with Mia", clock.now() + timedelta(minutes=10))
    for product in products:
        await store.add_to_lineup(show.id, product.id)
    return DemoSeed(
        brand_id=brand.id,
        brand_token=brand_token,
        host_id=host.id,
        host_token=host_token,
        show_id=show.id,
        product_ids=tuple(product.id for product in products),
    )
