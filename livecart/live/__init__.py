"""The live room: Socket.IO (msgpack, websocket) on the aiohttp app, one room per show.

`server.create_socket_server(settings)` builds the transport, `service.LiveService` handles its
events; both are built by the composition root (livecart/services.py). The fan-out is `FastManager` in
one process, or `FastRedisManager` when `LIVECART_FANOUT_URL` (default: the store URL when that is
Redis) names a Redis server.
"""

from __future__ import annotations

from livecart.live.service import LiveService
from livecart.metrics import Metrics

__all__ = ["observe_live"]


def observe_live(metrics: Metrics, service: LiveService) -> None:
    metrics.gauge(
        "livecart_live_members", "Socket.IO connections on this node that joined a show.", lambda: len(service.members)
    )
    metrics.gauge("livecart_live_rooms", "Shows with a live room on this node.", lambda: len(service.rooms))
