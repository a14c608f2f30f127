"""Carts: one per viewer per show, kept in the store; adding checks the cart rules (pinned now or
before, the per-buyer limit, stock) with the same `CartRules` checkout prices with."""

from __future__ import annotations

from livecart.domain.cart import CartRules, check_add, check_source
from livecart.domain.commerce import CartItem, OrderSource
from livecart.domain.models import Account, Product, Show
from livecart.store import Store


class Carts:
    def __init__(self, store: Store, rules: CartRules) -> None:
        self.store = store
        self.rules = rules

    async def products(self, cart: list[CartItem]) -> dict[str, Product]:
        """The cart's products that still exist, by id."""
        products = {}
        for item in cart:
            product = await self.store.get_product(item.product_id)
            if product is not None:
                products[item.product_id] = product
        return products

    async def add(
        self, show: Show, viewer: Account, product: Product, qty: int, source: OrderSource = OrderSource.LIVE
    ) -> list[CartItem]:
        """Add `qty` of `product` to the viewer's cart in `show`; returns the cart. `source` REPLAY is the
        replay's purchase path (`domain.cart.check_source`)."""
        check_source(show, source)
        cart = await self.store.cart(show.id, viewer.id)
        bought = (await self.store.units_bought(viewer.id, [product.id]))[product.id]
        max_qty = check_add(
            product,
            qty,
            pinned=await self.store.pinned_during(show.id),
            cart=cart,
            cart_products=await self.products(cart),
            bought=bought,
            rules=self.rules,
        )
        return await self.store.add_to_cart(show.id, viewer.id, product.id, qty, max_qty)
