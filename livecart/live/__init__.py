"""The live room: Socket.IO (msgpack, websocket) on the aiohttp app, one room per show.

`setup_live(app)` attaches the server at `/socket.io/` and registers its cleanup context. The fan-out
is `FastManager` in one process, or `FastRedisManager` when `LIVECART_FANOUT_URL` (default: the store
URL when that is Redis) names a Redis server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from livecart import keys
from livecart.live.manager import FastRedisManager
from livecart.live.server import create_live_server

__all__ = ["setup_live"]


def setup_live(app: web.Application) -> None:
    settings = app[keys.SETTINGS]
    sio, service = create_live_server(app, settings)
    app[keys.LIVE] = service
    metrics = app[keys.METRICS]
    metrics.gauge("livecart_live_members", "Socket.IO connections on this node that joined a show.",
                  lambda: len(service.members))
    metrics.gauge("livecart_live_rooms", "Shows with a live room on this node.", lambda: len(service.rooms))

    async def live_context(app: web.Application) -> AsyncIterator[None]:
        unsubscribe = app[keys.BUS].subscribe(service.on_bus_event)
        if not sio.manager_initialized:  # subscribe to the fan-out now, not on the first connection
            sio.manager_initialized = True
            sio.manager.initialize()
        service.start()
        yield
        unsubscribe()
        await service.stop()
        await sio.shutdown()
        if isinstance(sio.manager, FastRedisManager):
            await sio.manager.close()

    async def close_websockets(app: web.Application) -> None:
        await service.close_connections()

    app.cleanup_ctx.append(live_context)
    app.on_shutdown.append(close_websockets)
