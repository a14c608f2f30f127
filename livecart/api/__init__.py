"""The HTTP API under /api/, plus /healthz and /metrics."""

from __future__ import annotations

from aiohttp import web

from livecart.api import accounts, carts, catalog, checkout, earnings, orders, pins, shows, stats, system


def setup_routes(app: web.Application) -> None:
    app.add_routes(system.routes)
    app.add_routes(accounts.routes)
    app.add_routes(catalog.routes)
    app.add_routes(shows.routes)
    for commerce in (pins, carts, checkout, orders, earnings, stats):
        app.add_routes(commerce.routes)
    checkout.setup_checkout(app)
