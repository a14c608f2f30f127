"""A node SIGKILLed between the commit of an event and its delivery: once a node is back, the event is
delivered, with the delivery id it had (at least once; the receiver may dedupe by that id). Both stores."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from tests.api.commerce_scene import Scene, checkout_body, new_key
from tests.cluster.nodes import NodeApi
from tests.conftest import ServerProcess, start_server
from tests.webhooks.receiver import Receiver

TIMEOUT_S = "1"  # LIVECART_WEBHOOK_TIMEOUT_S: the endpoint's lease is this plus 5 s


async def test_an_event_committed_before_a_sigkill_is_delivered_when_the_node_is_back(
    store_url: str, tmp_path: Path, aiohttp_server: Callable[..., Any]
) -> None:
    hold = asyncio.Event()
    receiver = Receiver(hold=hold)  # the first request hangs: the node dies mid-delivery
    server: TestServer = await aiohttp_server(receiver.app())
    env = {
        "LIVECART_STORE": store_url,
        "LIVECART_WEBHOOK_ALLOW_PRIVATE": "1",
        "LIVECART_WEBHOOK_TIMEOUT_S": TIMEOUT_S,
        "LIVECART_WEBHOOK_RETRY_S": "1",
    }
    node = await asyncio.to_thread(start_server, tmp_path, env)
    servers: list[ServerProcess] = [node]
    try:
        async with aiohttp.ClientSession() as session:
            api = NodeApi(session, node)
            brand = await api.create_account("brand", "Aurora Beauty")
            hook = await api.call(
                "POST",
                "/api/webhooks",
                201,
                token=brand["token"],
                json={"url": str(server.make_url("/hooks")), "events": ["order.paid"]},
            )
            receiver.secret = hook["secret"]
            host = await api.create_account("host", "Mia Live")
            show = await api.create_show(host["token"])
            product = await api.create_product(brand["token"])
            scene = Scene(api=api, brand=brand, host=host, show=show, products=[product])
            await api.call(
                "POST", f"/api/shows/{show['id']}/lineup", 201, token=host["token"], json={"product_id": product["id"]}
            )
            await scene.pin(product)
            buyer = await scene.viewer()
            await scene.add(buyer, product)
            order = await api.call(
                "POST",
                f"/api/shows/{show['id']}/checkout",
                201,
                token=buyer["token"],
                json=checkout_body(),
                headers={"Idempotency-Key": new_key()},
            )

            await asyncio.wait_for(receiver.arrived.wait(), 20)  # committed, and being sent …
            node.process.send_signal(signal.SIGKILL)  # … when the node dies
            await asyncio.to_thread(node.process.wait)
            assert receiver.received == []
            hold.set()  # the receiver answers from now on

            back = await asyncio.to_thread(start_server, tmp_path, env)
            servers.append(back)
            received = await receiver.wait_for(1, within_s=40)
            got = received[0]
            assert {r.delivery_id for r in received} == {got.delivery_id}  # once, or again with the same id
            assert got.signed
            assert got.event["type"] == "order.paid"
            assert got.event["data"]["order_id"] == order["id"]
            path = f"/api/webhooks/{hook['id']}/deliveries"
            listed = (await NodeApi(session, back).call("GET", path, 200, token=brand["token"]))["deliveries"]
            assert [d["id"] for d in listed] == [got.delivery_id]
            assert listed[0]["status"] == "delivered"
    finally:
        for started in servers:
            if started.process.poll() is None:
                started.process.terminate()
                await asyncio.to_thread(started.process.wait)
