"""Video: WHIP ingest, WHEP playback, and a relay that forwards the publisher's encoded frames."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiortc
from aiohttp import web

from livecart import keys
from livecart.domain.errors import Conflict
from livecart.domain.events import ShowStatusChanged
from livecart.domain.models import ShowStatus
from livecart.media import aiortc_adapter, native_writer, whep, whip
from livecart.media.edge import EdgeRelays
from livecart.media.hub import MediaHub
from livecart.media.ice import rtc_configuration
from livecart.media.native_writer import NATIVE
from livecart.media.orphans import end_orphaned_shows_later
from livecart.metrics import Metrics

log = logging.getLogger(__name__)


def setup_media(app: web.Application) -> None:
    """Wire WHIP/WHEP routes and the media hub (its peers are closed on shutdown)."""
    aiortc_adapter.verify()
    if not aiortc_adapter.version_is_verified():
        log.warning("aiortc %s is not a version the forwarding relay was verified with", aiortc.__version__)
    app.router.add_routes(whip.routes)
    app.router.add_routes(whep.routes)
    app.cleanup_ctx.append(media_context)
    app.on_shutdown.append(close_peers)


async def media_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]

    async def on_live(show_id: str) -> None:
        await _set_status(app, show_id, ShowStatus.LIVE)

    async def on_ended(show_id: str) -> None:
        await _set_status(app, show_id, ShowStatus.ENDED)

    hub = MediaHub(
        rtc_configuration(settings),
        max_viewers=settings.max_viewers,
        grace_seconds=settings.publisher_grace_seconds,
        on_live=on_live,
        on_ended=on_ended,
        fastpath=settings.media_fastpath,
    )
    if settings.media_fastpath == "auto" and hub.rtp_path != NATIVE:
        log.warning("the relay's C fast path is not built (%s): viewers' RTP is written in Python",
                    native_writer.IMPORT_ERROR)
    app[keys.MEDIA] = hub
    hub.start()
    observe_media(app[keys.METRICS], hub)
    edge = None
    if settings.edge:
        edge = EdgeRelays(rtc_configuration(settings), max_viewers=settings.max_viewers,
                          fastpath=settings.media_fastpath)
        app[keys.EDGE] = edge
        edge.start()
    orphans = asyncio.ensure_future(end_orphaned_shows_later(
        settings.publisher_grace_seconds, app[keys.STORE], hub, lambda: app.get(keys.CLUSTER), on_ended,
    ))
    yield
    orphans.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await orphans
    if edge is not None:
        await edge.close()
    await hub.close()


def observe_media(metrics: Metrics, hub: MediaHub) -> None:
    metrics.gauge("livecart_media_shows", "Shows published to this node (WHIP publishers).", lambda: hub.show_count)
    metrics.gauge("livecart_media_viewers", "WHEP viewers of this node's shows.", lambda: hub.viewer_count)
    metrics.info("livecart_media_rtp_path", "Which RTP writer this node's viewers get: native (the C fast path) "
                 "or python (LIVECART_MEDIA_FASTPATH).", {"path": hub.rtp_path})
    metrics.counter("livecart_media_frames_sent", "Frames written to viewers.", lambda: hub.totals().frames_sent)
    metrics.counter("livecart_media_frames_dropped",
                    "Frames a viewer lost: its socket was full, or it waited for a keyframe after that.",
                    lambda: hub.totals().frames_dropped)
    metrics.counter("livecart_media_rtp_packets_sent", "RTP packets written to viewers.",
                    lambda: hub.totals().packets_sent)
    metrics.counter("livecart_media_rtp_packets_retransmitted", "RTP packets sent again on a viewer's NACK.",
                    lambda: hub.totals().packets_retransmitted)


async def close_peers(app: web.Application) -> None:
    if keys.EDGE in app:
        await app[keys.EDGE].close()
    await app[keys.MEDIA].close()


async def _set_status(app: web.Application, show_id: str, status: ShowStatus) -> None:
    """Move the show along and tell the live room; a show already there is left as it is."""
    try:
        await app[keys.STORE].set_show_status(show_id, status)
    except Conflict:
        show = await app[keys.STORE].get_show(show_id)
        if show is None or show.status is not status:
            log.warning("show %s could not become %s", show_id, status.value)
            return
    app[keys.BUS].publish(ShowStatusChanged(show_id=show_id, status=status.value))
