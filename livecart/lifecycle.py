"""A show's life after it is scheduled: going live, pausing when its publisher goes away, ending.

One service for every path that moves a show: the media hub's publisher appearing (`went_live`),
leaving or being lost past its grace period (`publisher_gone`: the show is `paused`, not ended — an
encoder that reconnects, OBS's "Stop Streaming", a host switching from the browser to OBS), a dead
cluster node's shows (`publisher_gone` too, called by the node registry's reaper), the host or admin
ending it (`end`, `POST /api/shows/{id}/end`), an account deleted (`end`), and a pause that lasted
`LIVECART_PAUSE_END_S` (ended by the sweep). A show is moved in the store first, then
`ShowStatusChanged` is published; a show already in the wanted state is announced again (a publisher
that reconnects to another node makes that node the show's origin), a show that cannot get there is
left as it is.

Across nodes everything the lifecycle decides is in the store, so every node's sweep (every
`SWEEP_S`) can act on it: a show paused longer than the pause limit is ended by whichever node looks
first (a second node's end is a no-op), and a node retires the broadcast of a show that another node
ended (`retire`). Orphans: a graceful stop closes the publisher's peer but does not change its show
(a host's encoder reconnects on its own). Whichever node starts next looks at the shows still `live`
after one grace period: a show no node is publishing by then is paused, as if its publisher had been
lost on a running node, and the pause limit ends it if nobody comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta

from livecart.bus import EventBus
from livecart.clock import Clock
from livecart.domain.errors import Conflict
from livecart.domain.events import ShowStatusChanged
from livecart.domain.models import Show, ShowStatus
from livecart.store import Store

log = logging.getLogger(__name__)

SWEEP_S = 5.0  # how often a node ends over-long pauses and retires broadcasts of shows ended elsewhere

Publishing = Callable[[str], bool]  # does this node publish the show?
OriginElsewhere = Callable[[str], Awaitable[object | None]]  # another node that publishes it, if any
Broadcasting = Callable[[], Iterable[str]]  # the shows this node holds a broadcast of
Retire = Callable[[str], Awaitable[None]]  # close this node's broadcast of an ended show


class ShowLifecycle:
    def __init__(
        self,
        store: Store,
        bus: EventBus,
        clock: Clock,
        *,
        grace_s: float,
        pause_end_s: float,
        sweep_s: float = SWEEP_S,
    ) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.grace_s = grace_s
        self.pause_end_s = pause_end_s
        self.sweep_s = sweep_s
        self.orphan_check: asyncio.Task[None] | None = None  # the one look for orphans after start-up
        self.sweeper: asyncio.Task[None] | None = None

    async def went_live(self, show_id: str) -> None:
        """The show's publisher is on this node."""
        await self._move(show_id, ShowStatus.LIVE)

    async def publisher_gone(self, show_id: str) -> None:
        """The show's publisher left or was lost, or the node that had it died: the show is paused."""
        await self._move(show_id, ShowStatus.PAUSED)

    async def end(self, show_id: str) -> Show | None:
        """End the show for good (its host or admin, an account deletion, the pause limit); returns it."""
        return await self._move(show_id, ShowStatus.ENDED)

    async def end_shows_of(self, host_id: str) -> list[str]:
        """A deleted host's shows that have not ended are ended (their broadcasts close); returns them."""
        ended = []
        for show in await self.store.list_shows():
            if show.host_id == host_id and show.status is not ShowStatus.ENDED:
                log.info("show %s ends: its host's account was deleted", show.id)
                await self.end(show.id)
                ended.append(show.id)
        return ended

    async def _move(self, show_id: str, status: ShowStatus) -> Show | None:
        try:
            show = await self.store.set_show_status(show_id, status)
        except Conflict:
            current = await self.store.get_show(show_id)
            if current is None or current.status is not status:
                log.info("show %s could not become %s", show_id, status.value)
                return current
            show = current
        self.bus.publish(ShowStatusChanged(show_id=show_id, status=status.value))
        return show

    # -- the sweep -----------------------------------------------------------------------------------
    async def sweep(self, broadcasting: Broadcasting, retire: Retire) -> list[str]:
        """End shows paused longer than the pause limit; retire this node's broadcasts of ended shows.
        Returns the ids of the shows it ended."""
        ended: list[str] = []
        limit = self.clock.now() - timedelta(seconds=self.pause_end_s)
        for show in await self.store.list_shows():
            if show.status is ShowStatus.PAUSED and show.paused_at is not None and show.paused_at <= limit:
                log.info("show %s was paused for %.0fs without a publisher: ending it", show.id, self.pause_end_s)
                await self.end(show.id)
                ended.append(show.id)
        for show_id in list(broadcasting()):
            current = await self.store.get_show(show_id)
            if current is None or current.status is ShowStatus.ENDED:
                await retire(show_id)
        return ended

    # -- orphans -------------------------------------------------------------------------------------
    async def pause_orphaned_shows(self, publishing: Publishing, origin_elsewhere: OriginElsewhere) -> list[str]:
        """Pause every `live` show that no node publishes; returns their ids."""
        paused: list[str] = []
        for show in await self.store.list_shows():
            if show.status is not ShowStatus.LIVE or publishing(show.id):
                continue
            try:
                if await origin_elsewhere(show.id) is not None:
                    continue
            except Exception as error:  # unsure (registry unreachable): leave it to the next start
                log.warning("could not check who publishes show %s: %s", show.id, error)
                continue
            log.info("show %s was left live by a stopped node and nobody publishes it: pausing it", show.id)
            await self.publisher_gone(show.id)
            paused.append(show.id)
        return paused

    def start(
        self, publishing: Publishing, origin_elsewhere: OriginElsewhere, broadcasting: Broadcasting, retire: Retire
    ) -> None:
        """Look for orphans once, one grace period from now; sweep every `sweep_s`."""
        self.orphan_check = asyncio.ensure_future(self._pause_orphans_later(publishing, origin_elsewhere))
        self.sweeper = asyncio.ensure_future(self._sweep_forever(broadcasting, retire))

    async def stop(self) -> None:
        for task in (self.orphan_check, self.sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.orphan_check = self.sweeper = None

    async def _pause_orphans_later(self, publishing: Publishing, origin_elsewhere: OriginElsewhere) -> None:
        await self.clock.sleep(self.grace_s)
        try:
            await self.pause_orphaned_shows(publishing, origin_elsewhere)
        except Exception as error:  # the store may be unreachable right now; a later start tries again
            log.warning("checking for shows left live by a stopped node failed: %s", error)

    async def _sweep_forever(self, broadcasting: Broadcasting, retire: Retire) -> None:
        while True:
            await self.clock.sleep(self.sweep_s)
            try:
                await self.sweep(broadcasting, retire)
            except Exception as error:  # the store may be unreachable; the next sweep tries again
                log.warning("the show sweep failed: %s", error)
