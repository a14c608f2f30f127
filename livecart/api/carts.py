"""Carts: one per viewer per show, kept in the store (they survive reloads and restarts); the use case is
livecart/commerce/carts.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, StrictInt, model_validator

from livecart import keys
from livecart.api.catalog import product_or_404
from livecart.api.schemas import Id
from livecart.api.shows import show_or_404
from livecart.commerce.carts import Carts
from livecart.domain.commerce import CartItem, OrderSource
from livecart.domain.deals import DealHold
from livecart.domain.errors import BadRequest, Forbidden, NotFound
from livecart.domain.models import Account, Role, Show, rfc3339
from livecart.http.auth import require
from livecart.http.parsing import Body, parse
from livecart.http.ratelimit import client_address

routes = web.RouteTableDef()

MAX_QTY_PER_ADD = 1000


class CartAdd(Body):
    """`product_id` (+ `qty`) adds at the list price; `deal_id` instead reserves one unit of a flash deal."""

    product_id: Id | None = None
    deal_id: Id | None = None
    qty: Annotated[StrictInt, Field(ge=1, le=MAX_QTY_PER_ADD)] = 1
    source: Literal["live", "replay"] = "live"  # "replay": buying from the show's replay

    @model_validator(mode="after")
    def _one_of(self) -> CartAdd:
        if (self.product_id is None) == (self.deal_id is None):
            raise BadRequest("give product_id or deal_id", fields={"product_id": "required (or deal_id)"})
        if self.deal_id is not None and self.qty != 1:
            raise BadRequest("a deal is reserved one unit at a time", fields={"qty": "must be 1 with deal_id"})
        if self.deal_id is not None and self.source != "live":
            raise BadRequest("a deal is bought live", fields={"source": "must be live with deal_id"})
        return self


class CartQty(Body):
    """`qty` is the line's new number of units (0 removes it); `source` as for an add."""

    qty: Annotated[StrictInt, Field(ge=0, le=MAX_QTY_PER_ADD)]
    source: Literal["live", "replay"] = "live"


async def viewer(request: web.Request) -> Account:
    account = await require(request, Role.VIEWER)
    if account.role is not Role.VIEWER:
        raise Forbidden("only a viewer has a cart", role=account.role.value)
    return account


async def cart_body(carts: Carts, show: Show, cart: list[CartItem], holds: Sequence[DealHold] = ()) -> dict[str, Any]:
    """The cart's list-price `items` and its `deals` lines (held deal units, one line per deal, at the deal
    price until `expires_at`, the earliest hold's expiry); `total_cents` counts both."""
    products = await carts.products(cart)
    items = [
        {
            "product": products[item.product_id].public(),
            "qty": item.qty,
            "line_total_cents": products[item.product_id].price_cents * item.qty,
        }
        for item in cart
        if item.product_id in products
    ]
    currencies = {products[item.product_id].currency for item in cart if item.product_id in products}
    held = {
        pid: product for pid in {hold.product_id for hold in holds} if (product := await carts.store.get_product(pid))
    }
    by_deal: dict[str, list[DealHold]] = {}
    for hold in holds:
        if hold.product_id in held:
            by_deal.setdefault(hold.deal_id, []).append(hold)
    deal_lines: list[dict[str, Any]] = [
        {
            "deal_id": deal_id,
            "product": held[group[0].product_id].public(),
            "qty": len(group),
            "price_cents": group[0].price_cents,
            "line_total_cents": group[0].price_cents * len(group),
            "hold_ids": [hold.id for hold in group],
            "expires_at": rfc3339(min(hold.expires_at for hold in group)),
        }
        for deal_id, group in by_deal.items()
    ]
    currencies |= {held[group[0].product_id].currency for group in by_deal.values()}
    return {
        "show_id": show.id,
        "items": items,
        "deals": deal_lines,
        "currency": next(iter(currencies)) if len(currencies) == 1 else None,
        "total_cents": sum(int(line["line_total_cents"]) for line in [*items, *deal_lines]),
    }


@routes.get("/api/shows/{show_id}/cart")
async def get_cart(request: web.Request) -> web.Response:
    account = await viewer(request)
    show = await show_or_404(request)
    services = request.app[keys.SERVICES]
    holds = await services.selling.viewer_holds(show.id, account.id)
    cart = await services.store.cart(show.id, account.id)
    return web.json_response(await cart_body(services.carts, show, cart, holds))


@routes.post("/api/shows/{show_id}/cart/items")
async def add_item(request: web.Request) -> web.Response:
    request.app[keys.SERVICES].limits.cart_adds.take(client_address(request))  # LIVECART_CART_ADD_RATE
    account = await viewer(request)
    show = await show_or_404(request)
    body = await parse(request, CartAdd)
    services = request.app[keys.SERVICES]
    await services.connect.check_buyer(account, show)  # a link's storefront: attributed buyers only
    if body.deal_id is not None:
        await services.selling.reserve(body.deal_id, account, show.id)
        cart = await services.store.cart(show.id, account.id)
    else:
        assert body.product_id is not None
        product = await product_or_404(request, body.product_id)
        cart = await services.carts.add(show, account, product, body.qty, OrderSource(body.source))
    holds = await services.selling.viewer_holds(show.id, account.id)
    return web.json_response(await cart_body(services.carts, show, cart, holds), status=201)


@routes.patch("/api/shows/{show_id}/cart/items/{product_id}")
async def set_item_qty(request: web.Request) -> web.Response:
    """Set a line's quantity: fewer units are never refused, more are checked as an add (and count as one)."""
    request.app[keys.SERVICES].limits.cart_adds.take(client_address(request))  # LIVECART_CART_ADD_RATE
    account = await viewer(request)
    show = await show_or_404(request)
    body = await parse(request, CartQty)
    services = request.app[keys.SERVICES]
    await services.connect.check_buyer(account, show)  # a link's storefront: attributed buyers only
    product_id = request.match_info["product_id"]
    cart = await services.carts.set_qty(show, account, product_id, body.qty, OrderSource(body.source))
    holds = await services.selling.viewer_holds(show.id, account.id)
    return web.json_response(await cart_body(services.carts, show, cart, holds))


@routes.delete("/api/shows/{show_id}/cart/items/{product_id}")
async def remove_item(request: web.Request) -> web.Response:
    account = await viewer(request)
    show = await show_or_404(request)
    product_id = request.match_info["product_id"]
    if not await request.app[keys.SERVICES].store.remove_from_cart(show.id, account.id, product_id):
        raise NotFound("this product is not in the cart", product_id=product_id)
    return web.Response(status=204)
