"""Orders: read by the people involved (each sees its own part: domain/order_views.py), listed per show
for its host and brands, refunded (fully or per item) by the brand that sold it or admin."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import Field, StrictInt

from livecart import keys
from livecart.api.schemas import Id
from livecart.api.shows import show_or_404
from livecart.commerce.connect import may_host
from livecart.domain.commerce import Order
from livecart.domain.errors import BadRequest, Forbidden, NotFound
from livecart.domain.models import Account, Role, rfc3339
from livecart.domain.order_views import admin_view, brand_view, host_view
from livecart.http.auth import require
from livecart.http.parsing import Body, parse, read_text

routes = web.RouteTableDef()

PAGE_DEFAULT = 50
PAGE_MAX = 100


class RefundItem(Body):
    product_id: Id
    qty: Annotated[StrictInt, Field(ge=1, le=1_000_000)]


class RefundCreate(Body):
    items: Annotated[list[RefundItem], Field(min_length=1, max_length=100)] | None = None


async def order_or_404(request: web.Request) -> Order:
    order_id = request.match_info["order_id"]
    order = await request.app[keys.SERVICES].store.get_order(order_id)
    if order is None:
        raise NotFound("no such order", order_id=order_id)
    return order


@routes.get("/api/orders/{order_id}")
async def get_order(request: web.Request) -> web.Response:
    account = await require(request, Role.VIEWER, Role.HOST, Role.BRAND)
    order = await order_or_404(request)
    involved = account.id in (order.buyer_id, order.host_id) or account.id in order.brand_ids
    if account.role is not Role.ADMIN and not involved:
        raise Forbidden("only the buyer, the show's host and the order's brands may read an order")
    return web.json_response(view_for(account, order))


def view_for(account: Account, order: Order) -> dict[str, Any]:
    """A brand sees its own lines only; the show's host the host view (no address, no buyer id, as in
    the orders list); the buyer and admin the whole order."""
    if account.role is Role.BRAND:
        return brand_view(order, account.id)
    if account.id == order.buyer_id or account.role is Role.ADMIN:
        return order.public()
    return host_view(order)


def page_limit(request: web.Request) -> int:
    text = request.query.get("limit", str(PAGE_DEFAULT))
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= PAGE_MAX:
        raise BadRequest("limit is not valid", fields={"limit": f"a whole number from 1 to {PAGE_MAX}"})
    return int(text)


@routes.get("/api/shows/{show_id}/orders")
async def show_orders(request: web.Request) -> web.Response:
    """The show's orders, newest first, a page at a time: all of them for admin and the show's host,
    those with a line of its own (and only those lines) for a brand in the lineup."""
    account = await require(request, Role.HOST, Role.BRAND)
    show = await show_or_404(request)
    store = request.app[keys.SERVICES].store
    brand_id = account.id if account.role is Role.BRAND else None
    if brand_id is not None and all(product.brand_id != brand_id for product in await store.lineup(show.id)):
        raise Forbidden("only brands in the show's lineup may list its orders")
    if account.role is Role.HOST and not await may_host(store, show, account):
        raise Forbidden("only the show's host may list its orders")
    limit = page_limit(request)
    cursor = None
    if "before" in request.query:
        before_id = request.query["before"]
        before = await store.get_order(before_id) if 0 < len(before_id) <= 64 else None
        if before is None or before.show_id != show.id or (brand_id is not None and brand_id not in before.brand_ids):
            raise BadRequest("before is not valid", fields={"before": "the id of an order in this list"})
        cursor = (before.created_at, before.id)
    page = await store.show_orders_page(show.id, limit + 1, before=cursor, brand_id=brand_id)
    if account.role is Role.ADMIN:
        views = [admin_view(order) for order in page[:limit]]
    elif brand_id is not None:
        views = [brand_view(order, brand_id) for order in page[:limit]]
    else:
        views = [host_view(order) for order in page[:limit]]
    return web.json_response(
        {"show_id": show.id, "orders": views, "next_before": page[limit - 1].id if len(page) > limit else None}
    )


@routes.post("/api/orders/{order_id}/refund")
async def refund(request: web.Request) -> web.Response:
    account = await require(request, Role.BRAND)
    order = await order_or_404(request)
    if account.role is not Role.ADMIN and account.id not in order.brand_ids:  # before reading the body
        raise Forbidden("only the brand that sold it (or admin) may refund an order")
    text = await read_text(request)
    body = RefundCreate() if not text.strip() else await parse(request, RefundCreate)
    items = None
    if body.items is not None:
        items = {}
        for item in body.items:
            if item.product_id in items:
                raise BadRequest("each product may appear once", fields={"items": f"{item.product_id} twice"})
            items[item.product_id] = item.qty
    planned, updated = await request.app[keys.SERVICES].refunds.refund(order, account, items)
    return web.json_response(
        {
            "refund": {
                "id": planned.id,
                "order_id": order.id,
                "items": [
                    {
                        "product_id": line.product_id,
                        "qty": line.qty,
                        "amount_cents": line.amount_cents,
                        "commission_reversed_cents": line.commission_cents,
                    }
                    for line in planned.lines
                ],
                "amount_cents": planned.amount_cents,
                "commission_reversed_cents": planned.commission_cents,
                "created_at": rfc3339(planned.created_at),
            },
            "order": view_for(account, updated),
        },
        status=201,
    )
