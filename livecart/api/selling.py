"""Selling formats over HTTP (docs/protocol.md "Auctions", "Flash deals", "Giveaways"): the handlers only
authenticate, parse and call the Selling service (livecart/commerce/selling.py)."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from aiohttp import web
from pydantic import Field, StrictInt

from livecart import keys
from livecart.api.carts import viewer
from livecart.api.checkout import (
    CheckoutBody,
    Shipping,
    card_to_charge,
    client_ip_of,
    idempotency_key,
    keep_card_if_asked,
    send,
)
from livecart.api.schemas import Id
from livecart.api.shows import show_or_404
from livecart.domain import auctions, deals, giveaways
from livecart.domain.auctions import Auction
from livecart.domain.giveaways import Giveaway
from livecart.domain.models import Role
from livecart.http.auth import require
from livecart.http.errors import status_for
from livecart.http.parsing import Body, parse

routes = web.RouteTableDef()

# Ranges are the domain's (livecart/domain/auctions.py, deals.py, giveaways.py): a 400 names every bad field.


class AuctionCreate(Body):
    product_id: Id
    start_cents: StrictInt
    increment_cents: StrictInt
    duration_s: StrictInt
    reserve_cents: StrictInt | None = None
    quantity: StrictInt = 1


class DealCreate(Body):
    product_id: Id
    price_cents: StrictInt
    quantity: StrictInt
    duration_s: StrictInt


class GiveawayCreate(Body):
    product_id: Id
    winners: StrictInt
    duration_s: StrictInt
    keyword: Annotated[str, Field(max_length=200)] | None = None


class ShippingBody(Body):
    shipping: Shipping


async def auction_or_404(request: web.Request) -> Auction:
    auction_id = request.match_info["auction_id"]
    auction = await request.app[keys.SERVICES].store.get_auction(auction_id)
    if auction is None:
        raise auctions.no_such_auction(auction_id)
    return auction


async def giveaway_or_404(request: web.Request) -> Giveaway:
    giveaway_id = request.match_info["giveaway_id"]
    giveaway = await request.app[keys.SERVICES].store.get_giveaway(giveaway_id)
    if giveaway is None:
        raise giveaways.no_such_giveaway(giveaway_id)
    return giveaway


def body_hash(scope: str, body: CheckoutBody) -> str:
    # a card payment hashes as before `save` and `saved` existed (Payment.canonical)
    dumped = {**body.model_dump(), "payment": body.payment.canonical()}
    canonical = json.dumps({"scope": scope, "body": dumped}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def shipping_of(shipping: Shipping) -> dict[str, str]:
    return {name: value for name, value in shipping.model_dump().items() if value is not None}


# -- auctions --------------------------------------------------------------------------------------------
@routes.post("/api/shows/{show_id}/auctions")
async def open_auction(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST, Role.BRAND)
    show = await show_or_404(request)
    body = await parse(request, AuctionCreate)
    auction = await request.app[keys.SERVICES].selling.open_auction(
        show, account, body.product_id, start_cents=body.start_cents, increment_cents=body.increment_cents,
        duration_s=body.duration_s, reserve_cents=body.reserve_cents, quantity=body.quantity,
        address=client_ip_of(request),
    )  # fmt: skip
    return web.json_response(auction.public(), status=201)


@routes.get("/api/auctions/{auction_id}")
async def get_auction(request: web.Request) -> web.Response:
    return web.json_response((await auction_or_404(request)).public())


@routes.delete("/api/auctions/{auction_id}")
async def cancel_auction(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST, Role.BRAND)
    auction_id = request.match_info["auction_id"]
    cancelled = await request.app[keys.SERVICES].selling.cancel_auction(auction_id, account)
    return web.json_response(cancelled.public())


@routes.post("/api/auctions/{auction_id}/checkout")
async def checkout_auction(request: web.Request) -> web.Response:
    account = await viewer(request)
    auction = await auction_or_404(request)
    key = idempotency_key(request)
    body = await parse(request, CheckoutBody)
    services = request.app[keys.SERVICES]
    card = await card_to_charge(services.wallet, account.id, body.payment)
    response, replayed = await services.selling.checkout_auction(
        auction.id, account, key, body_hash(f"auction:{auction.id}", body), shipping_of(body.shipping),
        card, status_for,
    )  # fmt: skip
    services.metrics.checkouts.labels(str(response.status), str(replayed).lower()).inc()
    await keep_card_if_asked(services.wallet, account.id, body.payment, response, replayed)
    return send(response, replayed=replayed)


# -- deals -----------------------------------------------------------------------------------------------
@routes.post("/api/shows/{show_id}/deals")
async def create_deal(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST, Role.BRAND)
    show = await show_or_404(request)
    body = await parse(request, DealCreate)
    services = request.app[keys.SERVICES]
    deal = await services.selling.create_deal(
        show, account, body.product_id, price_cents=body.price_cents, quantity=body.quantity,
        duration_s=body.duration_s, address=client_ip_of(request),
    )  # fmt: skip
    return web.json_response(deal.public(services.clock.now()), status=201)


@routes.get("/api/deals/{deal_id}")
async def get_deal(request: web.Request) -> web.Response:
    services = request.app[keys.SERVICES]
    deal_id = request.match_info["deal_id"]
    deal = await services.store.get_deal(deal_id)
    if deal is None:
        raise deals.no_such_deal(deal_id)
    return web.json_response(deal.public(services.clock.now()))


@routes.delete("/api/deals/{deal_id}")
async def end_deal(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST, Role.BRAND)
    services = request.app[keys.SERVICES]
    ended = await services.selling.end_deal(request.match_info["deal_id"], account)
    return web.json_response(ended.public(services.clock.now()))


# -- giveaways -------------------------------------------------------------------------------------------
@routes.post("/api/shows/{show_id}/giveaways")
async def create_giveaway(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST)
    show = await show_or_404(request)
    body = await parse(request, GiveawayCreate)
    giveaway = await request.app[keys.SERVICES].selling.create_giveaway(
        show, account, body.product_id, winners=body.winners, duration_s=body.duration_s, keyword=body.keyword
    )
    return web.json_response(giveaway.public(), status=201)


@routes.get("/api/giveaways/{giveaway_id}")
async def get_giveaway(request: web.Request) -> web.Response:
    giveaway = await giveaway_or_404(request)
    entrants = await request.app[keys.SERVICES].store.giveaway_entrants(giveaway.id)
    return web.json_response({**giveaway.public(entrants), "verify": list(giveaways.VERIFY_STEPS)})


# -- shipping for orders made without an address ---------------------------------------------------------
@routes.post("/api/orders/{order_id}/shipping")
async def ship_to(request: web.Request) -> web.Response:
    account = await require(request, Role.VIEWER)
    body = await parse(request, ShippingBody)
    order = await request.app[keys.SERVICES].selling.ship_to(
        request.match_info["order_id"], account, shipping_of(body.shipping)
    )
    return web.json_response(order.public())
