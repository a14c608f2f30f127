"""Contract: shows, their status transitions, their listing order and their lineup (both stores)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from livecart.clock import ManualClock
from livecart.domain.errors import BadRequest, Conflict, NotFound
from livecart.domain.models import ShowStatus
from livecart.store import Store
from tests.store import factories
from tests.store.conftest import OpenStore

SOON = datetime(2030, 5, 1, 18, 0, tzinfo=UTC)


async def test_a_new_show_is_scheduled_and_reads_back(store: Store) -> None:
    host = await factories.host(store)

    show = await store.create_show(host.id, "Friday Glow-Up", SOON)

    assert show.id.startswith("shw_")
    assert (show.host_id, show.title, show.status) == (host.id, "Friday Glow-Up", ShowStatus.SCHEDULED)
    assert (show.scheduled_at, show.started_at, show.ended_at) == (SOON, None, None)
    assert await store.get_show(show.id) == show


async def test_a_show_without_a_date_reads_back_without_one(store: Store) -> None:
    host = await factories.host(store)

    show = await store.create_show(host.id, "Pop-up", None)

    assert await store.get_show(show.id) == show
    assert show.scheduled_at is None


async def test_an_unknown_show_is_none(store: Store) -> None:
    assert await store.get_show("shw_0000000000000000") is None


async def test_going_live_then_ending_stamps_started_at_then_ended_at(store: Store) -> None:
    host = await factories.host(store)
    show = await factories.show(store, host.id)

    live = await store.set_show_status(show.id, ShowStatus.LIVE)
    ended = await store.set_show_status(show.id, ShowStatus.ENDED)

    assert live.status is ShowStatus.LIVE
    assert live.started_at is not None
    assert live.started_at >= show.created_at
    assert live.ended_at is None
    assert ended.status is ShowStatus.ENDED
    assert ended.started_at == live.started_at
    assert ended.ended_at is not None
    assert ended.ended_at >= live.started_at
    assert await store.get_show(show.id) == ended


async def test_a_scheduled_show_may_end_without_going_live(store: Store) -> None:
    host = await factories.host(store)
    show = await factories.show(store, host.id)

    ended = await store.set_show_status(show.id, ShowStatus.ENDED)

    assert (ended.status, ended.started_at) == (ShowStatus.ENDED, None)
    assert ended.ended_at is not None


@pytest.mark.parametrize(
    ("path", "forbidden"),
    [
        ([ShowStatus.LIVE], ShowStatus.SCHEDULED),
        ([ShowStatus.ENDED], ShowStatus.LIVE),
        ([ShowStatus.ENDED], ShowStatus.SCHEDULED),
        ([ShowStatus.LIVE, ShowStatus.ENDED], ShowStatus.LIVE),
    ],
)
async def test_a_show_never_moves_backwards(store: Store, path: list[ShowStatus], forbidden: ShowStatus) -> None:
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    for status in path:
        show = await store.set_show_status(show.id, status)

    with pytest.raises(Conflict):
        await store.set_show_status(show.id, forbidden)
    assert await store.get_show(show.id) == show


@pytest.mark.parametrize("status", list(ShowStatus))
async def test_setting_the_current_status_again_changes_nothing(store: Store, status: ShowStatus) -> None:
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    if status is ShowStatus.PAUSED:  # only a live show pauses
        await store.set_show_status(show.id, ShowStatus.LIVE)
    if status is not ShowStatus.SCHEDULED:
        show = await store.set_show_status(show.id, status)

    again = await store.set_show_status(show.id, status)

    assert again == show
    assert await store.get_show(show.id) == show


async def test_changing_the_status_of_an_unknown_show_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.set_show_status("shw_0000000000000000", ShowStatus.LIVE)


async def test_concurrent_go_live_calls_stamp_started_at_once(store: Store) -> None:
    host = await factories.host(store)
    show = await factories.show(store, host.id)

    results = await asyncio.gather(*(store.set_show_status(show.id, ShowStatus.LIVE) for _ in range(10)))

    assert {result.status for result in results} == {ShowStatus.LIVE}
    assert len({result.started_at for result in results}) == 1
    assert await store.get_show(show.id) == results[0]


async def test_concurrent_live_and_end_leave_a_consistent_show(store: Store) -> None:
    host = await factories.host(store)
    show = await factories.show(store, host.id)

    await asyncio.gather(
        store.set_show_status(show.id, ShowStatus.LIVE),
        store.set_show_status(show.id, ShowStatus.ENDED),
        return_exceptions=True,
    )

    final = await store.get_show(show.id)
    assert final is not None
    assert final.status is ShowStatus.ENDED
    assert final.ended_at is not None
    assert final.started_at is None or final.started_at <= final.ended_at


async def test_shows_list_live_first_then_scheduled_soonest_first_then_ended_latest_first(
    store: Store,
) -> None:
    host = await factories.host(store)
    await factories.show(store, host.id, "later", scheduled_at=SOON + timedelta(days=2))
    await factories.show(store, host.id, "undated")  # scheduled, sorts by its creation time
    await factories.show(store, host.id, "sooner", scheduled_at=SOON)
    ended_first = await factories.show(store, host.id, "ended first")
    ended_second = await factories.show(store, host.id, "ended second")
    never_live = await factories.show(store, host.id, "cancelled")
    live_first = await factories.show(store, host.id, "live first")
    live_second = await factories.show(store, host.id, "live second")
    for show in (ended_first, ended_second):
        await store.set_show_status(show.id, ShowStatus.LIVE)
        await store.set_show_status(show.id, ShowStatus.ENDED)
    await store.set_show_status(never_live.id, ShowStatus.ENDED)
    for show in (live_first, live_second):
        await store.set_show_status(show.id, ShowStatus.LIVE)

    listed = [show.title for show in await store.list_shows()]

    assert listed == [
        "live second",
        "live first",
        "undated",
        "sooner",
        "later",
        "ended second",
        "ended first",
        "cancelled",
    ]


async def test_no_shows_list_empty(store: Store) -> None:
    assert await store.list_shows() == []


async def test_adding_to_the_lineup_is_idempotent(store: Store) -> None:
    brand = await factories.brand(store)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    product = await factories.product(store, brand.id)

    assert await store.add_to_lineup(show.id, product.id) is True
    assert await store.add_to_lineup(show.id, product.id) is False
    assert await store.lineup(show.id) == [product]


async def test_concurrent_adds_of_one_product_add_it_once(store: Store) -> None:
    brand = await factories.brand(store)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    product = await factories.product(store, brand.id)

    added = await asyncio.gather(*(store.add_to_lineup(show.id, product.id) for _ in range(10)))

    assert sorted(added) == [False] * 9 + [True]
    assert await store.lineup(show.id) == [product]


async def test_the_lineup_keeps_the_order_products_were_added_in_and_belongs_to_its_show(
    store: Store,
) -> None:
    brand = await factories.brand(store)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    other_show = await factories.show(store, host.id, "Other")
    first, second, third = [await factories.product(store, brand.id, sku=f"S{i}") for i in range(3)]

    for product in (third, first, second):
        await store.add_to_lineup(show.id, product.id)
    await store.add_to_lineup(other_show.id, first.id)

    assert [p.id for p in await store.lineup(show.id)] == [third.id, first.id, second.id]
    assert await store.lineup(other_show.id) == [first]


async def test_a_show_without_products_has_an_empty_lineup(store: Store) -> None:
    host = await factories.host(store)
    show = await factories.show(store, host.id)

    assert await store.lineup(show.id) == []
    assert await store.lineup("shw_0000000000000000") == []


async def test_shows_and_lineups_survive_reopening_the_store(store: Store, open_stores: OpenStore) -> None:
    brand = await factories.brand(store)
    host = await factories.host(store)
    show = await factories.show(store, host.id, scheduled_at=SOON)
    product = await factories.product(store, brand.id)
    await store.add_to_lineup(show.id, product.id)
    live = await store.set_show_status(show.id, ShowStatus.LIVE)
    await store.close()

    reopened = await open_stores()

    assert await reopened.get_show(show.id) == live
    assert await reopened.lineup(show.id) == [product]
    assert await reopened.add_to_lineup(show.id, product.id) is False


async def test_shows_featuring_a_product_are_every_show_whose_lineup_holds_it_with_their_status(
    store: Store,
) -> None:
    brand = await factories.brand(store)
    host = await factories.host(store)
    featured, elsewhere = [await factories.product(store, brand.id, sku=f"S{i}") for i in range(2)]
    shows = [await factories.show(store, host.id, f"Show {i}") for i in range(3)]
    await store.add_to_lineup(shows[0].id, featured.id)
    await store.add_to_lineup(shows[2].id, featured.id)
    await store.add_to_lineup(shows[2].id, featured.id)
    await store.add_to_lineup(shows[1].id, elsewhere.id)
    ended = await store.set_show_status(shows[2].id, ShowStatus.ENDED)

    found = await store.shows_featuring(featured.id)

    assert found == sorted([shows[0], ended], key=lambda show: show.id)
    assert await store.shows_featuring(elsewhere.id) == [shows[1]]
    assert await store.shows_featuring("prd_0000000000000000") == []


async def test_a_date_out_of_range_is_refused_and_nothing_is_stored(store: Store) -> None:
    host = await factories.host(store)
    for moment in (
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14))),  # past datetime.max in UTC
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),  # before datetime.min in UTC
        datetime(9500, 1, 1, tzinfo=UTC),
        datetime(2026, 11, 23, 20, 0),  # no time zone
    ):
        with pytest.raises(BadRequest):
            await store.create_show(host.id, "Out of range", moment)
    assert await store.list_shows() == []


async def test_a_live_show_pauses_goes_live_again_and_ends(open_stores: OpenStore) -> None:
    clock = ManualClock(datetime(2026, 11, 23, 20, 0, tzinfo=UTC))
    store = await open_stores(clock)
    host = await factories.host(store)
    show = await store.create_show(host.id, "Pausing", None)
    started = await store.set_show_status(show.id, ShowStatus.LIVE)

    await clock.advance(60)
    paused = await store.set_show_status(show.id, ShowStatus.PAUSED)
    assert paused.status is ShowStatus.PAUSED
    assert paused.paused_at == clock.now()
    assert (await store.get_show(show.id)) == paused
    assert [listed.status for listed in await store.list_shows()] == [ShowStatus.PAUSED]

    await clock.advance(60)
    again = await store.set_show_status(show.id, ShowStatus.LIVE)
    assert again.status is ShowStatus.LIVE
    assert again.paused_at is None
    assert again.started_at == started.started_at  # going live again is not a new start

    await store.set_show_status(show.id, ShowStatus.PAUSED)
    await clock.advance(60)
    ended = await store.set_show_status(show.id, ShowStatus.ENDED)
    assert ended.status is ShowStatus.ENDED
    assert ended.paused_at is None
    assert ended.ended_at == clock.now()
    with pytest.raises(Conflict):
        await store.set_show_status(show.id, ShowStatus.PAUSED)


async def test_a_scheduled_show_cannot_pause(store: Store) -> None:
    host = await factories.host(store)
    show = await store.create_show(host.id, "Not yet", None)
    with pytest.raises(Conflict):
        await store.set_show_status(show.id, ShowStatus.PAUSED)
