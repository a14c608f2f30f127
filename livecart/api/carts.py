"""Carts: one per viewer per show, kept in the store (they survive reloads and restarts); the use case is
livecart/commerce/carts.py."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, StrictInt

from livecart import keys
from livecart.api.catalog import product_or_404
from livecart.api.schemas import Id
from livecart.api.shows import show_or_404
from livecart.commerce.carts import Carts
from livecart.domain.commerce import CartItem, OrderSource
from livecart.domain.errors import Forbidden, NotFound
from livecart.domain.models import Account, Role, Show
from livecart.http.auth import require
from livecart.http.parsing import Body, parse
from livecart.http.ratelimit import client_address

routes = web.RouteTableDef()

MAX_QTY_PER_ADD = 1000


class CartAdd(Body):
    product_id: Id
    qty: Annotated[StrictInt, Field(ge=1, le=MAX_QTY_PER_ADD)] = 1
    source: Literal["live", "replay"] = "live"  # "replay": buying from the show's replay


async def viewer(request: web.Request) -> Account:
    account = await require(request, Role.VIEWER)
    if account.role is not Role.VIEWER:
        raise Forbidden("only a viewer has a cart", role=account.role.value)
    return account


async def cart_body(carts: Carts, show: Show, cart: list[CartItem]) -> dict[str, Any]:
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
    currencies = sorted({products[item.product_id].currency for item in cart if item.product_id in products})
    return {
        "show_id": show.id,
        "items": items,
        "currency": currencies[0] if len(currencies) == 1 else None,
        "total_cents": sum(item["line_total_cents"] for item in items),
    }


@routes.get("/api/shows/{show_id}/cart")
async def get_cart(request: web.Request) -> web.Response:
    account = await viewer(request)
    show = await show_or_404(request)
    carts = request.app[keys.SERVICES].carts
    return web.json_response(await cart_body(carts, show, await carts.store.cart(show.id, account.id)))


@routes.post("/api/shows/{show_id}/cart/items")
async def add_item(request: web.Request) -> web.Response:
    request.app[keys.SERVICES].limits.cart_adds.take(client_address(request))  # LIVECART_CART_ADD_RATE
    account = await viewer(request)
    show = await show_or_404(request)
    body = await parse(request, CartAdd)
    product = await product_or_404(request, body.product_id)
    await request.app[keys.SERVICES].connect.check_buyer(account, show)  # a link's storefront: attributed only
    carts = request.app[keys.SERVICES].carts
    cart = await carts.add(show, account, product, body.qty, OrderSource(body.source))
    return web.json_response(await cart_body(carts, show, cart), status=201)


@routes.delete("/api/shows/{show_id}/cart/items/{product_id}")
async def remove_item(request: web.Request) -> web.Response:
    account = await viewer(request)
    show = await show_or_404(request)
    product_id = request.match_info["product_id"]
    if not await request.app[keys.SERVICES].store.remove_from_cart(show.id, account.id, product_id):
        raise NotFound("this product is not in the cart", product_id=product_id)
    return web.Response(status=204)
