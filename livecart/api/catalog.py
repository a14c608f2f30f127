"""The catalog: brands create and edit their own products; anyone reads. A stock change reaches the live
rooms of the shows featuring the product (`publish_stock`)."""

from __future__ import annotations

from aiohttp import web

from livecart import keys
from livecart.api.auth import require
from livecart.api.schemas import ProductCreate, ProductPatch, parse
from livecart.domain.errors import BadRequest, Forbidden, NotFound
from livecart.domain.events import StockChanged
from livecart.domain.models import Product, ProductDraft, Role, ShowStatus

routes = web.RouteTableDef()


async def publish_stock(app: web.Application, product_id: str, stock: int, *, show_id: str | None = None) -> None:
    """Announce a product's new stock (`StockChanged`, the room's `stock` event) in every show whose lineup
    holds it and that has not ended — the join snapshot's `stock` lists the lineup, so the event keeps
    it true — and in `show_id` (where a refund happened) in any case."""
    featuring = await app[keys.STORE].shows_featuring(product_id)
    shows = {show.id for show in featuring if show.status is not ShowStatus.ENDED}
    if show_id is not None:
        shows.add(show_id)
    for featured in sorted(shows):
        app[keys.BUS].publish(StockChanged(show_id=featured, product_id=product_id, stock=stock))


async def product_or_404(request: web.Request, product_id: str) -> Product:
    product = await request.app[keys.STORE].get_product(product_id)
    if product is None:
        raise NotFound("no such product", product_id=product_id)
    return product


@routes.post("/api/products")
async def create_product(request: web.Request) -> web.Response:
    brand = await require(request, Role.BRAND)
    if brand.role is not Role.BRAND:
        raise Forbidden("only a brand may create products (admin cannot own a catalog)")
    body = await parse(request, ProductCreate)
    product = await request.app[keys.STORE].create_product(brand.id, ProductDraft(**body.model_dump()))
    return web.json_response(product.public(), status=201)


@routes.get("/api/products")
async def list_products(request: web.Request) -> web.Response:
    brand_id = request.query.get("brand_id")
    products = await request.app[keys.STORE].list_products(brand_id)
    return web.json_response({"products": [product.public() for product in products]})


@routes.get("/api/products/{product_id}")
async def get_product(request: web.Request) -> web.Response:
    product = await product_or_404(request, request.match_info["product_id"])
    return web.json_response(product.public())


@routes.patch("/api/products/{product_id}")
async def patch_product(request: web.Request) -> web.Response:
    account = await require(request, Role.BRAND)
    product = await product_or_404(request, request.match_info["product_id"])
    if account.role is Role.BRAND and product.brand_id != account.id:
        raise Forbidden("a brand may edit only its own products")
    body = await parse(request, ProductPatch)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise BadRequest("nothing to change", fields={"body": "give at least one field to change"})
    updated = await request.app[keys.STORE].update_product(product.id, changes)
    if "stock" in changes:
        await publish_stock(request.app, updated.id, updated.stock)
    return web.json_response(updated.public())
