"""The catalog: brands create and edit their own products; anyone reads. A stock change reaches the live
rooms of the shows featuring the product (livecart/commerce/stock_news.py)."""

from __future__ import annotations

from aiohttp import web

from livecart import keys
from livecart.api.schemas import ProductCreate, ProductPatch
from livecart.domain.errors import BadRequest, Forbidden, NotFound
from livecart.domain.models import Product, ProductDraft, Role
from livecart.http.auth import require
from livecart.http.parsing import parse

routes = web.RouteTableDef()


async def product_or_404(request: web.Request, product_id: str) -> Product:
    product = await request.app[keys.SERVICES].store.get_product(product_id)
    if product is None:
        raise NotFound("no such product", product_id=product_id)
    return product


@routes.post("/api/products")
async def create_product(request: web.Request) -> web.Response:
    brand = await require(request, Role.BRAND)
    if brand.role is not Role.BRAND:
        raise Forbidden("only a brand may create products (admin cannot own a catalog)")
    body = await parse(request, ProductCreate)
    product = await request.app[keys.SERVICES].store.create_product(brand.id, ProductDraft(**body.model_dump()))
    return web.json_response(product.public(), status=201)


@routes.get("/api/products")
async def list_products(request: web.Request) -> web.Response:
    brand_id = request.query.get("brand_id")
    products = await request.app[keys.SERVICES].store.list_products(brand_id)
    return web.json_response({"products": [product.public() for product in products]})


@routes.get("/api/products/{product_id}")
async def get_product(request: web.Request) -> web.Response:
    product = await product_or_404(request, request.match_info["product_id"])
    summary = await request.app[keys.SERVICES].reviews.summary(product.id)
    return web.json_response({**product.public(), "reviews": summary.public()})


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
    updated = await request.app[keys.SERVICES].store.update_product(product.id, changes)
    if "stock" in changes:
        await request.app[keys.SERVICES].stock_news.announce(updated.id, updated.stock)
    return web.json_response(updated.public())
