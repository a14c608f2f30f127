"""A show's life after it is scheduled: going live, ending, and shows left `live` with nobody publishing.

One service for every path that moves a show: the media hub's publisher appearing (`went_live`) or
being lost after its grace period (`ended`), a dead cluster node's shows (`ended`, called by the
node registry's reaper), and orphans. A show is moved in the store first, then `ShowStatusChanged`
is published; a show already in the wanted state is announced again (a publisher that reconnects to
another node makes that node the show's origin), a show that cannot get there is left as it is.

Orphans: a graceful stop closes the publisher's peer but does not end its show (a host's encoder
reconnects on its own, to this node after a restart or to another node behind the same address).
Whichever node starts next looks at the shows still `live` after one grace period: a show no node is
publishing by then is ended, as if its publisher had been lost on a running node. (A node that dies in
a cluster is handled sooner by the node registry's heartbeat TTL, see livecart/cluster.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from livecart.bus import EventBus
from livecart.clock import Clock
from livecart.domain.errors import Conflict
from livecart.domain.events import ShowStatusChanged
from livecart.domain.models import ShowStatus
from livecart.store import Store

log = logging.getLogger(__name__)

Publishing = Callable[[str], bool]  # does this node publish the show?
OriginElsewhere = Callable[[str], Awaitable[object | None]]  # another node that publishes it, if any


class ShowLifecycle:
    def __init__(self, store: Store, bus: EventBus, clock: Clock, *, grace_s: float) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.grace_s = grace_s
        self.orphan_check: asyncio.Task[None] | None = None  # the one look for orphans after start-up

    async def went_live(self, show_id: str) -> None:
        """The show's publisher is on this node."""
        await self._move(show_id, ShowStatus.LIVE)

    async def ended(self, show_id: str) -> None:
        """The show is over: its publisher left or was lost, or the node that had it died."""
        await self._move(show_id, ShowStatus.ENDED)

    async def _move(self, show_id: str, status: ShowStatus) -> None:
        try:
            await self.store.set_show_status(show_id, status)
        except Conflict:
            show = await self.store.get_show(show_id)
            if show is None or show.status is not status:
                log.warning("show %s could not become %s", show_id, status.value)
                return
        self.bus.publish(ShowStatusChanged(show_id=show_id, status=status.value))

    # -- orphans -------------------------------------------------------------------------------------
    async def end_orphaned_shows(self, publishing: Publishing, origin_elsewhere: OriginElsewhere) -> list[str]:
        """End every `live` show that no node publishes; returns their ids."""
        ended: list[str] = []
        for show in await self.store.list_shows():
            if show.status is not ShowStatus.LIVE or publishing(show.id):
                continue
            try:
                if await origin_elsewhere(show.id) is not None:
                    continue
            except Exception as error:  # unsure (registry unreachable): leave it to the next start
                log.warning("could not check who publishes show %s: %s", show.id, error)
                continue
            log.info("show %s was left live by a stopped node and nobody publishes it: ending it", show.id)
            await self.ended(show.id)
            ended.append(show.id)
        return ended

    def start(self, publishing: Publishing, origin_elsewhere: OriginElsewhere) -> None:
        """Look for orphans once, one grace period from now."""
        self.orphan_check = asyncio.ensure_future(self._end_orphans_later(publishing, origin_elsewhere))

    async def stop(self) -> None:
        if self.orphan_check is not None:
            self.orphan_check.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.orphan_check
            self.orphan_check = None

    async def _end_orphans_later(self, publishing: Publishing, origin_elsewhere: OriginElsewhere) -> None:
        await self.clock.sleep(self.grace_s)
        try:
            await self.end_orphaned_shows(publishing, origin_elsewhere)
        except Exception as error:  # the store may be unreachable right now; a later start tries again
            log.warning("checking for shows left live by a stopped node failed: %s", error)
