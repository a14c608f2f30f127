"""Checkout with a required `Idempotency-Key`, and the wiring of the checkout service.

The key is scoped to the viewer. The request is identified by a SHA-256 of the show id and the
canonical JSON of the validated body. The first response after the key is claimed is saved and
replayed byte for byte (with `Idempotent-Replayed: true`) for the same key and body; the same key
with another body gets 422 `idempotency_mismatch`; while the first request runs, 409
`idempotency_in_progress`. A request rejected before the key is claimed (401, 400) saves nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from aiohttp import web
from pydantic import Field

from livecart import keys
from livecart.api.carts import viewer
from livecart.api.errors import status_for
from livecart.api.schemas import Body, Name, parse
from livecart.api.shows import show_or_404
from livecart.checkout import Checkout, CheckoutRequest
from livecart.domain.cart import CartRules
from livecart.domain.client_ip import client_ip
from livecart.domain.commerce import StoredResponse
from livecart.domain.errors import BadRequest
from livecart.domain.models import utcnow
from livecart.payments import TestPaymentProvider
from livecart.retention import Retention
from livecart.stock_news import StockNews
from livecart.store import STORE_UNAVAILABLE

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, like Stripe's keys
RECOVERY_INTERVAL_S = 60.0  # at most; shorter when LIVECART_RECOVERY_GRACE_S is under two minutes

Line = Annotated[str, Field(min_length=1, max_length=200)]


class Shipping(Body):
    name: Name
    line1: Line
    line2: Line | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)]
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class Payment(Body):
    method: Literal["test"]
    card_number: Annotated[str, Field(pattern=r"^[0-9][0-9 ]{10,22}[0-9]$")]


class CheckoutBody(Body):
    shipping: Shipping
    payment: Payment


def idempotency_key(request: web.Request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        raise BadRequest("checkout needs an Idempotency-Key header", fields={IDEMPOTENCY_HEADER: "required"})
    if not IDEMPOTENCY_KEY.match(key):
        raise BadRequest(
            "the Idempotency-Key header is not valid",
            fields={IDEMPOTENCY_HEADER: "1 to 255 visible ASCII characters, e.g. a UUID"},
        )
    return key


def request_hash(show_id: str, body: CheckoutBody) -> str:
    canonical = json.dumps(
        {"show_id": show_id, "body": body.model_dump()}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def client_ip_of(request: web.Request) -> str | None:
    """The buyer's address, with `X-Forwarded-For` believed only from LIVECART_TRUSTED_PROXIES."""
    trusted = request.app[keys.SETTINGS].trusted_proxies
    return client_ip(request.remote, request.headers.getall("X-Forwarded-For", ()), trusted)


def send(response: StoredResponse, *, replayed: bool) -> web.Response:
    sent = web.Response(status=response.status, text=response.body, content_type="application/json")
    if replayed:
        sent.headers["Idempotent-Replayed"] = "true"
    return sent


@routes.post("/api/shows/{show_id}/checkout")
async def checkout(request: web.Request) -> web.Response:
    account = await viewer(request)
    show = await show_or_404(request)
    key = idempotency_key(request)
    body = await parse(request, CheckoutBody)
    shipping = {name: value for name, value in body.shipping.model_dump().items() if value is not None}
    response, replayed = await request.app[keys.CHECKOUT].run(
        show,
        account,
        key,
        request_hash(show.id, body),
        CheckoutRequest(shipping=shipping, card_number=body.payment.card_number, client_ip=client_ip_of(request)),
        status_for,
    )
    request.app[keys.METRICS].checkouts.labels(str(response.status), str(replayed).lower()).inc()
    return send(response, replayed=replayed)


def setup_checkout(app: web.Application) -> None:
    """The payment provider (the test one unless already set) and the checkout service with recovery."""
    app.cleanup_ctx.append(checkout_context)


async def checkout_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    if keys.PAYMENTS not in app:
        path = Path(settings.test_payments_file) if settings.test_payments_file else None
        app[keys.PAYMENTS] = TestPaymentProvider(path=path)
    news = StockNews(app[keys.STORE], app[keys.BUS])
    service = Checkout(
        app[keys.STORE],
        app[keys.PAYMENTS],
        app[keys.BUS],
        CartRules(max_qty_per_buyer=settings.max_qty_per_buyer, platform_fee_bps=settings.platform_fee_bps),
        news,
    )
    app[keys.CHECKOUT] = service
    # One SQLite node owns its file: anything pending at start-up was interrupted. Redis is shared by
    # running nodes, so only checkouts pending longer than the grace period are taken over.
    # A checkout pending longer than the grace period has lost its process.
    grace = timedelta(seconds=settings.recovery_grace_s)
    retention = Retention(timedelta(hours=settings.idempotency_retention_h),
                          timedelta(days=settings.client_ip_retention_days))
    embedded = settings.store.startswith("sqlite:")
    await service.recover(utcnow() - (timedelta(0) if embedded else grace))
    await retention.apply(service.store)
    task = asyncio.create_task(_recover_periodically(service, grace, retention))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await news.close()


async def _recover_periodically(service: Checkout, grace: timedelta, retention: Retention) -> None:
    interval = min(RECOVERY_INTERVAL_S, grace.total_seconds() / 2)
    while True:
        await asyncio.sleep(interval)
        try:
            await service.recover(utcnow() - grace)
            await retention.apply(service.store)
        except STORE_UNAVAILABLE as unavailable:
            log.warning("checkout recovery: store unreachable (%s); trying again in %.0f s", unavailable, interval)
        except Exception:
            log.exception("checkout recovery failed; trying again in %.0f s", interval)
