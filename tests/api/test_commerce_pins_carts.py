"""Pins and carts over real HTTP: who may pin, what may go in a cart, carts that outlive the server."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from livecart import keys
from livecart.app import create_app
from livecart.config import Settings
from livecart.domain.events import Event, Pinned, Unpinned
from livecart.domain.models import ShowStatus
from tests.api.commerce_scene import make_scene
from tests.conftest import AiohttpClient
from tests.support import ADMIN_TOKEN, Api


async def test_host_and_owning_brand_pin_and_unpin_with_events(api: Api, app: web.Application) -> None:
    scene = await make_scene(api, {}, {})
    events: list[Event] = []
    app[keys.SERVICES].bus.subscribe(events.append)
    first, second = scene.products
    path = f"/api/shows/{scene.show_id}/pins"

    pinned = await api.call("POST", path, 201, token=scene.host["token"], json={"product_id": first["id"]})
    assert pinned["product"]["id"] == first["id"]
    assert pinned["pinned"] is True
    again = await api.call("POST", path, 200, token=scene.brand["token"], json={"product_id": first["id"]})
    assert again["pinned"] is False
    assert again["pinned_at"] == pinned["pinned_at"]
    await api.call("POST", path, 201, token=scene.brand["token"], json={"product_id": second["id"]})

    listed = await api.call("GET", path, 200)
    assert [pin["product"]["id"] for pin in listed["pins"]] == [first["id"], second["id"]]
    await api.call("DELETE", f"{path}/{first['id']}", 204, token=scene.brand["token"])
    listed = await api.call("GET", path, 200)
    assert [pin["product"]["id"] for pin in listed["pins"]] == [second["id"]]

    assert [type(event) for event in events] == [Pinned, Pinned, Unpinned]
    assert isinstance(events[0], Pinned)
    assert events[0].product["id"] == first["id"]
    assert isinstance(events[2], Unpinned)
    assert events[2].product_id == first["id"]
    store_pins = await app[keys.SERVICES].store.active_pins(scene.show_id)
    assert [pin.product.id for pin in store_pins] == [second["id"]]


async def test_pinning_is_refused_to_strangers_outside_the_lineup_and_after_the_end(
    api: Api, app: web.Application
) -> None:
    scene = await make_scene(api)
    product = scene.products[0]
    path = f"/api/shows/{scene.show_id}/pins"
    other_host = await api.create_account("host", "Other Host")
    other_brand = await api.create_account("brand", "Other Brand")
    viewer = await scene.viewer()
    body = {"product_id": product["id"]}

    await api.call("POST", path, 401, json=body)
    await api.call("POST", path, 403, token=viewer["token"], json=body)
    await api.call("POST", path, 403, token=other_host["token"], json=body)
    await api.call("POST", path, 403, token=other_brand["token"], json=body)
    await api.call("POST", "/api/shows/shw_nope/pins", 404, token=scene.host["token"], json=body)
    missing = await api.call("POST", path, 404, token=scene.host["token"], json={"product_id": "prd_nope"})
    assert missing["error"]["code"] == "not_found"

    outside = await api.create_product(scene.brand["token"], sku="NOT-FEATURED")
    refused = await api.call("POST", path, 409, token=scene.brand["token"], json={"product_id": outside["id"]})
    assert refused["error"]["code"] == "not_in_lineup"

    await app[keys.SERVICES].store.set_show_status(scene.show_id, ShowStatus.ENDED)
    ended = await api.call("POST", path, 409, token=scene.host["token"], json=body)
    assert ended["error"]["code"] == "show_ended"
    admin = await api.call("POST", path, 409, token=ADMIN_TOKEN, json=body)
    assert admin["error"]["code"] == "show_ended"


async def test_pin_log_feeds_pins_and_pinned_seconds(api: Api, app: web.Application) -> None:
    scene = await make_scene(api)
    product = scene.products[0]
    for _ in range(2):
        await scene.pin(product)
        await api.call("DELETE", f"/api/shows/{scene.show_id}/pins/{product['id']}", 204, token=scene.host["token"])
    log = await app[keys.SERVICES].store.pin_log(scene.show_id)
    assert len(log) == 2
    assert all(span.unpinned_at is not None for span in log)
    stats = await api.call("GET", f"/api/shows/{scene.show_id}/stats", 200, token=scene.host["token"])
    row = stats["products"][0]
    assert row["pins"] == 2
    expected = sum((span.unpinned_at - span.pinned_at).total_seconds() for span in log if span.unpinned_at)
    assert abs(row["pinned_seconds"] - expected) < 0.001


async def test_cart_takes_only_products_pinned_during_this_show(api: Api) -> None:
    scene = await make_scene(api, {}, {})
    pinned, never_pinned = scene.products
    viewer = await scene.viewer()
    await scene.pin(pinned)

    refused = await scene.add(viewer, never_pinned, status=409)
    assert refused["error"]["code"] == "not_pinned"
    unknown = await scene.add(viewer, {"id": "prd_nope"}, status=404)
    assert unknown["error"]["code"] == "not_found"

    # Pinned in another show of the same host is the wrong show: not pinned in this one.
    other_show = await api.create_show(scene.host["token"], "Another show")
    await api.call(
        "POST",
        f"/api/shows/{other_show['id']}/lineup",
        201,
        token=scene.host["token"],
        json={"product_id": never_pinned["id"]},
    )
    await api.call(
        "POST",
        f"/api/shows/{other_show['id']}/pins",
        201,
        token=scene.host["token"],
        json={"product_id": never_pinned["id"]},
    )
    wrong_show = await scene.add(viewer, never_pinned, status=409)
    assert wrong_show["error"]["code"] == "not_pinned"

    cart = await scene.add(viewer, pinned, qty=2)
    assert [(item["product"]["id"], item["qty"]) for item in cart["items"]] == [(pinned["id"], 2)]
    assert cart["total_cents"] == 2 * pinned["price_cents"]
    assert cart["currency"] == "EUR"

    # Unpinned later: still "pinned during this show", so it may still be added.
    await api.call("DELETE", f"/api/shows/{scene.show_id}/pins/{pinned['id']}", 204, token=scene.host["token"])
    cart = await scene.add(viewer, pinned)
    assert cart["items"][0]["qty"] == 3


async def test_cart_enforces_the_per_buyer_limit_and_one_currency(api: Api, settings: Settings) -> None:
    scene = await make_scene(api, {"currency": "EUR"}, {"currency": "USD"})
    eur, usd = scene.products
    viewer = await scene.viewer()
    for product in scene.products:
        await scene.pin(product)

    limit = settings.max_qty_per_buyer
    await scene.add(viewer, eur, qty=limit)
    over = await scene.add(viewer, eur, qty=1, status=409)
    assert over["error"]["code"] == "limit_exceeded"
    assert over["error"]["product_ids"] == [eur["id"]]

    mixed = await scene.add(viewer, usd, status=409)
    assert mixed["error"]["code"] == "currency_mismatch"
    assert "EUR" in mixed["error"]["message"]

    bad = await api.call(
        "POST",
        f"/api/shows/{scene.show_id}/cart/items",
        400,
        token=viewer["token"],
        json={"product_id": eur["id"], "qty": 0},
    )
    assert "qty" in bad["error"]["fields"]
    await api.call(
        "POST",
        f"/api/shows/{scene.show_id}/cart/items",
        403,
        token=scene.host["token"],
        json={"product_id": eur["id"]},
    )


async def test_cart_items_can_be_removed(api: Api) -> None:
    scene = await make_scene(api)
    product = scene.products[0]
    viewer = await scene.viewer()
    await scene.pin(product)
    await scene.add(viewer, product)
    path = f"/api/shows/{scene.show_id}/cart/items/{product['id']}"
    await api.call("DELETE", path, 204, token=viewer["token"])
    await api.call("DELETE", path, 404, token=viewer["token"])
    cart = await api.call("GET", f"/api/shows/{scene.show_id}/cart", 200, token=viewer["token"])
    assert cart["items"] == []
    assert cart["total_cents"] == 0


async def test_carts_survive_a_restart(
    api: Api, client: TestClient[Any, Any], settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    scene = await make_scene(api)
    product = scene.products[0]
    viewer = await scene.viewer()
    await scene.pin(product)
    await scene.add(viewer, product, qty=2)
    await client.close()

    restarted = Api(await aiohttp_client(create_app(settings)))
    cart = await restarted.call("GET", f"/api/shows/{scene.show_id}/cart", 200, token=viewer["token"])
    assert [(item["product"]["id"], item["qty"]) for item in cart["items"]] == [(product["id"], 2)]


async def test_a_cart_lines_quantity_is_set_with_patch_and_zero_removes_it(api: Api, settings: Settings) -> None:
    scene = await make_scene(api, {}, {})
    product, never_pinned = scene.products
    viewer = await scene.viewer()
    await scene.pin(product)
    await scene.add(viewer, product, qty=3)
    path = f"/api/shows/{scene.show_id}/cart/items/{product['id']}"

    one_less = await api.call("PATCH", path, 200, token=viewer["token"], json={"qty": 2})
    assert [(item["product"]["id"], item["qty"]) for item in one_less["items"]] == [(product["id"], 2)]
    assert one_less["total_cents"] == 2 * product["price_cents"]
    limit = settings.max_qty_per_buyer
    over = await api.call("PATCH", path, 409, token=viewer["token"], json={"qty": limit + 1})
    assert over["error"]["code"] == "limit_exceeded"
    assert over["error"]["product_ids"] == [product["id"]]
    at_limit = await api.call("PATCH", path, 200, token=viewer["token"], json={"qty": limit})
    assert at_limit["items"][0]["qty"] == limit
    emptied = await api.call("PATCH", path, 200, token=viewer["token"], json={"qty": 0})
    assert (emptied["items"], emptied["total_cents"]) == ([], 0)
    again = await api.call("PATCH", path, 200, token=viewer["token"], json={"qty": 1})  # no line: an add
    assert [(item["product"]["id"], item["qty"]) for item in again["items"]] == [(product["id"], 1)]

    never = f"/api/shows/{scene.show_id}/cart/items/{never_pinned['id']}"
    refused = await api.call("PATCH", never, 409, token=viewer["token"], json={"qty": 1})
    assert refused["error"]["code"] == "not_pinned"
    unknown = await api.call(
        "PATCH", f"/api/shows/{scene.show_id}/cart/items/prd_nope", 404, token=viewer["token"], json={"qty": 1}
    )
    assert unknown["error"]["code"] == "not_found"
    for body in ({"qty": -1}, {"qty": 1001}, {"qty": "2"}, {}):
        bad = await api.call("PATCH", path, 400, token=viewer["token"], json=body)
        assert "qty" in bad["error"]["fields"]
    await api.call("PATCH", path, 403, token=scene.host["token"], json={"qty": 1})


async def test_setting_fewer_units_is_never_refused_but_more_are_not_sold_after_the_end(api: Api) -> None:
    scene = await make_scene(api)
    product = scene.products[0]
    viewer = await scene.viewer()
    await scene.pin(product)
    await scene.add(viewer, product, qty=3)
    await api.call("POST", f"/api/shows/{scene.show_id}/end", 200, token=scene.host["token"])
    path = f"/api/shows/{scene.show_id}/cart/items/{product['id']}"
    ended = await api.call("PATCH", path, 409, token=viewer["token"], json={"qty": 4})
    assert ended["error"]["code"] == "show_ended"
    lowered = await api.call("PATCH", path, 200, token=viewer["token"], json={"qty": 1})
    assert lowered["items"][0]["qty"] == 1
