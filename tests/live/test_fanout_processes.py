"""Rooms across processes: two `livecart serve` processes, one redis-server, chat crossing between them."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import RedisServer, ServerProcess
from tests.live.clients import LiveClient
from tests.support import ADMIN_TOKEN

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def post(base_url: str, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    request = urllib.request.Request(
        f"{base_url}{path}", data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


async def test_chat_and_moderation_cross_between_two_processes(
    redis_url: str, redis_server: RedisServer, server_process: Callable[..., ServerProcess]
) -> None:
    env = {"LIVECART_FANOUT_URL": redis_url, "LIVECART_CHAT_FRAME_MS": "50"}
    one, two = server_process(env), server_process(env)
    host = post(one.url, "/api/hosts", {"name": "Mia"}, ADMIN_TOKEN)
    show = post(one.url, "/api/shows", {"title": "Two nodes"}, host["token"])
    ann = post(one.url, "/api/viewers", {"name": "Ann"})
    bob = post(two.url, "/api/viewers", {"name": "Bob"})

    on_one, on_two = await LiveClient(one.url).connect(), await LiveClient(two.url).connect()
    moderator = await LiveClient(two.url).connect()
    await on_one.join(show["id"], ann["token"])
    await on_two.join(show["id"], bob["token"])
    await moderator.join(show["id"], host["token"])

    for n in range(3):
        assert (await on_one.call("chat", {"text": f"from one {n}"}))["ok"]
        assert (await on_two.call("chat", {"text": f"from two {n}"}))["ok"]
    expected_one = [f"from one {n}" for n in range(3)]
    expected_two = [f"from two {n}" for n in range(3)]
    for live in (on_one, on_two, moderator):
        await live.wait_for(lambda live=live: len(live.chat_texts()) == 6)  # type: ignore[misc]
        assert [t for t in live.chat_texts() if t.startswith("from one")] == expected_one
        assert [t for t in live.chat_texts() if t.startswith("from two")] == expected_two

    question = (await on_one.call("ask", {"text": "Which shade?"}))["question"]
    assert (await on_two.call("upvote", {"question_id": question["id"]}))["counted"] is True
    await on_one.wait_for(lambda: any(q[0]["votes"] == 1 for q in on_one.events("questions")))

    first = next(m for frame in on_one.events("chat") for m in frame if m["text"] == "from one 0")
    assert (await moderator.call("delete_message", {"message_id": first["id"]}))["ok"]
    await on_one.wait_for(lambda: {"message_id": first["id"]} in on_one.events("removed"))
    assert (await moderator.call("mute", {"viewer_id": ann["id"], "seconds": 60}))["ok"]
    assert (await on_one.call("chat", {"text": "muted?"}))["error"]["code"] == "muted"

    assert (await moderator.call("blocked_words", {"words": ["spoiler"]}))["ok"]
    await asyncio.sleep(1.1)  # other nodes re-read a show's settings at most a second late
    assert (await on_two.call("chat", {"text": "SPOILER!"}))["error"]["code"] == "blocked_word"
    assert (await on_two.call("chat", {"text": "no spoilers"}))["ok"]

    # Ann and Bob, summed over both processes; the host moderating is not one of the show's viewers.
    await on_one.wait_for(lambda: {"count": 2} in on_one.events("viewers"))
    await on_two.wait_for(lambda: {"count": 2} in on_two.events("viewers"))
    assert all(event["count"] <= 2 for live in (on_one, on_two) for event in live.events("viewers"))
    for live in (on_one, on_two, moderator):
        await live.close()
    for server in (one, two):
        assert "Traceback" not in server.log.read_text()
