"""The official Node socket.io-client (msgpack parser) bids and enters a giveaway next to a python-socketio
viewer: acks, errors and the `auction` and `giveaway` room events as both clients see them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from livecart import keys
from livecart.domain.models import ShowStatus
from tests.api.commerce_scene import make_scene
from tests.live.clients import LiveClient
from tests.support import Api, need_binary

ROOT = Path(__file__).resolve().parents[2]
NODE_VIEWER = Path(__file__).with_name("node_selling_viewer.js")


async def test_node_and_python_clients_bid_and_enter(client: TestClient[Any, Any], api: Api) -> None:
    node = need_binary("node", "nodejs")
    scene = await make_scene(api, {"stock": 5})
    await client.app[keys.SERVICES].store.set_show_status(scene.show_id, ShowStatus.LIVE)
    product_id, token = scene.products[0]["id"], scene.host["token"]
    auction = await api.call(
        "POST",
        f"/api/shows/{scene.show_id}/auctions",
        201,
        token=token,
        json={"product_id": product_id, "start_cents": 700, "increment_cents": 50, "duration_s": 120},
    )
    giveaway = await api.call(
        "POST",
        f"/api/shows/{scene.show_id}/giveaways",
        201,
        token=token,
        json={"product_id": product_id, "winners": 1, "duration_s": 120, "keyword": "shine"},
    )
    nora, pete = await scene.viewer("Nora Berg"), await scene.viewer("Pete Ray")
    python_viewer = await LiveClient(str(client.make_url("/"))).connect()
    try:
        await python_viewer.join(scene.show_id, pete["token"])
        plan = {
            "url": str(client.make_url("/")),
            "show_id": scene.show_id,
            "token": nora["token"],
            "auction_id": auction["id"],
            "giveaway_id": giveaway["id"],
            "keyword": "Shine",
        }
        process = await asyncio.create_subprocess_exec(
            node,
            str(NODE_VIEWER),
            json.dumps(plan),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        # pete enters by chatting the keyword while Nora bids and enters from Node
        assert (await python_viewer.call("chat", {"text": "shine"}))["ok"]
        stdout, stderr = await asyncio.wait_for(process.communicate(), 40)
        assert process.returncode == 0, stderr.decode()
        report = json.loads(stdout)
        await python_viewer.wait_for(lambda: any(a["bids"] == 1 for a in python_viewer.events("auction")))
        await python_viewer.wait_for(lambda: any(g["entrants"] == 2 for g in python_viewer.events("giveaway")))
    finally:
        await python_viewer.close()

    assert report["join"]["selling"]["auction"]["id"] == auction["id"]
    assert (report["low"]["error"]["code"], report["low"]["error"]["min_cents"]) == ("bid_too_low", 700)
    assert report["bid"]["ok"] is True
    assert report["bid"]["auction"]["high_bid_cents"] == 700
    assert report["bid"]["auction"]["leader"] == {"id": nora["id"], "name": "Nora B."}
    assert [(ack["ok"], ack["entered"]) for ack in report["enter"]] == [(True, True), (True, False)]
    assert report["chat"]["ok"] is True  # the keyword again: still chat, no second entry
    assert report["bad"]["error"]["fields"] == {"amount_cents": "must be an integer from 1"}
    seen = python_viewer.events("auction")[-1]
    assert (seen["leader"]["id"], seen["high_bid_cents"]) == (nora["id"], 700)
    entered = await api.call("GET", f"/api/giveaways/{giveaway['id']}", 200)
    assert entered["entrant_ids"] == sorted([nora["id"], pete["id"]])
