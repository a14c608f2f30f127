"""Stock levels told to the live rooms, one way for every change (`StockChanged`, the room's `stock`).

- `announce()`: a brand's edit or a refund tells every show that features the product and has not
  ended at once (the join snapshot's `stock` lists the lineup, so the event keeps it true), and the
  show where a refund happened in any case.
- `sold()`: a checkout tells its own show at once (the buyer's room sees "only 3 left" with the sale). Other
shows whose lineup holds the same product (a brand's product in two live shows, or an upcoming show
whose watch page is open) learn it here: levels are coalesced per product and sent `interval_s`
after the first change, so a flash sale costs one store read per product per interval, not one per
checkout. Each show gets the latest level unless it was already told exactly that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from livecart.bus import EventBus
from livecart.domain.events import StockChanged
from livecart.domain.models import ShowStatus
from livecart.store import STORE_UNAVAILABLE
from livecart.store.base import Store

log = logging.getLogger(__name__)

INTERVAL_S = 0.2  # one live frame


@dataclass
class _Pending:
    stock: int
    told: dict[str, int] = field(default_factory=dict)  # show id → the level that show was told


class StockNews:
    def __init__(self, store: Store, bus: EventBus, interval_s: float = INTERVAL_S) -> None:
        self._store = store
        self._bus = bus
        self._interval_s = interval_s
        self._pending: dict[str, _Pending] = {}
        self._flush: asyncio.Task[None] | None = None

    async def announce(self, product_id: str, stock: int, *, show_id: str | None = None) -> None:
        """Tell every show featuring the product that has not ended, and `show_id` in any case, now."""
        featuring = await self._store.shows_featuring(product_id)
        shows = {show.id for show in featuring if show.status is not ShowStatus.ENDED}
        if show_id is not None:
            shows.add(show_id)
        for featured in sorted(shows):
            self._bus.publish(StockChanged(show_id=featured, product_id=product_id, stock=stock))

    def sold(self, show_id: str, stock: Mapping[str, int]) -> None:
        """A checkout (or its failure) moved these products' stock in `show_id`: that show now, the
        others featuring them shortly after."""
        for product_id, level in stock.items():
            self._bus.publish(StockChanged(show_id=show_id, product_id=product_id, stock=level))
            self.told(show_id, product_id, level)

    def told(self, show_id: str, product_id: str, stock: int) -> None:
        """`show_id` was just told `stock` for `product_id`; tell the other shows featuring it soon."""
        pending = self._pending.get(product_id)
        if pending is None:
            pending = self._pending[product_id] = _Pending(stock)
        pending.stock = stock
        pending.told[show_id] = stock
        if self._flush is None:
            self._flush = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        try:
            await asyncio.sleep(self._interval_s)
        finally:
            self._flush = None
        await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        for product_id, news in pending.items():
            try:
                featuring = await self._store.shows_featuring(product_id)
            except STORE_UNAVAILABLE as unavailable:  # the next change, or a join's snapshot, corrects it
                log.warning("could not tell other shows product %s's stock: %s", product_id, unavailable)
                continue
            for show in featuring:
                if show.status is not ShowStatus.ENDED and news.told.get(show.id) != news.stock:
                    self._bus.publish(StockChanged(show_id=show.id, product_id=product_id, stock=news.stock))

    async def close(self) -> None:
        """Send what is pending now (graceful stop)."""
        if self._flush is not None:
            self._flush.cancel()
            await asyncio.gather(self._flush, return_exceptions=True)
        await self.flush()
