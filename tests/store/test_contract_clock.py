"""Contract: a store reads the time only from the clock it was opened with (both stores)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from livecart.clock import ManualClock
from livecart.domain.models import ShowStatus
from tests.store import factories
from tests.store.conftest import OpenStore

LONG_AGO = datetime(2019, 3, 4, 5, 6, 7, 890_000, tzinfo=UTC)


async def test_every_stamp_a_store_writes_is_its_clocks_time(open_stores: OpenStore) -> None:
    clock = ManualClock(LONG_AGO)
    store = await open_stores(clock)

    brand, host, viewer = await factories.brand(store), await factories.host(store), await factories.viewer(store)
    product = await factories.product(store, brand.id)
    show = await factories.show(store, host.id)
    await store.add_to_lineup(show.id, product.id)
    pin, _ = await store.pin_product(show.id, product.id)
    (item,) = await store.add_to_cart(show.id, viewer.id, product.id, 1, 5)
    await clock.advance(90)
    live = await store.set_show_status(show.id, ShowStatus.LIVE)
    updated = await store.update_product(product.id, {"title": "Renamed"})
    await store.unpin_product(show.id, product.id)

    assert {brand.created_at, host.created_at, product.created_at, show.created_at} == {LONG_AGO}
    assert (pin.pinned_at, item.added_at) == (LONG_AGO, LONG_AGO)
    later = LONG_AGO + timedelta(seconds=90)
    assert (live.started_at, updated.updated_at, updated.created_at) == (later, later, LONG_AGO)
    (span,) = await store.pin_log(show.id)
    assert (span.pinned_at, span.unpinned_at) == (LONG_AGO, later)


async def test_a_mute_ends_when_the_stores_clock_passes_its_end(open_stores: OpenStore) -> None:
    clock = ManualClock(LONG_AGO)
    store = await open_stores(clock)
    until = LONG_AGO + timedelta(minutes=5)
    await store.mute("shw_1", "vwr_1", until)

    muted_at_first = await store.muted_until("shw_1", "vwr_1")
    await clock.advance(5 * 60)
    muted_at_the_end = await store.muted_until("shw_1", "vwr_1")

    assert muted_at_first == until
    assert muted_at_the_end is None


async def test_idempotency_claims_are_stale_by_the_stores_clock(open_stores: OpenStore) -> None:
    clock = ManualClock(LONG_AGO)
    store = await open_stores(clock)
    await store.claim_idempotency_key("vwr_1", "abandoned", "hash-a")
    await clock.advance(60)

    assert await store.release_stale_idempotency_keys(LONG_AGO + timedelta(seconds=30)) == 1
