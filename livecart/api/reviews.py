"""Reviews over HTTP: verified buyers write them, anyone reads them (a page at a time, with the summary),
the product's brand replies once and reports, an admin hides with a reason. There is no DELETE: a brand
cannot remove a review (405). Also the per-product trust signals for the brand and admin."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import Field, StrictInt

from livecart import keys
from livecart.api.checkout import client_ip_of
from livecart.api.orders import page_limit
from livecart.api.schemas import Id
from livecart.domain.errors import Forbidden
from livecart.domain.models import Account, Role, rfc3339
from livecart.domain.reviews import Review
from livecart.http.auth import optional_account, require
from livecart.http.parsing import Body, parse

routes = web.RouteTableDef()

TEXT_LIMIT = 20_000  # characters accepted before cleaning; the cleaned text must fit 2,000 (domain/reviews.py)


class ReviewCreate(Body):
    rating: Annotated[StrictInt, Field(ge=1, le=5)]
    text: Annotated[str, Field(max_length=TEXT_LIMIT)] | None = None
    order_id: Id


class ReplyCreate(Body):
    text: Annotated[str, Field(max_length=TEXT_LIMIT)]


class Reason(Body):
    reason: Annotated[str, Field(max_length=TEXT_LIMIT)]


def view_for(account: Account | None, review: Review) -> dict[str, Any]:
    """Admin sees everything but the address; the product's brand also the order, show and reports;
    everyone else the public view."""
    if account is not None and account.role is Role.ADMIN:
        return review.admin_view()
    if account is not None and account.id == review.brand_id:
        return review.brand_view()
    return review.public()


@routes.post("/api/products/{product_id}/reviews")
async def write_review(request: web.Request) -> web.Response:
    buyer = await require(request, Role.VIEWER)
    body = await parse(request, ReviewCreate)
    review = await request.app[keys.SERVICES].reviews.write(
        buyer, request.match_info["product_id"], body.order_id, body.rating, body.text, client_ip_of(request)
    )
    return web.json_response(view_for(buyer, review), status=201)


@routes.get("/api/products/{product_id}/reviews")
async def list_reviews(request: web.Request) -> web.Response:
    account = await optional_account(request)
    reviews = request.app[keys.SERVICES].reviews
    product_id = request.match_info["product_id"]
    limit = page_limit(request)
    page, next_before = await reviews.page(product_id, limit, request.query.get("before"))
    summary = await reviews.summary(product_id)
    return web.json_response(
        {
            "product_id": product_id,
            "summary": summary.public(),
            "reviews": [view_for(account, review) for review in page],
            "next_before": next_before,
        }
    )


@routes.get("/api/products/{product_id}/reviewable")
async def reviewable(request: web.Request) -> web.Response:
    buyer = await require(request, Role.VIEWER)
    product_id = request.match_info["product_id"]
    order_ids = await request.app[keys.SERVICES].reviews.reviewable(buyer, product_id)
    return web.json_response({"product_id": product_id, "order_ids": order_ids})


@routes.get("/api/reviews/{review_id}")
async def get_review(request: web.Request) -> web.Response:
    account = await optional_account(request)
    review = await request.app[keys.SERVICES].reviews.review(request.match_info["review_id"])
    return web.json_response(view_for(account, review))


@routes.post("/api/reviews/{review_id}/reply")
async def reply(request: web.Request) -> web.Response:
    account = await require(request, Role.BRAND)
    body = await parse(request, ReplyCreate)
    review = await request.app[keys.SERVICES].reviews.reply(account, request.match_info["review_id"], body.text)
    return web.json_response(view_for(account, review), status=201)


@routes.post("/api/reviews/{review_id}/report")
async def report(request: web.Request) -> web.Response:
    account = await require(request, Role.BRAND)
    body = await parse(request, Reason)
    review, added = await request.app[keys.SERVICES].reviews.report(
        account, request.match_info["review_id"], body.reason
    )
    return web.json_response({"review": view_for(account, review), "reported": added}, status=201 if added else 200)


@routes.post("/api/reviews/{review_id}/hide")
async def hide(request: web.Request) -> web.Response:
    account = await require(request)  # admin only
    body = await parse(request, Reason)
    review = await request.app[keys.SERVICES].reviews.hide(request.match_info["review_id"], body.reason)
    return web.json_response(view_for(account, review))


@routes.get("/api/products/{product_id}/signals")
async def product_signals(request: web.Request) -> web.Response:
    account = await require(request, Role.BRAND)
    services = request.app[keys.SERVICES]
    product = await services.reviews.product(request.match_info["product_id"])
    if account.role is Role.BRAND and product.brand_id != account.id:
        raise Forbidden("only the product's brand may read its signals")
    return web.json_response(
        {
            "product_id": product.id,
            "at": rfc3339(services.clock.now()),
            "signals": await services.signals.for_product(product),
        }
    )
