"""Commerce and the live room together, as a show runs: pins, stock and sales reach every viewer in the
room, a late joiner's snapshot shows what is pinned, and the stats count the audience."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient

from tests.api.commerce_scene import make_scene
from tests.live.clients import LiveClient
from tests.support import Api


async def stats_when(api: Api, show_id: str, token: str, ready: Callable[[dict[str, Any]], bool]) -> Any:
    deadline = time.monotonic() + 5
    while True:
        stats = await api.call("GET", f"/api/shows/{show_id}/stats", 200, token=token)
        if ready(stats) or time.monotonic() > deadline:
            return stats
        await asyncio.sleep(0.05)


def base_url(client: TestClient[Any, Any]) -> str:
    return str(client.make_url("/")).rstrip("/")


async def test_pins_stock_and_sales_reach_the_room_and_the_stats(api: Api, client: TestClient[Any, Any]) -> None:
    scene = await make_scene(api, {"title": "Ruby Lipstick", "stock": 5})
    product = scene.products[0]
    buyer = await scene.viewer("Sam Baker")
    watcher = await LiveClient(base_url(client)).connect()
    shopper = await LiveClient(base_url(client)).connect()
    try:
        await watcher.join(scene.show_id)
        await shopper.join(scene.show_id, buyer["token"])
        assert (await shopper.call("chat", {"text": "love this"}))["ok"]
        assert (await shopper.call("ask", {"text": "is it vegan?"}))["ok"]
        await watcher.wait_for(lambda: watcher.chat_texts() == ["love this"])

        await api.call(
            "POST",
            f"/api/shows/{scene.show_id}/pins",
            201,
            token=scene.brand["token"],
            json={"product_id": product["id"]},
        )
        await watcher.wait_for(lambda: bool(watcher.events("pin")))
        assert watcher.events("pin")[0]["product"]["id"] == product["id"]

        await scene.add(buyer, product, qty=2)
        await scene.checkout(buyer)
        await watcher.wait_for(lambda: bool(watcher.events("sale")))
        assert watcher.events("sale") == [
            {"product_id": product["id"], "title": "Ruby Lipstick", "qty": 2, "buyer": "Sam B."}
        ]
        await watcher.wait_for(lambda: {"product_id": product["id"], "stock": 3} in watcher.events("stock"))

        late = await LiveClient(base_url(client)).connect()
        try:
            snapshot = await late.join(scene.show_id)
            assert [pin["product"]["id"] for pin in snapshot["pins"]] == [product["id"]]
            assert snapshot["pins"][0]["product"]["stock"] == 3
            assert {"product_id": product["id"], "stock": 3} in snapshot["stock"]
            assert [message["text"] for message in snapshot["chat"]] == ["love this"]
            await watcher.wait_for(lambda: {"count": 3} in watcher.events("viewers"))
        finally:
            await late.close()

        # Audience counters are written once per room frame, so they trail a leave by up to a frame.
        stats = await stats_when(api, scene.show_id, scene.host["token"], lambda s: s["current_viewers"] == 2)
        assert stats["peak_viewers"] == 3
        assert (stats["chat_messages"], stats["questions"]) == (1, 1)
        row = stats["products"][0]
        assert (row["units"], row["orders"]) == (2, 1)
    finally:
        await watcher.close()
        await shopper.close()
