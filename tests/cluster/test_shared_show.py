"""Three `livecart serve` processes on one redis-server serve one show as if they were one server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import ClientSession

from tests.api.commerce_scene import checkout_body, new_key
from tests.cluster.nodes import NodeApi, cluster_env
from tests.conftest import ServerProcess
from tests.hardening.flash_sale import CROWD_ENV
from tests.live.clients import LiveClient

pytestmark = [pytest.mark.redis, pytest.mark.slow]


async def stats(api: NodeApi, show_id: str, token: str) -> dict[str, Any]:
    body: dict[str, Any] = await api.call("GET", f"/api/shows/{show_id}/stats", 200, token=token)
    return body


async def until(predicate: Callable[[], Any], within_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_viewer_on_one_node_sees_chat_from_another_and_a_pin_from_a_third(
    redis_url: str, server_process: Callable[..., ServerProcess], session: ClientSession
) -> None:
    a, b, c = (NodeApi(session, server_process(cluster_env(redis_url, **CROWD_ENV))) for _ in range(3))
    host = await a.create_account("host", "Mia")
    brand = await c.create_account("brand", "Glow")
    show = await a.create_show(host["token"])
    product = await c.create_product(brand["token"], stock=7)
    await c.call(
        "POST", f"/api/shows/{show['id']}/lineup", 201, token=host["token"], json={"product_id": product["id"]}
    )
    ann, bob = await a.create_account("viewer", "Ann"), await b.create_account("viewer", "Bob")

    on_a, on_b = await LiveClient(a.url).connect(), await LiveClient(b.url).connect()
    lurkers = [await LiveClient(node.url).connect() for node in (b, c)]
    await on_a.join(show["id"], ann["token"])
    await on_b.join(show["id"], bob["token"])
    for lurker in lurkers:
        await lurker.join(show["id"])

    assert (await on_a.call("chat", {"text": "sent on A"}))["ok"]
    await c.call("POST", f"/api/shows/{show['id']}/pins", 201, token=host["token"], json={"product_id": product["id"]})

    await on_b.wait_for(lambda: "sent on A" in on_b.chat_texts() and bool(on_b.events("pin")))
    assert on_b.events("pin")[0]["product"]["id"] == product["id"]
    assert on_b.events("pin")[0]["product"]["stock"] == 7

    async def four_viewers_counted() -> bool:  # summed over the three nodes
        return bool((await stats(a, show["id"], host["token"]))["current_viewers"] == 4)

    await until(four_viewers_counted)
    assert (await stats(c, show["id"], host["token"]))["current_viewers"] == 4
    for live in (on_a, on_b, *lurkers):
        await live.close()

    async def none_left() -> bool:
        return bool((await stats(b, show["id"], host["token"]))["current_viewers"] == 0)

    await until(none_left)


async def test_a_flash_sale_split_across_three_nodes_never_oversells(
    redis_url: str, server_process: Callable[..., ServerProcess], session: ClientSession
) -> None:
    nodes = [NodeApi(session, server_process(cluster_env(redis_url, **CROWD_ENV))) for _ in range(3)]
    first = nodes[0]
    host = await first.create_account("host", "Mia")
    brand = await first.create_account("brand", "Glow")
    show = await first.create_show(host["token"])
    product = await first.create_product(brand["token"], stock=50)
    path = f"/api/shows/{show['id']}"
    await first.call("POST", f"{path}/lineup", 201, token=host["token"], json={"product_id": product["id"]})
    await first.call("POST", f"{path}/pins", 201, token=host["token"], json={"product_id": product["id"]})

    async def buy(n: int) -> int:
        node = nodes[n % len(nodes)]
        buyer = await node.create_account("viewer", f"Buyer {n}")
        await node.call("POST", f"{path}/cart/items", 201, token=buyer["token"], json={"product_id": product["id"]})
        response = await node.request(
            "POST",
            f"{path}/checkout",
            token=buyer["token"],
            json=checkout_body(),
            headers={"Idempotency-Key": new_key()},
        )
        body = await response.json()
        assert response.status in (201, 409), body
        if response.status == 409:
            assert body["error"]["code"] == "out_of_stock"
        return response.status

    statuses = await asyncio.gather(*(buy(n) for n in range(300)))

    assert statuses.count(201) == 50
    assert statuses.count(409) == 250
    for node in nodes:
        assert (await node.call("GET", f"/api/products/{product['id']}", 200))["stock"] == 0
    totals = (await stats(nodes[1], show["id"], host["token"]))["totals"]
    assert [(t["units"], t["gross_cents"]) for t in totals] == [(50, 50 * product["price_cents"])]
