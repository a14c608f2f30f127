"""A Redis outage while a show is live: two nodes on one redis-server (store and fan-out), Redis killed
and restarted. Each node keeps its own room going, reports itself degraded, and cross-node chat
resumes once Redis is back; nothing in the logs is an unhandled exception."""

from __future__ import annotations

import asyncio
import json
import signal
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess, start_redis, stop_process
from tests.live.clients import LiveClient
from tests.live.test_fanout_processes import post
from tests.support import ADMIN_TOKEN

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def health(server: ServerProcess) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def wait_health(server: ServerProcess, status: int, within_s: float = 20.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        code, body = await asyncio.to_thread(health, server)
        if code == status:
            return body
        assert asyncio.get_running_loop().time() < deadline, f"/healthz stayed {code} {body}"
        await asyncio.sleep(0.1)


async def test_nodes_serve_their_own_viewers_through_a_redis_outage_and_resume_fanout(
    tmp_path: Path, server_process: Callable[..., ServerProcess]
) -> None:
    aof = ("--appendonly", "yes", "--appendfsync", "always")
    redis = start_redis(tmp_path / "redis", *aof)
    try:
        env = {"LIVECART_STORE": redis.url, "LIVECART_CHAT_FRAME_MS": "50"}
        one, two = server_process(env), server_process(env)
        host = post(one.url, "/api/hosts", {"name": "Mia"}, ADMIN_TOKEN)
        show = post(one.url, "/api/shows", {"title": "Outage"}, host["token"])
        ann, carl = post(one.url, "/api/viewers", {"name": "Ann"}), post(one.url, "/api/viewers", {"name": "Carl"})
        bob = post(two.url, "/api/viewers", {"name": "Bob"})
        ann_on_one, carl_on_one = await LiveClient(one.url).connect(), await LiveClient(one.url).connect()
        bob_on_two = await LiveClient(two.url).connect()
        await ann_on_one.join(show["id"], ann["token"])
        await carl_on_one.join(show["id"], carl["token"])
        await bob_on_two.join(show["id"], bob["token"])
        assert (await ann_on_one.call("chat", {"text": "before"}))["ok"]
        await bob_on_two.wait_for(lambda: "before" in bob_on_two.chat_texts())

        redis.process.send_signal(signal.SIGKILL)
        redis.process.wait()
        for node in (one, two):
            body = await wait_health(node, 503)
            assert body["status"] == "degraded"
            assert body["store"] == "unreachable"
            assert body["fanout"] == "unreachable"

        assert (await ann_on_one.call("chat", {"text": "during"}))["ok"]
        await carl_on_one.wait_for(lambda: "during" in carl_on_one.chat_texts())  # same node: still served
        refused = await bob_on_two.call("ask", {"text": "anyone?"})  # needs the store: said so, not a crash
        assert refused["error"]["code"] == "unavailable"

        redis = start_redis(tmp_path / "redis", *aof, port=redis.port)
        for node in (one, two):
            body = await wait_health(node, 200)
            assert (body["status"], body["store"], body["fanout"]) == ("ok", "ok", "ok")
        assert (await ann_on_one.call("chat", {"text": "after"}))["ok"]
        await bob_on_two.wait_for(lambda: "after" in bob_on_two.chat_texts())
        assert (await bob_on_two.call("chat", {"text": "back"}))["ok"]
        await ann_on_one.wait_for(lambda: "back" in ann_on_one.chat_texts())

        assert "during" not in bob_on_two.chat_texts()  # what the outage cut off is not replayed
        for live in (ann_on_one, carl_on_one, bob_on_two):
            await live.close()
        for node in (one, two):
            stop_process(node.process)
            log = node.log.read_text()
            assert "Traceback" not in log, log
            assert "fan-out: lost redis" in log
    finally:
        stop_process(redis.process)
