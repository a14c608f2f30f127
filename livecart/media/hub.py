"""The media hub: every broadcast on this node, the viewer capacity, and the publisher watchdog.

A broadcast outlives its publisher: when the publisher leaves (WHIP `DELETE`) or is lost past the grace
period, the show is paused (`on_paused`) and the broadcast keeps its viewers' peers, so the next
publish of the same host carries on where it stopped (`on_live` again). The broadcast is retired when
the show ends (`retire`, called by the composition root when a show ended anywhere)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from aiortc import RTCConfiguration

from livecart.media.broadcast import Broadcast, Publisher, Viewer
from livecart.media.media_clock import MediaClock
from livecart.media.native_writer import rtp_path, writer_factory
from livecart.media.recorder import Recording, Recordings
from livecart.media.relay import DeliveryTotals

log = logging.getLogger(__name__)

WATCHDOG_INTERVAL_SECONDS = 0.25
CAPACITY_RETRY_AFTER_SECONDS = 10

ShowCallback = Callable[[str], Awaitable[None]]


class NotLive(Exception):
    """The show has no broadcast on this node."""


class PublisherBusy(Exception):
    """The show already has a live publisher."""


class AtCapacity(Exception):
    """This node serves as many viewers as it is configured to."""


class MediaHub:
    def __init__(
        self,
        config: RTCConfiguration,
        *,
        max_viewers: int,
        grace_seconds: float,
        on_live: ShowCallback,
        on_paused: ShowCallback,
        recordings: Recordings | None = None,
        viewer_connect_s: float = 10.0,
        fastpath: str = "auto",
    ) -> None:
        self._config = config
        self.recordings = recordings  # None: recording off (LIVECART_RECORDINGS empty)
        self.rtp_path = rtp_path(fastpath)  # "native" or "python": which RTP writer the viewers get
        self._make_writer = writer_factory(fastpath)
        self.max_viewers = max_viewers
        self.grace_seconds = grace_seconds
        self.viewer_connect_s = viewer_connect_s  # LIVECART_WHEP_CONNECT_S: ICE must complete within it
        self._on_live = on_live
        self._on_paused = on_paused
        self._broadcasts: dict[str, Broadcast] = {}
        self._watchdog: asyncio.Task[None] | None = None
        self._retired = DeliveryTotals()  # of broadcasts that ended on this node

    @property
    def show_count(self) -> int:
        return len(self._broadcasts)

    @property
    def viewer_count(self) -> int:
        return sum(len(broadcast.viewers) for broadcast in self._broadcasts.values())

    @property
    def connected_viewer_count(self) -> int:
        """Viewers whose ICE completed: only they count against LIVECART_MAX_VIEWERS, so offers that
        never start ICE cannot take real viewers' slots (they are dropped after `viewer_connect_s`)."""
        return sum(
            1 for broadcast in self._broadcasts.values() for viewer in broadcast.viewers.values() if viewer.connected()
        )

    def show_ids(self) -> list[str]:
        """The shows this node holds a broadcast of (live or paused)."""
        return list(self._broadcasts)

    def broadcast(self, show_id: str) -> Broadcast | None:
        return self._broadcasts.get(show_id)

    def media_clock(self, show_id: str) -> MediaClock | None:
        """The show's media clock while it is broadcast on this node (livecart/media/media_clock.py)."""
        broadcast = self._broadcasts.get(show_id)
        return None if broadcast is None else MediaClock(broadcast.relay)

    def rtp_time(self, show_id: str) -> int | None:
        """The `media_time` of a timed room event happening now (docs/media.md, "Media time"): the RTP
        timestamp of the video frame this node is forwarding for the show, None when it broadcasts none.
        Pins and the selling formats stamp their room events with it (one helper for all of them)."""
        broadcast = self._broadcasts.get(show_id)
        if broadcast is None:
            return None
        now = MediaClock(broadcast.relay).now()
        return None if now is None else now.rtp_timestamp

    def recording_ms(self, show_id: str) -> int | None:
        """Where the show's recording is now, in ms from its start (None when not recorded on this node):
        the replay timeline's `at_ms`."""
        broadcast = self._broadcasts.get(show_id)
        if broadcast is None:
            return None
        now = MediaClock(broadcast.relay).now()
        return None if now is None else now.recording_ms

    def recording(self, show_id: str) -> Recording | None:
        """The show's recording being written on this node, if any."""
        broadcast = self._broadcasts.get(show_id)
        return None if broadcast is None else broadcast.relay.recording

    def start(self) -> None:
        if self._watchdog is None:
            self._watchdog = asyncio.ensure_future(self._watch())

    async def publish(self, show_id: str, host_id: str, offer: str) -> Publisher:
        """Start (or take over) a show's broadcast from a WHIP offer. Raises OfferError, PublisherBusy."""
        if self._busy(show_id, host_id):
            raise PublisherBusy(show_id)
        publisher = await Publisher.negotiate(self._config, offer)
        if self._busy(show_id, host_id):  # negotiation awaited: look again
            await publisher.close()
            raise PublisherBusy(show_id)
        existing = self._broadcasts.get(show_id)
        if existing is not None and existing.can_replace_publisher(publisher.codecs):
            await existing.replace_publisher(publisher)
            if existing.paused:
                existing.paused = False
                await self._on_live(show_id)
            return publisher
        if existing is not None:  # other codecs: viewers must renegotiate, so they are closed
            del self._broadcasts[show_id]
            await self._retire(existing)
        broadcast = self._broadcasts[show_id] = Broadcast(show_id, host_id, publisher, self._make_writer)
        if self.recordings is not None:  # replay hook: one file per show (a new part if codecs changed)
            broadcast.relay.recording = self.recordings.start(show_id, publisher.codecs)
        if existing is None or existing.paused:
            await self._on_live(show_id)
        return publisher

    def _busy(self, show_id: str, host_id: str) -> bool:
        """Another host's broadcast, or this host's with a publisher still alive."""
        existing = self._broadcasts.get(show_id)
        return existing is not None and (
            existing.host_id != host_id or (not existing.paused and existing.publisher.alive(time.monotonic()))
        )

    async def unpublish(self, show_id: str, session_id: str) -> bool:
        """The publisher leaves (WHIP DELETE): its peer is closed and the show paused."""
        broadcast = self._broadcasts.get(show_id)
        if broadcast is None or broadcast.publisher.session_id != session_id or broadcast.paused:
            return False
        await broadcast.publisher.close()
        await self._pause(broadcast)
        return True

    async def _pause(self, broadcast: Broadcast) -> None:
        broadcast.paused = True
        broadcast.lost_since = None
        await self._on_paused(broadcast.show_id)

    async def retire(self, show_id: str) -> None:
        """The show ended: close its publisher's and viewers' peers here (no callback)."""
        broadcast = self._broadcasts.pop(show_id, None)
        if broadcast is not None:
            await self._retire(broadcast)

    async def end_shows(self, show_ids: list[str]) -> None:
        """Retire these shows' broadcasts here (others handled them while this node was cut off)."""
        for show_id in show_ids:
            await self.retire(show_id)

    async def _retire(self, broadcast: Broadcast) -> None:
        recording = broadcast.relay.recording
        if recording is not None and self.recordings is not None:  # replay hook: finish the file
            self.recordings.stop(recording)
        try:
            await broadcast.close()
        finally:
            self._retired.add(broadcast.relay.totals())

    def totals(self) -> DeliveryTotals:
        """What this node's relays wrote to viewers since it started (for /metrics)."""
        totals = DeliveryTotals()
        totals.add(self._retired)
        for broadcast in self._broadcasts.values():
            totals.add(broadcast.relay.totals())
        return totals

    async def watch(self, show_id: str, offer: str) -> Viewer:
        """Add a viewer from a WHEP offer. Raises NotLive, AtCapacity, OfferError."""
        broadcast = self._broadcasts.get(show_id)
        if broadcast is None:
            raise NotLive(show_id)
        if self.connected_viewer_count >= self.max_viewers:
            raise AtCapacity(show_id)
        return await broadcast.add_viewer(self._config, offer)

    async def leave(self, show_id: str, session_id: str) -> bool:
        broadcast = self._broadcasts.get(show_id)
        return broadcast is not None and await broadcast.remove_viewer(session_id)

    async def _watch(self) -> None:
        """Drop viewers whose peers died; pause shows whose publisher stayed lost past the grace period."""
        while True:
            await asyncio.sleep(WATCHDOG_INTERVAL_SECONDS)
            now = time.monotonic()
            for show_id, broadcast in list(self._broadcasts.items()):
                try:
                    for session_id in broadcast.dead_viewers(now, self.viewer_connect_s):
                        await broadcast.remove_viewer(session_id)
                    if broadcast.paused:
                        continue
                    if broadcast.publisher.alive(now):
                        broadcast.lost_since = None
                    elif broadcast.lost_since is None:
                        log.info(
                            "show %s: publisher lost; pausing in %.1fs unless it returns", show_id, self.grace_seconds
                        )
                        broadcast.lost_since = now
                    elif now - broadcast.lost_since >= self.grace_seconds:
                        log.info("show %s: publisher lost; the show is paused", show_id)
                        await self._pause(broadcast)
                except Exception:
                    log.exception("media watchdog failed on show %s", show_id)

    async def close(self) -> None:
        """Close every peer (graceful shutdown). Shows are not marked ended: the node is only stopping."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
            self._watchdog = None
        broadcasts = list(self._broadcasts.values())
        self._broadcasts.clear()
        await asyncio.gather(*(self._retire(broadcast) for broadcast in broadcasts), return_exceptions=True)
        if self.recordings is not None:  # replay hook: the writer threads finish their files
            await asyncio.to_thread(self.recordings.close)
