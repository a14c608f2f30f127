"""Pins: the show's host or the brand owning a lineup product puts it on screen and takes it down."""

from __future__ import annotations

from aiohttp import web

from livecart import keys
from livecart.api.catalog import product_or_404
from livecart.api.schemas import Id
from livecart.api.shows import show_or_404
from livecart.domain.errors import Forbidden, NotInLineup, ShowEnded
from livecart.domain.events import Pinned, Unpinned
from livecart.domain.models import Account, Product, Role, Show, ShowStatus, rfc3339
from livecart.http.auth import require
from livecart.http.parsing import Body, parse

routes = web.RouteTableDef()


class PinCreate(Body):
    product_id: Id


async def _check(request: web.Request, account: Account, show: Show, product: Product) -> None:
    """Admin, the show's host, or the brand that owns the product; it must be in the lineup; not ended."""
    if account.role is not Role.ADMIN and account.id not in (show.host_id, product.brand_id):
        raise Forbidden("only the show's host or the product's brand may pin it")
    lineup = await request.app[keys.SERVICES].store.lineup(show.id)
    if all(featured.id != product.id for featured in lineup):
        raise NotInLineup("only products in the show's lineup can be pinned", product_id=product.id)
    if show.status is ShowStatus.ENDED:
        raise ShowEnded("the show has ended", show_id=show.id)


@routes.get("/api/shows/{show_id}/pins")
async def list_pins(request: web.Request) -> web.Response:
    show = await show_or_404(request)
    pins = await request.app[keys.SERVICES].store.active_pins(show.id)
    return web.json_response({"pins": [pin.public() for pin in pins]})


@routes.post("/api/shows/{show_id}/pins")
async def pin(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST, Role.BRAND)
    show = await show_or_404(request)
    body = await parse(request, PinCreate)
    product = await product_or_404(request, body.product_id)
    await _check(request, account, show, product)
    pinned, new = await request.app[keys.SERVICES].store.pin_product(show.id, product.id)
    if new:
        request.app[keys.SERVICES].bus.publish(
            Pinned(
                show_id=show.id, product=pinned.product.public(), pinned_at=rfc3339(pinned.pinned_at) or ""
            )
        )
    return web.json_response({**pinned.public(), "pinned": new}, status=201 if new else 200)


@routes.delete("/api/shows/{show_id}/pins/{product_id}")
async def unpin(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST, Role.BRAND)
    show = await show_or_404(request)
    product = await product_or_404(request, request.match_info["product_id"])
    await _check(request, account, show, product)
    if await request.app[keys.SERVICES].store.unpin_product(show.id, product.id):
        request.app[keys.SERVICES].bus.publish(Unpinned(show_id=show.id, product_id=product.id))
    return web.Response(status=204)
