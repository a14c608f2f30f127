"""Live show statistics: the audience (from the live room's counters) and per-product commerce figures."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from livecart import keys
from livecart.api.shows import show_or_404
from livecart.commerce.connect import may_host
from livecart.domain.errors import Forbidden
from livecart.domain.models import Role, ShowStatus, rfc3339
from livecart.domain.stats import ProductStats, product_stats
from livecart.http.auth import require
from livecart.trust.signals import LABEL_SECRET

routes = web.RouteTableDef()

__all__ = ["LABEL_SECRET", "routes"]  # LABEL_SECRET: the store secret keying the address labels (trust/signals.py)


def totals(rows: list[ProductStats]) -> list[dict[str, Any]]:
    """Sums per currency (units and money never mix currencies)."""
    by_currency: dict[str, dict[str, Any]] = {}
    for row in rows:
        total = by_currency.setdefault(
            row.currency,
            {
                "currency": row.currency,
                "units": 0,
                "gross_cents": 0,
                "refunded_cents": 0,
                "net_cents": 0,
                "by_source": {source: dict.fromkeys(figures, 0) for source, figures in row.by_source.items()},
            },
        )
        for source, figures in row.by_source.items():
            for name, value in figures.items():
                total["by_source"][source][name] += value
        total["units"] += row.units
        total["gross_cents"] += row.gross_cents
        total["refunded_cents"] += row.refunded_cents
        total["net_cents"] += row.net_cents
    return list(by_currency.values())


@routes.get("/api/shows/{show_id}/stats")
async def stats(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST, Role.BRAND)
    show = await show_or_404(request)
    store = request.app[keys.SERVICES].store
    products = await store.lineup(show.id)
    if account.role is Role.BRAND:
        products = [product for product in products if product.brand_id == account.id]
        if not products:
            raise Forbidden("only brands in the show's lineup may read its stats")
    elif account.role is Role.HOST and not await may_host(store, show, account):
        raise Forbidden("only the show's host may read its stats")
    now = request.app[keys.SERVICES].clock.now()
    until = show.ended_at if show.status is ShowStatus.ENDED and show.ended_at else now
    orders = await store.show_orders(show.id)
    rows = product_stats(products, await store.pin_log(show.id), await store.cart_activity(show.id), orders, until)
    audience = await store.audience(show.id)
    return web.json_response(
        {
            "show_id": show.id,
            "status": show.status.value,
            "at": rfc3339(now),
            **audience.public(),
            "products": [row.public() for row in rows],
            "totals": totals(rows),
            "signals": await request.app[keys.SERVICES].signals.for_show(
                show, account.id if account.role is Role.BRAND else None, orders
            ),
        }
    )
