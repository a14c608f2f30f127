"""The HTTP API under /api/, plus /healthz and /metrics."""

from __future__ import annotations

from aiohttp import web

from livecart.api import accounts, catalog, shows, system


def setup_routes(app: web.Application) -> None:
    app.add_routes(system.routes)
    app.add_routes(accounts.routes)
    app.add_routes(catalog.routes)
    app.add_routes(shows.routes)
