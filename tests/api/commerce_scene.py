"""A show ready to sell: a brand with products in the lineup of a host's show, pinned, and viewers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.support import Api

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


def checkout_body(card: str = GOOD_CARD, name: str = "Sam Lee") -> dict[str, Any]:
    return {
        "shipping": {
            "name": name,
            "line1": "1 Main St",
            "city": "Lyon",
            "postal_code": "69001",
            "country": "FR",
        },
        "payment": {"method": "test", "card_number": card},
    }


def new_key() -> str:
    return str(uuid.uuid4())


@dataclass
class Scene:
    api: Api
    brand: dict[str, Any]
    host: dict[str, Any]
    show: dict[str, Any]
    products: list[dict[str, Any]]

    @property
    def show_id(self) -> str:
        return str(self.show["id"])

    async def pin(self, product: dict[str, Any]) -> None:
        await self.api.call(
            "POST",
            f"/api/shows/{self.show_id}/pins",
            201,
            token=self.host["token"],
            json={"product_id": product["id"]},
        )

    async def viewer(self, name: str = "Sam Lee") -> dict[str, Any]:
        return await self.api.create_account("viewer", name)

    async def add(self, viewer: dict[str, Any], product: dict[str, Any], qty: int = 1, status: int = 201) -> Any:
        return await self.api.call(
            "POST",
            f"/api/shows/{self.show_id}/cart/items",
            status,
            token=viewer["token"],
            json={"product_id": product["id"], "qty": qty},
        )

    async def checkout(
        self, viewer: dict[str, Any], status: int = 201, *, key: str | None = None, card: str = GOOD_CARD
    ) -> Any:
        return await self.api.call(
            "POST",
            f"/api/shows/{self.show_id}/checkout",
            status,
            token=viewer["token"],
            json=checkout_body(card),
            headers={"Idempotency-Key": key or new_key()},
        )

    async def product(self, product: dict[str, Any]) -> dict[str, Any]:
        fresh: dict[str, Any] = await self.api.call("GET", f"/api/products/{product['id']}", 200)
        return fresh


async def make_scene(api: Api, *specs: dict[str, Any]) -> Scene:
    """A brand's products (one per spec: overrides of create_product's fields) in a host's show lineup."""
    brand = await api.create_account("brand", "Aurora Beauty")
    host = await api.create_account("host", "Mia Live")
    show = await api.create_show(host["token"])
    products = []
    for number, spec in enumerate(specs or ({},)):
        product = await api.create_product(brand["token"], **{"sku": f"SKU-{number}", **spec})
        await api.call(
            "POST",
            f"/api/shows/{show['id']}/lineup",
            201,
            token=host["token"],
            json={"product_id": product["id"]},
        )
        products.append(product)
    return Scene(api=api, brand=brand, host=host, show=show, products=products)
