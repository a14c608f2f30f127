"""Carts: one per viewer per show, kept in the store; adding checks the cart rules (pinned now or
before, the per-buyer limit, stock) with the same `CartRules` checkout prices with."""

from __future__ import annotations

import time
from collections.abc import Mapping

from livecart.domain import errors
from livecart.domain.cart import CartRules, check_add, check_source
from livecart.domain.commerce import CartItem, OrderSource
from livecart.domain.errors import NotForSale, ShowEnded
from livecart.domain.models import Account, Product, Show, still_selling
from livecart.store import Store

ACCOUNT_RECHECK_S = 2.0  # a deleted account stops selling on every node within this


class Owners:
    """Are a show's host and its products' brands still accounts? A deleted account's shows and products
    stop selling (issue 19, finding 6). Answers are kept `ACCOUNT_RECHECK_S` per account so a flash
    sale does not read the same two accounts a thousand times; a deletion on this node counts at once
    (`forget`), on other nodes within `ACCOUNT_RECHECK_S`."""

    def __init__(self, store: Store, recheck_s: float = ACCOUNT_RECHECK_S) -> None:
        self.store = store
        self.recheck_s = recheck_s
        self._known: dict[str, tuple[bool, float]] = {}  # account id → (exists, read at, monotonic)

    def forget(self, account_id: str) -> None:
        self._known.pop(account_id, None)

    async def _exists(self, account_id: str) -> bool:
        now = time.monotonic()
        known = self._known.get(account_id)
        if known is not None and now - known[1] < self.recheck_s:
            return known[0]
        exists = await self.store.get_account(account_id) is not None
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[account_id] = (exists, now)
        return exists

    async def check(self, show: Show, brands: Mapping[str, str]) -> None:
        """NotForSale unless the show's host and the brand of every product (`brands`: product id →
        brand id) still have their accounts."""
        if not await self._exists(show.host_id):
            raise NotForSale("the show's host left: nothing is sold in this show", show_id=show.id)
        gone = [brand_id for brand_id in sorted(set(brands.values())) if not await self._exists(brand_id)]
        if gone:
            raise NotForSale(
                "the brand of this product left: it is no longer sold",
                product_ids=sorted(product_id for product_id, brand_id in brands.items() if brand_id in gone),
            )


class Carts:
    def __init__(self, store: Store, rules: CartRules, owners: Owners) -> None:
        self.store = store
        self.rules = rules
        self.owners = owners

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
        replay's purchase path (`domain.cart.check_source`); the live path refuses an ended show
        (ShowEnded). NotForSale when the product's brand or the show's host was deleted."""
        check_source(show, source)
        if source is OrderSource.LIVE and not still_selling(show):
            raise ShowEnded("the show has ended: nothing more is sold in it", show_id=show.id)
        await self.owners.check(show, {product.id: product.brand_id})
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

    async def set_qty(
        self, show: Show, viewer: Account, product_id: str, qty: int, source: OrderSource = OrderSource.LIVE
    ) -> list[CartItem]:
        """Set the viewer's cart line of `product_id` to `qty` units (0 removes it); returns the cart.
        Fewer units than the line holds are never refused; more are checked as adding the difference
        (`add`'s errors: NotFound, NotPinned, CurrencyMismatch, LimitExceeded, ShowEnded, NotForSale,
        NotReplayable), and the store checks the limit again in the same step as the change."""
        cart = await self.store.cart(show.id, viewer.id)
        in_cart = next((item.qty for item in cart if item.product_id == product_id), 0)
        if qty <= in_cart:
            return await self.store.set_cart_qty(show.id, viewer.id, product_id, qty, in_cart)
        product = await self.store.get_product(product_id)
        if product is None:
            raise errors.no_such_product(product_id)
        check_source(show, source)
        if source is OrderSource.LIVE and not still_selling(show):
            raise ShowEnded("the show has ended: nothing more is sold in it", show_id=show.id)
        await self.owners.check(show, {product.id: product.brand_id})
        bought = (await self.store.units_bought(viewer.id, [product.id]))[product.id]
        max_qty = check_add(
            product,
            qty - in_cart,
            pinned=await self.store.pinned_during(show.id),
            cart=cart,
            cart_products=await self.products(cart),
            bought=bought,
            rules=self.rules,
        )
        return await self.store.set_cart_qty(show.id, viewer.id, product.id, qty, max_qty)
