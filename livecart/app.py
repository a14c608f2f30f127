"""The one app factory: `create_app(settings)` wires store, event bus, metrics, API, live room, media and
the cluster node."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from livecart import keys
from livecart.api import setup_routes
from livecart.api.errors import error_middleware
from livecart.api.websecurity import setup_web_security
from livecart.bus import EventBus
from livecart.clock import SystemClock
from livecart.cluster import setup_cluster
from livecart.config import Settings
from livecart.live import setup_live
from livecart.media import setup_media
from livecart.metrics import Metrics
from livecart.store import open_store
from livecart.web import setup_web


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=settings.max_body_bytes)
    app[keys.SETTINGS] = settings
    app[keys.BUS] = EventBus()
    app[keys.METRICS] = Metrics()
    app.cleanup_ctx.append(store_context)
    setup_routes(app)
    setup_web_security(app)
    setup_live(app)
    setup_media(app)
    setup_web(app)
    setup_cluster(app)
    return app


async def store_context(app: web.Application) -> AsyncIterator[None]:
    store = await open_store(
        app[keys.SETTINGS].store, redis_timeout_s=app[keys.SETTINGS].redis_timeout_s, clock=SystemClock()
    )
    app[keys.STORE] = store
    yield
    await store.close()
