"""Orders: read by the people involved; refunded (fully or per item) by the brand that sold it or admin."""

from __future__ import annotations

import logging
from typing import Annotated

from aiohttp import web
from pydantic import Field, StrictInt

from livecart import keys
from livecart.api.auth import require
from livecart.api.schemas import Body, Id, parse, read_text
from livecart.domain.commerce import Order
from livecart.domain.errors import BadRequest, Forbidden, NotFound
from livecart.domain.events import Refunded, StockChanged
from livecart.domain.ids import new_id
from livecart.domain.ledger import refund_entries
from livecart.domain.models import Role, rfc3339, utcnow
from livecart.domain.refunds import plan_refund

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


class RefundItem(Body):
    product_id: Id
    qty: Annotated[StrictInt, Field(ge=1, le=1_000_000)]


class RefundCreate(Body):
    items: Annotated[list[RefundItem], Field(min_length=1, max_length=100)] | None = None


async def order_or_404(request: web.Request) -> Order:
    order_id = request.match_info["order_id"]
    order = await request.app[keys.STORE].get_order(order_id)
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
    return web.json_response(order.public())


@routes.post("/api/orders/{order_id}/refund")
async def refund(request: web.Request) -> web.Response:
    account = await require(request, Role.BRAND)
    order = await order_or_404(request)
    if account.role is not Role.ADMIN and account.id not in order.brand_ids:
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
    now = utcnow()
    brand_id = account.id if account.role is Role.BRAND else None
    planned = plan_refund(order, items, refund_id=new_id("rfd"), by=account.id, brand_id=brand_id, now=now)
    store = request.app[keys.STORE]
    updated, stock = await store.record_refund(planned, refund_entries(order, planned, now))
    if updated.payment_ref is not None:
        try:
            await request.app[keys.PAYMENTS].refund(
                charge_id=updated.payment_ref, amount_cents=planned.amount_cents
            )
        except Exception:
            log.exception(
                "refund %s is booked but the provider did not take it; retry it by hand", planned.id
            )
    bus = request.app[keys.BUS]
    for product_id, level in stock.items():
        bus.publish(StockChanged(show_id=order.show_id, product_id=product_id, stock=level))
    bus.publish(
        Refunded(
            show_id=order.show_id,
            order_id=order.id,
            items=tuple((line.product_id, line.qty) for line in planned.lines),
        )
    )
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
            "order": updated.public(),
        },
        status=201,
    )
