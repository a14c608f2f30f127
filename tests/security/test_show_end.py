"""An ended show stops selling and a deleted account stops selling (issue 19, findings 6 and 7), on
both stores: the live path refuses with a clear code, a product left pinned can still be taken down,
and admin can end any show with `POST /api/shows/{id}/end`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from livecart.config import Settings
from tests.api.commerce_scene import Scene, checkout_body, make_scene, new_key
from tests.support import ADMIN_TOKEN, Api


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    url = f"sqlite:///{tmp_path / 'livecart.db'}" if request.param == "sqlite" else request.getfixturevalue("redis_url")
    return Settings(store=url, admin_token=ADMIN_TOKEN)


async def selling_scene(api: Api) -> tuple[Scene, dict[str, Any], dict[str, Any]]:
    """A show with a pinned product and a buyer holding it in the cart."""
    scene = await make_scene(api, {"stock": 5, "price_cents": 2000})
    product = scene.products[0]
    await scene.pin(product)
    buyer = await scene.viewer()
    await scene.add(buyer, product)
    return scene, product, buyer


async def end(api: Api, scene: Scene, token: str, status: int = 200) -> Any:
    return await api.call("POST", f"/api/shows/{scene.show_id}/end", status, token=token)


async def test_an_ended_show_sells_nothing_more_on_the_live_path(api: Api) -> None:
    scene, product, buyer = await selling_scene(api)
    paid_key = new_key()
    paid = await scene.checkout(buyer, key=paid_key)
    await scene.add(buyer, product)

    assert (await end(api, scene, scene.host["token"]))["status"] == "ended"

    refused_add = await scene.add(buyer, product, status=409)
    assert refused_add["error"]["code"] == "show_ended"
    refused_checkout = await scene.checkout(buyer, 409)
    assert refused_checkout["error"]["code"] == "show_ended"
    assert (await scene.product(product))["stock"] == 4
    replayed = await api.call(  # a paid checkout's retry still replays its answer
        "POST",
        f"/api/shows/{scene.show_id}/checkout",
        201,
        token=buyer["token"],
        json=checkout_body(),
        headers={"Idempotency-Key": paid_key},
    )
    assert replayed["id"] == paid["id"]


@pytest.mark.parametrize("who", ["host", "admin"])
async def test_a_product_left_pinned_at_the_end_can_be_unpinned(api: Api, who: str) -> None:
    scene, product, _ = await selling_scene(api)
    await end(api, scene, ADMIN_TOKEN)
    token = scene.host["token"] if who == "host" else ADMIN_TOKEN

    await api.call("DELETE", f"/api/shows/{scene.show_id}/pins/{product['id']}", 204, token=token)

    pinned_again = await api.call(
        "POST", f"/api/shows/{scene.show_id}/pins", 409, token=token, json={"product_id": product["id"]}
    )
    assert pinned_again["error"]["code"] == "show_ended"


async def test_only_the_shows_host_and_admin_may_end_it(api: Api) -> None:
    scene, _, buyer = await selling_scene(api)
    other_host = await api.create_account("host", "Other")
    await end(api, scene, buyer["token"], 403)
    await end(api, scene, other_host["token"], 403)
    await end(api, scene, scene.brand["token"], 403)
    assert (await end(api, scene, ADMIN_TOKEN))["status"] == "ended"
    assert (await end(api, scene, ADMIN_TOKEN))["status"] == "ended"  # ending it again changes nothing
    await api.call("POST", "/api/shows/shw_0000000000000000/end", 404, token=ADMIN_TOKEN)


async def test_a_deleted_brands_products_are_no_longer_sold(api: Api) -> None:
    scene, product, buyer = await selling_scene(api)
    other = await scene.viewer("Other buyer")

    await api.call("DELETE", f"/api/accounts/{scene.brand['id']}", 204, token=ADMIN_TOKEN)

    refused_checkout = await scene.checkout(buyer, 409)
    assert refused_checkout["error"]["code"] == "not_for_sale"
    assert refused_checkout["error"]["product_ids"] == [product["id"]]
    refused_add = await scene.add(other, product, status=409)
    assert refused_add["error"]["code"] == "not_for_sale"
    assert (await scene.product(product))["stock"] == 5


async def test_a_deleted_hosts_shows_end_and_sell_nothing(api: Api) -> None:
    scene, product, buyer = await selling_scene(api)

    await api.call("DELETE", f"/api/accounts/{scene.host['id']}", 204, token=ADMIN_TOKEN)

    assert (await api.call("GET", f"/api/shows/{scene.show_id}", 200))["status"] == "ended"
    refused = await scene.checkout(buyer, 409)
    assert refused["error"]["code"] == "show_ended"
    assert (await scene.product(product))["stock"] == 5
