"""This process as a cluster node: its heartbeat, the shows it originates, and pausing dead nodes' shows.

Timing, from the TTL `T` (`LIVECART_NODE_TTL_S`): a node beats every T/4 and each beat sets its expiry
to now + 3T/4, so two late beats are tolerated; every node reaps at each of its beats. A node that
dies is therefore no longer advertised 3T/4 after its last beat, and its shows are `paused` at most
T after it died (3T/4 + one beat of the reaper).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from livecart.cluster.registry import DeadNode, NodeInfo, NodeRegistry
from livecart.domain.events import Event, ShowStatusChanged
from livecart.domain.models import ShowStatus
from livecart.store import STORE_UNAVAILABLE
from livecart.store.base import Store

log = logging.getLogger(__name__)


def log_failure(what: str, error: BaseException) -> None:
    """A Redis outage is expected and said in one line (health shows it); anything else is a bug."""
    if isinstance(error, STORE_UNAVAILABLE):
        log.warning("%s: redis unreachable (%s)", what, error)
    else:
        log.error("%s", what, exc_info=error)


BEATS_PER_TTL = 4
EXPIRY_FRACTION = 0.75  # of the TTL: a node's registration outlives its last beat by 3T/4

ShowsLost = Callable[[list[str]], Awaitable[None]]
EndShow = Callable[[str], Awaitable[None]]


class ClusterNode:
    """One per process. Without Redis fan-out (`registry` None) the process is alone: it is the origin
    of whatever it serves and nothing is registered."""

    def __init__(
        self,
        registry: NodeRegistry | None,
        store: Store,
        *,
        ttl_s: float,
        end_show: EndShow,
        shows_lost: ShowsLost,
    ) -> None:
        """`end_show(show_id)` handles a dead node's show (the show lifecycle pauses it: its publisher is
        gone); `shows_lost(show_ids)` is called with this node's shows when it finds it had been reaped
        (they were paused meanwhile and may be published elsewhere: their broadcasts here are retired)."""
        self.registry = registry
        self._store = store
        self.ttl_s = ttl_s
        self.originated: set[str] = set()
        self._end_show = end_show
        self._shows_lost = shows_lost
        self._stopped = False
        self._task: asyncio.Task[None] | None = None
        self._changes: set[asyncio.Task[None]] = set()
        self._in_order = asyncio.Lock()  # origin changes reach Redis in the order the events came
        self._registered = False

    @property
    def node_id(self) -> str | None:
        return None if self.registry is None else self.registry.node_id

    @property
    def beat_interval_s(self) -> float:
        return self.ttl_s / BEATS_PER_TTL

    # -- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        if self.registry is None:
            return
        await self.beat()
        self._task = asyncio.ensure_future(self._beat_forever())

    async def stop(self) -> None:
        self._stopped = True  # the live room's last tick runs after this; the node is deregistered
        await asyncio.gather(*self._changes, return_exceptions=True)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.registry is not None:
            try:
                await self.registry.deregister(sorted(self.originated))
            except Exception as error:
                log_failure(f"deregistering node {self.node_id} failed (it expires on its own)", error)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.beat_interval_s)
            try:
                await self.beat()
            except Exception as error:
                log_failure("cluster heartbeat failed", error)

    async def beat(self) -> None:
        """Refresh this node's registration, then end the shows of nodes that died."""
        assert self.registry is not None
        known = await self.registry.heartbeat()
        if not known and self._registered:
            await self._reaped()
        self._registered = True
        for dead in await self.registry.reap():
            await self._end_dead_node(dead)

    async def _reaped(self) -> None:
        shows = sorted(self.originated)
        log.warning(
            "node %s missed its heartbeats and was declared dead; its shows %s were paused", self.node_id, shows
        )
        self.originated.clear()
        await self._shows_lost(shows)

    async def _end_dead_node(self, dead: DeadNode) -> None:
        log.warning("node %s is dead: pausing its shows %s", dead.id, list(dead.shows))
        for show_id in dead.shows:
            try:
                await self._end_show(show_id)
            except Exception:
                log.exception("pausing show %s of dead node %s failed", show_id, dead.id)
        for show_id, count in dead.viewers.items():
            if count:
                try:
                    await self._store.count_viewers(show_id, -count)
                except Exception:
                    log.exception("uncounting %d viewers of dead node %s failed", count, dead.id)

    # -- origins -------------------------------------------------------------------------------------
    def on_bus_event(self, event: Event) -> None:
        """Event bus subscriber: a show that goes live here (its WHIP publisher attached to this node's
        media hub) is originated here; when it ends here, it is released."""
        if not isinstance(event, ShowStatusChanged):
            return
        if event.status == ShowStatus.LIVE.value:
            change = self.originate(event.show_id)
        elif event.status == ShowStatus.ENDED.value and event.show_id in self.originated:
            change = self.release(event.show_id)
        else:
            return
        task = asyncio.ensure_future(self._ordered(change))
        self._changes.add(task)
        task.add_done_callback(self._change_done)

    async def _ordered(self, change: Awaitable[None]) -> None:
        async with self._in_order:
            await change

    def _change_done(self, task: asyncio.Task[None]) -> None:
        self._changes.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log_failure("advertising a show's origin failed", error)

    async def originate(self, show_id: str) -> None:
        """This node has the show's publisher: advertise it as the origin."""
        self.originated.add(show_id)
        if self.registry is not None:
            await self.registry.originate(show_id)

    async def release(self, show_id: str) -> None:
        """The show's publisher left this node."""
        self.originated.discard(show_id)
        if self.registry is not None:
            await self.registry.release(show_id)

    async def viewers_counted(self, show_id: str, count: int) -> None:
        """The live room added this node's joins and leaves to the show's count: `count` is its share."""
        if self.registry is None or self._stopped:
            return
        try:
            await self.registry.record_viewers(show_id, count)
        except Exception as error:  # the room's tick goes on; the next change writes the share again
            log_failure(f"recording this node's viewers of show {show_id} failed", error)

    async def origin_elsewhere(self, show_id: str) -> NodeInfo | None:
        """The live node that originates the show when that is another node; None when it is this one,
        none, or the process is alone."""
        if self.registry is None or show_id in self.originated:
            return None
        origin = await self.registry.origin(show_id)
        if origin is None or origin.id == self.registry.node_id:
            return None
        return origin
