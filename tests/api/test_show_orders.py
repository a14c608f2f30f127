"""GET /api/shows/{id}/orders: newest first, a page at a time, each role seeing only its part."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.commerce_scene import DECLINED_CARD, Scene, make_scene
from tests.support import ADMIN_TOKEN, Api

ADDRESS = {"name": "Sam Lee", "line1": "1 Main St", "city": "Lyon", "postal_code": "69001", "country": "FR"}


@dataclass
class Orders:
    scene: Scene
    nova: dict[str, Any]  # a second brand, with sneakers in the same lineup
    lipstick: dict[str, Any]
    sneakers: dict[str, Any]
    mixed: dict[str, Any]  # Sam: 1 lipstick + 2 sneakers, paid; then Ada's declined card (a failed order)
    lipstick_only: dict[str, Any]  # Ada: 2 lipsticks, paid

    def path(self, query: str = "") -> str:
        return f"/api/shows/{self.scene.show_id}/orders{query}"


@pytest.fixture
async def orders(api: Api) -> Orders:
    scene = await make_scene(api, {"title": "Lipstick", "price_cents": 1900, "commission_bps": 1000})
    nova = await api.create_account("brand", "Nova Shoes")
    sneakers = await api.create_product(nova["token"], sku="SNK", title="Sneakers", price_cents=8000)
    await api.call(
        "POST",
        f"/api/shows/{scene.show_id}/lineup",
        201,
        token=scene.host["token"],
        json={"product_id": sneakers["id"]},
    )
    lipstick = scene.products[0]
    for product in (lipstick, sneakers):
        await scene.pin(product)
    sam, ada = await scene.viewer("Sam Lee"), await scene.viewer("Ada \u202eRTL")
    await scene.add(sam, lipstick)
    await scene.add(sam, sneakers, qty=2)
    mixed = await scene.checkout(sam)
    await scene.add(ada, lipstick)
    await scene.checkout(ada, 402, card=DECLINED_CARD)
    await scene.add(ada, lipstick)
    lipstick_only = await scene.checkout(ada)
    return Orders(scene, nova, lipstick, sneakers, mixed, lipstick_only)


async def test_the_host_lists_every_order_newest_first_with_every_line_but_no_address(api: Api, orders: Orders) -> None:
    body = await api.call("GET", orders.path(), 200, token=orders.scene.host["token"])

    listed = body["orders"]
    assert [order["status"] for order in listed] == ["paid", "failed", "paid"]
    assert listed[0]["id"] == orders.lipstick_only["id"]
    assert listed[2]["id"] == orders.mixed["id"]
    assert [item["title"] for item in listed[2]["items"]] == ["Lipstick", "Sneakers"]
    assert listed[2]["total_cents"] == 1900 + 2 * 8000
    assert [order["buyer_name"] for order in listed] == ["Ada \u202eRTL", "Ada \u202eRTL", "Sam Lee"]
    assert all(order["shipping"] is None and "buyer_id" not in order for order in listed)
    assert body["next_before"] is None


async def test_a_brand_sees_only_orders_with_its_products_and_only_its_own_lines(api: Api, orders: Orders) -> None:
    nova = await api.call("GET", orders.path(), 200, token=orders.nova["token"])
    aurora = await api.call("GET", orders.path(), 200, token=orders.scene.brand["token"])

    [mixed] = nova["orders"]
    assert mixed["id"] == orders.mixed["id"]
    assert [(item["title"], item["qty"]) for item in mixed["items"]] == [("Sneakers", 2)]
    assert (mixed["total_cents"], mixed["commission_cents"]) == (16000, 1600)
    assert mixed["buyer_name"] == "Sam Lee"
    assert mixed["shipping"] == ADDRESS  # paid: the brand ships its items
    assert {"buyer_id", "host_id"}.isdisjoint(mixed)
    assert [order["id"] for order in aurora["orders"]][::2] == [orders.lipstick_only["id"], orders.mixed["id"]]
    assert [item["title"] for order in aurora["orders"] for item in order["items"]] == ["Lipstick"] * 3
    assert aurora["orders"][2]["total_cents"] == 1900
    assert aurora["orders"][1]["status"] == "failed"
    assert aurora["orders"][1]["shipping"] is None  # nothing to ship


async def test_admin_sees_whole_orders_with_the_buyer_and_the_address(api: Api, orders: Orders) -> None:
    body = await api.call("GET", orders.path(), 200, token=ADMIN_TOKEN)

    oldest = body["orders"][-1]
    assert oldest["id"] == orders.mixed["id"]
    assert oldest["buyer_id"] == orders.mixed["buyer_id"]
    assert oldest["shipping"]["line1"] == "1 Main St"
    assert len(oldest["items"]) == 2


async def test_a_brand_reading_one_order_sees_only_its_lines_too(api: Api, orders: Orders) -> None:
    order = await api.call("GET", f"/api/orders/{orders.mixed['id']}", 200, token=orders.nova["token"])

    assert [item["title"] for item in order["items"]] == ["Sneakers"]
    assert order["total_cents"] == 16000
    assert "buyer_id" not in order


async def test_a_refund_shows_in_the_list_for_the_brand_and_the_host(api: Api, orders: Orders) -> None:
    refund = await api.call("POST", f"/api/orders/{orders.mixed['id']}/refund", 201, token=orders.nova["token"])
    assert [item["title"] for item in refund["order"]["items"]] == ["Sneakers"]  # the brand's view again

    [nova_row] = (await api.call("GET", orders.path(), 200, token=orders.nova["token"]))["orders"]
    host_row = (await api.call("GET", orders.path(), 200, token=orders.scene.host["token"]))["orders"][-1]

    assert (nova_row["refund_status"], nova_row["refunded_cents"], nova_row["status"]) == ("full", 16000, "paid")
    assert (host_row["refund_status"], host_row["refunded_cents"]) == ("partial", 16000)


async def test_pages_follow_next_before_until_none(api: Api, orders: Orders) -> None:
    token = orders.scene.host["token"]
    seen: list[str] = []
    query = "?limit=1"
    while True:
        body = await api.call("GET", orders.path(query), 200, token=token)
        assert len(body["orders"]) == 1
        seen.append(body["orders"][0]["id"])
        if body["next_before"] is None:
            break
        assert body["next_before"] == seen[-1]
        query = f"?limit=1&before={body['next_before']}"

    everything = await api.call("GET", orders.path("?limit=100"), 200, token=token)
    assert seen == [order["id"] for order in everything["orders"]]
    assert len(seen) == 3


@pytest.mark.parametrize("query", ["?limit=0", "?limit=101", "?limit=abc", "?limit=1.5", "?limit=-1", "?limit="])
async def test_a_bad_limit_is_a_bad_request_naming_the_field(api: Api, orders: Orders, query: str) -> None:
    body = await api.call("GET", orders.path(query), 400, token=orders.scene.host["token"])

    assert body["error"]["code"] == "bad_request"
    assert "limit" in body["error"]["fields"]


async def test_before_must_be_an_order_of_this_list(api: Api, orders: Orders) -> None:
    other_show = await api.create_show(orders.scene.host["token"], "Another show")
    await api.call(
        "POST",
        f"/api/shows/{other_show['id']}/lineup",
        201,
        token=orders.scene.host["token"],
        json={"product_id": orders.sneakers["id"]},
    )
    elsewhere = f"/api/shows/{other_show['id']}/orders?before={orders.mixed['id']}"
    cases = [
        (orders.path("?before=ord_nope"), orders.scene.host["token"]),
        (orders.path("?before=" + "x" * 65), orders.scene.host["token"]),
        (orders.path("?before="), orders.scene.host["token"]),
        (elsewhere, orders.scene.host["token"]),
        (orders.path(f"?before={orders.lipstick_only['id']}"), orders.nova["token"]),  # not one of Nova's
    ]
    for path, token in cases:
        body = await api.call("GET", path, 400, token=token)
        assert body["error"]["fields"] == {"before": "the id of an order in this list"}, path


async def test_only_the_host_brands_in_the_lineup_and_admin_may_list(api: Api, orders: Orders) -> None:
    stranger_brand = await api.create_account("brand", "Not Featured")
    other_host = await api.create_account("host", "Other Host")
    viewer = await orders.scene.viewer("Curious")

    await api.call("GET", orders.path(), 401)
    for token in (stranger_brand["token"], other_host["token"], viewer["token"]):
        body = await api.call("GET", orders.path(), 403, token=token)
        assert body["error"]["code"] == "forbidden"
    await api.call("GET", "/api/shows/shw_nope/orders", 404, token=orders.scene.host["token"])
    await api.call("GET", "/api/shows/shw_nope/orders", 404, token=ADMIN_TOKEN)


async def test_a_show_without_orders_lists_none(api: Api) -> None:
    scene = await make_scene(api)

    body = await api.call("GET", f"/api/shows/{scene.show_id}/orders", 200, token=scene.brand["token"])

    assert body == {"show_id": scene.show_id, "orders": [], "next_before": None}


TRICKY = ["\u202e", "%00", "%0d%0a", "9" * 400, "\uff15", " 5", "5 ", "+5", "0x10", "1e2", "%F0%9F%91%A9", "ord_%00"]


async def test_tricky_query_values_get_a_400_never_a_crash(api: Api, orders: Orders) -> None:
    token = orders.scene.host["token"]
    for value in TRICKY:
        for name in ("limit", "before"):
            body = await api.call("GET", orders.path(f"?{name}={value}"), 400, token=token)
            assert list(body["error"]["fields"]) == [name], value
