"""Video: WHIP ingest, WHEP playback, and a relay that forwards the publisher's encoded frames.

The composition root (livecart/services.py) builds the `MediaHub` (and `EdgeRelays` with
LIVECART_EDGE=1); the routes are `whip.routes` and `whep.routes`. What a show's publisher appearing or
being lost means for the show is the show lifecycle's business (livecart/lifecycle.py).
"""

from __future__ import annotations

import logging

import aiortc

from livecart.media import aiortc_adapter, native_writer
from livecart.media.hub import MediaHub
from livecart.media.native_writer import NATIVE
from livecart.metrics import Metrics

log = logging.getLogger(__name__)


def check_aiortc() -> None:
    """Fail now if aiortc's internals the relay taps are gone; warn for an unverified version."""
    aiortc_adapter.verify()
    if not aiortc_adapter.version_is_verified():
        log.warning("aiortc %s is not a version the forwarding relay was verified with", aiortc.__version__)


def check_rtp_path(fastpath: str) -> None:
    """Warn when LIVECART_MEDIA_FASTPATH=auto finds no C fast path (it was not built at install)."""
    if fastpath == "auto" and native_writer.rtp_path(fastpath) != NATIVE:
        log.warning(
            "the relay's C fast path is not built (%s): viewers' RTP is written in Python", native_writer.IMPORT_ERROR
        )


def observe_media(metrics: Metrics, hub: MediaHub) -> None:
    metrics.gauge("livecart_media_shows", "Shows published to this node (WHIP publishers).", lambda: hub.show_count)
    metrics.gauge("livecart_media_viewers", "WHEP viewers of this node's shows.", lambda: hub.viewer_count)
    metrics.info(
        "livecart_media_rtp_path",
        "Which RTP writer this node's viewers get: native (the C fast path) or python (LIVECART_MEDIA_FASTPATH).",
        {"path": hub.rtp_path},
    )
    metrics.counter("livecart_media_frames_sent", "Frames written to viewers.", lambda: hub.totals().frames_sent)
    metrics.counter(
        "livecart_media_frames_dropped",
        "Frames a viewer lost: its socket was full, or it waited for a keyframe after that.",
        lambda: hub.totals().frames_dropped,
    )
    metrics.counter(
        "livecart_media_frames_shed",
        "Publisher frames not written to any viewer: they reached the relay too late (a backlog "
        "in its socket: the server is short of CPU).",
        lambda: hub.totals().frames_shed,
    )
    metrics.counter(
        "livecart_media_rtp_packets_sent", "RTP packets written to viewers.", lambda: hub.totals().packets_sent
    )
    metrics.counter(
        "livecart_media_rtp_packets_retransmitted",
        "RTP packets sent again on a viewer's NACK.",
        lambda: hub.totals().packets_retransmitted,
    )
