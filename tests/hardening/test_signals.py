"""Fake-order signals in show stats: refunded orders and buyers with many orders, per brand."""

from __future__ import annotations

from tests.hardening.flash_sale import CHECKOUT_BODY
from tests.support import Api


async def test_stats_count_refunded_orders_and_buyers_with_many_orders(api: Api) -> None:
    brand = await api.create_account("brand", "Aurora")
    other_brand = await api.create_account("brand", "Borealis")
    host = await api.create_account("host", "Mia")
    busy, calm = await api.create_account("viewer", "Busy"), await api.create_account("viewer", "Calm")
    ours = await api.create_product(brand["token"])
    theirs = await api.create_product(other_brand["token"], sku="B-1")
    show = await api.create_show(host["token"])
    for product in (ours, theirs):
        for step in ("lineup", "pins"):
            await api.call("POST", f"/api/shows/{show['id']}/{step}", 201, token=host["token"],
                           json={"product_id": product["id"]})
    orders = []
    for n, (buyer, product) in enumerate([(busy, ours), (busy, ours), (busy, theirs), (calm, ours)]):
        await api.call("POST", f"/api/shows/{show['id']}/cart/items", 201, token=buyer["token"],
                       json={"product_id": product["id"]})
        orders.append(await api.call("POST", f"/api/shows/{show['id']}/checkout", 201, token=buyer["token"],
                                     json=CHECKOUT_BODY, headers={"Idempotency-Key": f"k-{n}"}))
    await api.call("POST", f"/api/orders/{orders[0]['id']}/refund", 201, token=brand["token"])

    for_host = (await api.call("GET", f"/api/shows/{show['id']}/stats", 200, token=host["token"]))["signals"]
    for_brand = (await api.call("GET", f"/api/shows/{show['id']}/stats", 200, token=brand["token"]))["signals"]
    for_other = (await api.call("GET", f"/api/shows/{show['id']}/stats", 200, token=other_brand["token"]))["signals"]

    assert for_host == {"paid_orders": 4, "refunded_orders": 1,
                        "buyers_with_many_orders": [{"buyer_id": busy["id"], "orders": 3}]}
    assert for_brand == {"paid_orders": 3, "refunded_orders": 1, "buyers_with_many_orders": []}
    assert for_other == {"paid_orders": 1, "refunded_orders": 0, "buyers_with_many_orders": []}
