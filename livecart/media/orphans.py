"""Shows left `live` by a node that stopped: ended once the grace period passes with no publisher.

A graceful stop closes the publisher's peer but does not end its show (a host's encoder reconnects
on its own, to this node after a restart or to another node behind the same address). Whichever
node starts next looks at the shows still `live` after one grace period: a show no node is
publishing by then is ended, as if its publisher had been lost on a running node. (A node that dies
in a cluster is handled sooner by the node registry's heartbeat TTL, see livecart/cluster.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from livecart.domain.models import ShowStatus
from livecart.media.hub import MediaHub
from livecart.store.base import Store

if TYPE_CHECKING:
    from livecart.cluster.node import ClusterNode

log = logging.getLogger(__name__)


async def end_orphaned_shows(
    store: Store, hub: MediaHub, cluster: ClusterNode | None, end: Callable[[str], Awaitable[None]]
) -> list[str]:
    """End every `live` show that no node publishes; returns their ids."""
    ended: list[str] = []
    for show in await store.list_shows():
        if show.status is not ShowStatus.LIVE or hub.broadcast(show.id) is not None:
            continue
        if cluster is not None:
            try:
                if await cluster.origin_elsewhere(show.id) is not None:
                    continue
            except Exception as error:  # unsure (registry unreachable): leave it to the next start
                log.warning("could not check who publishes show %s: %s", show.id, error)
                continue
        log.info("show %s was left live by a stopped node and nobody publishes it: ending it", show.id)
        await end(show.id)
        ended.append(show.id)
    return ended


async def end_orphaned_shows_later(
    delay_s: float, store: Store, hub: MediaHub, cluster: Callable[[], ClusterNode | None],
    end: Callable[[str], Awaitable[None]],
) -> None:
    await asyncio.sleep(delay_s)
    try:
        await end_orphaned_shows(store, hub, cluster(), end)
    except Exception as error:  # the store may be unreachable right now; a later start tries again
        log.warning("checking for shows left live by a stopped node failed: %s", error)
