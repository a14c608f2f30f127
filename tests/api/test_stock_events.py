"""A stock change through the API (PATCH, refund) reaches the live room of every show featuring the
product that has not ended, so "only 3 left" on a watch page never goes stale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from livecart import keys
from livecart.domain.events import Event, StockChanged
from livecart.domain.models import ShowStatus
from tests.api.commerce_scene import Scene, make_scene
from tests.live.clients import LiveClient
from tests.support import Api


@pytest.fixture
async def watchers(client: TestClient[Any, Any]) -> AsyncIterator[list[LiveClient]]:
    opened: list[LiveClient] = []
    yield opened
    for watcher in opened:
        await watcher.close()


async def watch(client: TestClient[Any, Any], watchers: list[LiveClient], show_id: str) -> LiveClient:
    watcher = await LiveClient(str(client.make_url("/"))).connect()
    watchers.append(watcher)
    await watcher.join(show_id)
    return watcher


async def feature(api: Api, scene: Scene, title: str, product: dict[str, Any]) -> str:
    show = await api.create_show(scene.host["token"], title)
    await api.call(
        "POST", f"/api/shows/{show['id']}/lineup", 201, token=scene.host["token"], json={"product_id": product["id"]}
    )
    return str(show["id"])


async def lipstick_pinned_in_a_live_show(api: Api, app: web.Application) -> tuple[Scene, dict[str, Any], str]:
    """A brand's lipstick (stock 10) pinned in a live show; it is also in the lineup of an ended show."""
    scene = await make_scene(api, {"title": "Ruby Lipstick", "stock": 10})
    product = scene.products[0]
    await app[keys.SERVICES].store.set_show_status(scene.show_id, ShowStatus.LIVE)
    await scene.pin(product)
    ended = await feature(api, scene, "Last week", product)
    await app[keys.SERVICES].store.set_show_status(ended, ShowStatus.ENDED)
    return scene, product, ended


def stock_events(events: list[Event]) -> list[tuple[str, str, int]]:
    return sorted((e.show_id, e.product_id, e.stock) for e in events if isinstance(e, StockChanged))


async def test_patching_stock_sends_stock_to_every_show_featuring_the_product_that_has_not_ended(
    api: Api, app: web.Application, client: TestClient[Any, Any], watchers: list[LiveClient]
) -> None:
    scene, product, ended = await lipstick_pinned_in_a_live_show(api, app)
    upcoming = await feature(api, scene, "Next week", product)
    unrelated = (await api.create_show(scene.host["token"], "Other products"))["id"]
    live_room, upcoming_room = await watch(client, watchers, scene.show_id), await watch(client, watchers, upcoming)
    published: list[Event] = []
    app[keys.SERVICES].bus.subscribe(published.append)

    await api.call("PATCH", f"/api/products/{product['id']}", 200, token=scene.brand["token"], json={"stock": 3})

    expected = {"product_id": product["id"], "stock": 3}
    await live_room.wait_for(lambda: expected in live_room.events("stock"))
    await upcoming_room.wait_for(lambda: expected in upcoming_room.events("stock"))
    assert stock_events(published) == sorted([(scene.show_id, product["id"], 3), (upcoming, product["id"], 3)])
    assert ended not in {event.show_id for event in published}
    assert unrelated not in {event.show_id for event in published}
    late = await LiveClient(str(client.make_url("/"))).connect()
    watchers.append(late)
    snapshot = await late.join(scene.show_id)  # a late joiner's snapshot agrees with the event
    assert expected in snapshot["stock"]
    assert snapshot["pins"][0]["product"]["stock"] == 3


async def test_a_patch_that_leaves_stock_alone_sends_no_stock_event(api: Api, app: web.Application) -> None:
    scene = await make_scene(api, {"stock": 10})
    published: list[Event] = []
    app[keys.SERVICES].bus.subscribe(published.append)

    await api.call(
        "PATCH",
        f"/api/products/{scene.products[0]['id']}",
        200,
        token=scene.brand["token"],
        json={"price_cents": 2500, "commission_bps": 1200},
    )

    assert stock_events(published) == []


async def test_a_refund_gives_stock_back_in_every_show_featuring_the_product(
    api: Api, app: web.Application, client: TestClient[Any, Any], watchers: list[LiveClient]
) -> None:
    scene = await make_scene(api, {"stock": 10})
    product = scene.products[0]
    await scene.pin(product)
    buyer = await scene.viewer()
    await scene.add(buyer, product, qty=4)
    order = await scene.checkout(buyer)
    upcoming = await feature(api, scene, "Next week", product)
    upcoming_room = await watch(client, watchers, upcoming)

    await api.call("POST", f"/api/orders/{order['id']}/refund", 201, token=scene.brand["token"])

    await upcoming_room.wait_for(lambda: {"product_id": product["id"], "stock": 10} in upcoming_room.events("stock"))


async def test_a_sale_in_one_show_updates_the_stock_in_the_other_shows_featuring_it(
    api: Api, app: web.Application, client: TestClient[Any, Any], watchers: list[LiveClient]
) -> None:
    scene, product, ended = await lipstick_pinned_in_a_live_show(api, app)
    other = await feature(api, scene, "The same lipstick, another host", product)
    await app[keys.SERVICES].store.set_show_status(other, ShowStatus.LIVE)
    buying_room, other_room = await watch(client, watchers, scene.show_id), await watch(client, watchers, other)
    published: list[Event] = []
    app[keys.SERVICES].bus.subscribe(published.append)

    for name in ("Sam Lee", "Ana Ruiz", "Kim Park"):
        buyer = await scene.viewer(name)
        await scene.add(buyer, product, qty=2)
        await scene.checkout(buyer)

    left = {"product_id": product["id"], "stock": 4}
    await other_room.wait_for(lambda: left in other_room.events("stock"))
    assert [e["stock"] for e in buying_room.events("stock")] == [8, 6, 4], "the buyers' room, at each sale"
    told_other = [e.stock for e in published if isinstance(e, StockChanged) and e.show_id == other]
    assert told_other[-1] == 4
    assert ended not in {e.show_id for e in published if isinstance(e, StockChanged)}


async def test_the_other_shows_get_one_event_per_product_per_interval_with_the_latest_level(
    api: Api, app: web.Application
) -> None:
    scene = await make_scene(api, {"stock": 10})
    product = scene.products[0]
    other = await feature(api, scene, "Another host", product)
    published: list[Event] = []
    app[keys.SERVICES].bus.subscribe(published.append)
    news = app[keys.SERVICES].stock_news
    assert news is not None
    for level in (9, 8, 7):  # three checkouts in the buyers' show within one interval
        news.told(scene.show_id, product["id"], level)
    await news.flush()
    assert stock_events(published) == [(other, product["id"], 7)]
