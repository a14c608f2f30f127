"""Pins: the show's host or the brand owning a lineup product puts it on screen and takes it down; the
live room hears `pin` / `unpin`."""

from __future__ import annotations

from collections.abc import Callable

from livecart.bus import EventBus
from livecart.commerce.connect import may_host
from livecart.domain.commerce import Pin
from livecart.domain.errors import Forbidden, NotInLineup, ShowEnded
from livecart.domain.events import Pinned, Unpinned
from livecart.domain.models import Account, Product, Show, ShowStatus, rfc3339
from livecart.store import Store

MediaTimeOf = Callable[[str], int | None]  # show id → `media_time` now (MediaHub.rtp_time), None off air


def _off_air(show_id: str) -> int | None:
    return None


class Pins:
    def __init__(self, store: Store, bus: EventBus, *, media_time: MediaTimeOf = _off_air) -> None:
        self.store = store
        self.bus = bus
        self.media_time = media_time  # stamps `pin` / `unpin` (docs/media.md "Media time")

    async def _check(self, by: Account, show: Show, product: Product) -> None:
        """Admin, the show's host or an active co-host, or the brand that owns the product; it must be in the
        lineup."""
        if by.id != product.brand_id and not await may_host(self.store, show, by):
            raise Forbidden("only the show's host or the product's brand may pin it")
        lineup = await self.store.lineup(show.id)
        if all(featured.id != product.id for featured in lineup):
            raise NotInLineup("only products in the show's lineup can be pinned", product_id=product.id)

    async def pin(self, by: Account, show: Show, product: Product) -> tuple[Pin, bool]:
        """Pin `product` in `show`; returns the pin and whether it is new (False: it was pinned already).
        Not in an ended show (ShowEnded)."""
        await self._check(by, show, product)
        if show.status is ShowStatus.ENDED:
            raise ShowEnded("the show has ended", show_id=show.id)
        pinned, new = await self.store.pin_product(show.id, product.id)
        if new:
            self.bus.publish(
                Pinned(
                    show_id=show.id,
                    product=pinned.product.public(),
                    pinned_at=rfc3339(pinned.pinned_at) or "",
                    media_time=self.media_time(show.id),
                )
            )
        return pinned, new

    async def unpin(self, by: Account, show: Show, product: Product) -> None:
        """Take a product down; in an ended show too (a product left pinned at the end)."""
        await self._check(by, show, product)
        if await self.store.unpin_product(show.id, product.id):
            self.bus.publish(Unpinned(show_id=show.id, product_id=product.id, media_time=self.media_time(show.id)))
