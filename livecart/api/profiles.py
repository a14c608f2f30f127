"""What a viewer keeps for next time: the shipping address (`/api/me/address`) and the saved card
(`/api/me/payment-method`, the payment provider's token; the number itself is never stored)."""

from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from pydantic import Field

from livecart import keys
from livecart.api.carts import viewer
from livecart.api.checkout import CARD_NUMBER, Shipping
from livecart.domain.models import Account
from livecart.http.parsing import Body, parse

routes = web.RouteTableDef()


class CardBody(Body):
    method: Literal["test"]
    card_number: Annotated[str, Field(pattern=CARD_NUMBER)]


async def _viewer(request: web.Request) -> Account:
    """Only a viewer keeps an address and a card (hosts, brands and admin buy nothing)."""
    return await viewer(request)


@routes.get("/api/me/address")
async def get_address(request: web.Request) -> web.Response:
    account = await _viewer(request)
    return web.json_response({"address": await request.app[keys.SERVICES].wallet.address(account.id)})


@routes.put("/api/me/address")
async def put_address(request: web.Request) -> web.Response:
    account = await _viewer(request)
    body = await parse(request, Shipping)
    address = {name: value for name, value in body.model_dump().items() if value is not None}
    saved = await request.app[keys.SERVICES].wallet.save_address(account.id, address)
    return web.json_response({"address": saved})


@routes.get("/api/me/payment-method")
async def get_payment_method(request: web.Request) -> web.Response:
    account = await _viewer(request)
    card = await request.app[keys.SERVICES].wallet.card(account.id)
    return web.json_response({"payment_method": None if card is None else card.public()})


@routes.put("/api/me/payment-method")
async def put_payment_method(request: web.Request) -> web.Response:
    account = await _viewer(request)
    body = await parse(request, CardBody)
    card = await request.app[keys.SERVICES].wallet.save_card(account.id, body.card_number)
    return web.json_response({"payment_method": card.public()})


@routes.delete("/api/me/payment-method")
async def delete_payment_method(request: web.Request) -> web.Response:
    account = await _viewer(request)
    await request.app[keys.SERVICES].wallet.forget_card(account.id)
    return web.Response(status=204)
