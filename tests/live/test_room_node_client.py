"""The official Node socket.io-client (msgpack parser) and python-socketio's client in one room."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from tests.live.clients import LiveClient
from tests.support import Api, need_binary

ROOT = Path(__file__).resolve().parents[2]
NODE_VIEWER = Path(__file__).with_name("node_viewer.js")


async def test_node_and_python_clients_chat_ask_and_upvote(client: TestClient[Any, Any], api: Api) -> None:
    node = need_binary("node", "nodejs")
    assert (ROOT / "node_modules" / "socket.io-client").is_dir(), "run `npm ci` (make setup)"
    host = await api.create_account("host", "Mia")
    show = await api.create_show(host["token"])
    nora, pete = [await api.create_account("viewer", name) for name in ("Nora", "Pete")]
    python_viewer = await LiveClient(str(client.make_url("/"))).connect()
    await python_viewer.join(show["id"], pete["token"])

    plan = {
        "url": str(client.make_url("/")),
        "show_id": show["id"],
        "token": nora["token"],
        "chats": [f"node {n}" for n in range(4)],
        "bad": ["   ", "x" * 501],
        "ask": "Does it ship to Norway?",
        "expect_chat": 7,
    }
    process = await asyncio.create_subprocess_exec(
        node,
        str(NODE_VIEWER),
        json.dumps(plan),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    # the Python viewer answers: upvotes Nora's question as soon as it sees it, then chats
    await python_viewer.wait_for(lambda: bool(python_viewer.events("questions")), within_s=20)
    question = python_viewer.events("questions")[0][0]
    assert question["text"] == "Does it ship to Norway?"
    assert question["name"] == "Nora"
    assert (await python_viewer.call("upvote", {"question_id": question["id"]}))["counted"] is True
    for n in range(3):
        assert (await python_viewer.call("chat", {"text": f"python {n}"}))["ok"]
    stdout, stderr = await asyncio.wait_for(process.communicate(), 40)
    assert process.returncode == 0, stderr.decode()
    report = json.loads(stdout)

    assert report["join"]["ok"] is True
    assert report["join"]["show"]["id"] == show["id"]
    assert [ack["error"]["code"] for ack in report["bad_acks"]] == ["bad_request", "bad_request"]
    assert all(ack["ok"] for ack in report["chat_acks"])
    assert report["upvote"]["ok"] is True
    texts = [m["text"] for m in report["chat"]]
    assert [t for t in texts if t.startswith("node")] == [f"node {n}" for n in range(4)]
    assert [t for t in texts if t.startswith("python")] == [f"python {n}" for n in range(3)]
    assert max(q["votes"] for q in report["questions"]) == 2
    await python_viewer.wait_for(lambda: len(python_viewer.chat_texts()) == 7)
    assert [t for t in python_viewer.chat_texts() if t.startswith("node")] == [f"node {n}" for n in range(4)]
    await python_viewer.close()
