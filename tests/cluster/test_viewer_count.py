"""The viewer count leaves out the show's host, its brands and admins on every node of a cluster."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from aiohttp import ClientSession

from tests.cluster.nodes import NodeApi, start_nodes
from tests.conftest import ServerProcess
from tests.live.clients import LiveClient
from tests.support import ADMIN_TOKEN

pytestmark = [pytest.mark.redis, pytest.mark.slow]


async def test_the_shows_own_people_are_not_counted_on_any_node(
    redis_url: str, server_process: Callable[..., ServerProcess], session: ClientSession
) -> None:
    a, b = (NodeApi(session, server) for server in start_nodes(server_process, redis_url, 2))
    host = await a.create_account("host", "Mia")
    brand = await b.create_account("brand", "Glow")
    show = await a.create_show(host["token"])
    product = await b.create_product(brand["token"])
    await a.call("POST", f"/api/shows/{show['id']}/lineup", 201, token=host["token"],
                 json={"product_id": product["id"]})  # fmt: skip

    opened = []
    for node in (a, b):  # on each node: the studio, the brand's console, an admin, and one viewer
        for token in (host["token"], brand["token"], ADMIN_TOKEN, None):
            live = await LiveClient(node.url).connect()
            await live.join(show["id"], token)
            opened.append(live)

    deadline = asyncio.get_running_loop().time() + 10
    while True:
        audience = await a.call("GET", f"/api/shows/{show['id']}/stats", 200, token=host["token"])
        if audience["current_viewers"] == 2:
            break
        assert audience["current_viewers"] < 2, audience["current_viewers"]
        assert asyncio.get_running_loop().time() < deadline, "the two viewers were never counted"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # a few more ticks: the show's own people are still not counted
    audience = await b.call("GET", f"/api/shows/{show['id']}/stats", 200, token=host["token"])
    assert (audience["current_viewers"], audience["peak_viewers"]) == (2, 2)
    for live in opened:
        await live.close()
