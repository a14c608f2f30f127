"""The one app factory: `create_app(settings)` registers the routes and one cleanup context that builds,
starts and stops every service (livecart/services.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from livecart import keys
from livecart.api import (
    accounts,
    carts,
    catalog,
    checkout,
    connect,
    earnings,
    orders,
    payouts,
    pins,
    posters,
    profiles,
    replay,
    reviews,
    selling,
    shows,
    stats,
    system,
    webhooks,
)  # fmt: skip
from livecart.clock import Clock, SystemClock
from livecart.commerce.payments import PaymentProvider
from livecart.config import Settings
from livecart.http.errors import error_middleware
from livecart.http.websecurity import cors_middleware, security_headers
from livecart.live.server import LiveSocketServer, create_socket_server
from livecart.media import whep, whip
from livecart.services import Services
from livecart.web import setup_web

# Every HTTP route table; a new service's routes join this list.
ROUTES: tuple[web.RouteTableDef, ...] = (
    system.routes,
    accounts.routes,
    catalog.routes,
    shows.routes,
    posters.routes,
    pins.routes,
    carts.routes,
    checkout.routes,
    profiles.routes,
    selling.routes,
    orders.routes,
    earnings.routes,
    stats.routes,
    connect.routes,
    payouts.routes,
    reviews.routes,
    whip.routes,
    whep.routes,
    replay.routes,
    webhooks.routes,
)


def create_app(
    settings: Settings, *, clock: Clock | None = None, payments: PaymentProvider | None = None
) -> web.Application:
    """The application: routes, the Socket.IO server at /socket.io/, the pages, and the services (built
    when the app starts, with `clock` or the system clock, and `payments` or the test provider)."""
    app = web.Application(middlewares=[cors_middleware, error_middleware], client_max_size=settings.max_body_bytes)
    app[keys.SETTINGS] = settings
    for table in ROUTES:
        app.add_routes(table)
    sio = create_socket_server(settings)
    sio.attach(app, socketio_path="socket.io")
    app.on_response_prepare.append(security_headers)
    setup_web(app)
    app.cleanup_ctx.append(services_context(settings, clock or SystemClock(), sio, payments))
    app.on_shutdown.append(close_connections)
    return app


def services_context(
    settings: Settings, clock: Clock, sio: LiveSocketServer, payments: PaymentProvider | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def run_services(app: web.Application) -> AsyncIterator[None]:
        services = await Services.open(settings, clock=clock, sio=sio, payments=payments)
        app[keys.SERVICES] = services
        try:
            await services.start()
        except BaseException:  # a start that failed half-way still closes what it opened
            await services.stop()
            raise
        yield
        await services.stop()

    return run_services


async def close_connections(app: web.Application) -> None:
    """`on_shutdown` runs before the cleanup contexts: open websockets and peers are closed first."""
    if keys.SERVICES in app:
        await app[keys.SERVICES].close_connections()
