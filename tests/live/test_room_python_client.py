"""The live room through python-socketio's AsyncClient (msgpack) over a real websocket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.live.clients import LiveClient
from tests.support import Api

Connect = Callable[[], Awaitable[LiveClient]]


@pytest.fixture
async def connect(client: TestClient[Any, Any]) -> AsyncIterator[Connect]:
    opened: list[LiveClient] = []
    base_url = str(client.make_url("/"))

    async def open_client() -> LiveClient:
        live = await LiveClient(base_url).connect()
        opened.append(live)
        return live

    yield open_client
    for live in opened:
        await live.close()


@pytest.fixture
async def show(api: Api) -> dict[str, Any]:
    host = await api.create_account("host", "Mia")
    brand = await api.create_account("brand", "Aurora")
    show = await api.create_show(host["token"])
    product = await api.create_product(brand["token"], stock=7)
    await api.call(
        "POST",
        f"/api/shows/{show['id']}/lineup",
        201,
        token=host["token"],
        json={"product_id": product["id"]},
    )
    return {**show, "host_token": host["token"], "product": product}


async def test_join_gives_the_snapshot(connect: Connect, show: dict[str, Any], api: Api) -> None:
    viewer = await api.create_account("viewer", "Sam")
    live = await connect()
    ack = await live.join(show["id"], viewer["token"])
    assert ack["show"]["id"] == show["id"]
    assert ack["stock"] == [{"product_id": show["product"]["id"], "stock": 7}]
    assert ack["pins"] == []
    assert ack["chat"] == []
    assert ack["questions"] == []
    assert ack["viewers"] == 1
    assert ack["you"] == {"id": viewer["id"], "name": "Sam", "role": "viewer"}


async def test_join_errors_come_back_as_acks(connect: Connect, show: dict[str, Any]) -> None:
    live = await connect()
    assert (await live.call("join", {"show_id": "shw_nope"}))["error"]["code"] == "not_found"
    assert (await live.call("join", {"show_id": show["id"], "token": "bogus"}))["error"]["code"] == "unauthorized"
    assert (await live.call("join", "not an object"))["error"]["code"] == "bad_request"
    assert (await live.call("chat", {"text": "hi"}))["error"]["code"] == "not_joined"
    assert (await live.call("dance", {}))["error"]["code"] == "unknown_event"


async def test_chat_reaches_everyone_in_order_in_batched_frames(
    connect: Connect, show: dict[str, Any], api: Api
) -> None:
    alice, bob = [await api.create_account("viewer", name) for name in ("Alice", "Bob")]
    sender, watcher = await connect(), await connect()
    await sender.join(show["id"], alice["token"])
    await watcher.join(show["id"])  # anonymous watcher
    for n in range(5):
        ack = await sender.call("chat", {"text": f"  message {n}  "})
        assert ack["ok"]
        assert ack["message"]["text"] == f"message {n}"
    await watcher.wait_for(lambda: len(watcher.chat_texts()) == 5)
    assert watcher.chat_texts() == [f"message {n}" for n in range(5)]
    assert len(watcher.events("chat")) < 5  # batched: several messages per frame
    first = watcher.events("chat")[0][0]
    assert first["viewer_id"] == alice["id"]
    assert first["name"] == "Alice"
    assert first["at"].endswith("Z")
    late = await connect()
    snapshot = await late.join(show["id"], bob["token"])
    assert [m["text"] for m in snapshot["chat"]] == [f"message {n}" for n in range(5)]


async def test_anonymous_watchers_cannot_take_part(connect: Connect, show: dict[str, Any]) -> None:
    live = await connect()
    await live.join(show["id"])
    for event, payload in [
        ("chat", {"text": "hi"}),
        ("ask", {"text": "?"}),
        ("react", {"kind": "heart"}),
        ("upvote", {"question_id": "qst_x"}),
    ]:
        assert (await live.call(event, payload))["error"]["code"] == "unauthorized"


async def test_validation_and_rate_limit_are_acked(connect: Connect, show: dict[str, Any], api: Api) -> None:
    viewer = await api.create_account("viewer", "Sam")
    live = await connect()
    await live.join(show["id"], viewer["token"])
    empty = await live.call("chat", {"text": "   "})
    assert empty["ok"] is False
    assert empty["error"]["code"] == "bad_request"
    assert empty["error"]["message"]
    assert (await live.call("chat", {"text": "x" * 501}))["error"]["code"] == "bad_request"
    assert (await live.call("chat", {"text": 42}))["error"]["code"] == "bad_request"
    assert (await live.call("chat", {}))["error"]["code"] == "bad_request"
    codes = [(await live.call("chat", {"text": f"hello {n}"})).get("error", {}).get("code") for n in range(6)]
    assert codes == [None] * 5 + ["rate_limited"]


async def test_questions_and_one_upvote_per_viewer(connect: Connect, show: dict[str, Any], api: Api) -> None:
    asker, voter = [await api.create_account("viewer", name) for name in ("Ann", "Vic")]
    a, v = await connect(), await connect()
    await a.join(show["id"], asker["token"])
    await v.join(show["id"], voter["token"])
    asked = await a.call("ask", {"text": "Is it vegan?"})
    question = asked["question"]
    assert question["votes"] == 0
    assert question["status"] == "open"
    assert question["name"] == "Ann"
    first = await v.call("upvote", {"question_id": question["id"]})
    assert first["question"]["votes"] == 1
    assert first["counted"] is True
    again = await v.call("upvote", {"question_id": question["id"]})
    assert again["question"]["votes"] == 1
    assert again["counted"] is False
    assert (await v.call("upvote", {"question_id": "qst_missing"}))["error"]["code"] == "not_found"
    await a.wait_for(lambda: any(q[0]["votes"] == 1 for q in a.events("questions")))
    assert [q[0]["votes"] for q in a.events("questions")] == [0, 1]
    snapshot = await (await connect()).join(show["id"])
    assert snapshot["questions"][0]["votes"] == 1


async def test_moderation_takes_effect_for_everyone(connect: Connect, show: dict[str, Any], api: Api) -> None:
    viewer = await api.create_account("viewer", "Troll")
    host, troll, watcher = await connect(), await connect(), await connect()
    await host.join(show["id"], show["host_token"])
    await troll.join(show["id"], viewer["token"])
    await watcher.join(show["id"])
    message = (await troll.call("chat", {"text": "buy my stuff"}))["message"]
    question = (await troll.call("ask", {"text": "what?"}))["question"]
    assert (await troll.call("delete_message", {"message_id": message["id"]}))["error"]["code"] == "forbidden"
    assert (await host.call("delete_message", {"message_id": message["id"]}))["ok"]
    await watcher.wait_for(lambda: {"message_id": message["id"]} in watcher.events("removed"))
    assert (await host.call("feature", {"question_id": question["id"]}))["question"]["status"] == "featured"
    assert (await host.call("answer", {"question_id": question["id"]}))["question"]["status"] == "answered"
    await watcher.wait_for(lambda: any(q[0]["status"] == "answered" for q in watcher.events("questions")))
    muted = await host.call("mute", {"viewer_id": viewer["id"], "seconds": 60})
    assert muted["ok"]
    assert muted["until"].endswith("Z")
    refused = await troll.call("chat", {"text": "still here"})
    assert refused["error"]["code"] == "muted"
    assert refused["error"]["seconds_left"] > 50
    assert (await host.call("mute", {"viewer_id": viewer["id"], "seconds": 0}))["error"]["code"] == "bad_request"
    snapshot = await (await connect()).join(show["id"])
    assert message["id"] not in [m["id"] for m in snapshot["chat"]]


async def test_reactions_are_summed_and_viewers_counted(connect: Connect, show: dict[str, Any], api: Api) -> None:
    fan = await api.create_account("viewer", "Fan")
    live, watcher = await connect(), await connect()
    await watcher.join(show["id"])
    await live.join(show["id"], fan["token"])
    for kind in ("heart", "heart", "fire"):
        assert (await live.call("react", {"kind": kind}))["ok"]
    assert (await live.call("react", {"kind": "bomb"}))["error"]["code"] == "bad_request"
    await watcher.wait_for(lambda: sum(sum(r.values()) for r in watcher.events("reactions")) == 3)
    totals: dict[str, int] = {}
    for frame in watcher.events("reactions"):
        for kind, count in frame.items():
            totals[kind] = totals.get(kind, 0) + count
    assert totals == {"heart": 2, "fire": 1}
    await watcher.wait_for(lambda: {"count": 2} in watcher.events("viewers"))
    await live.close()
    await watcher.wait_for(lambda: watcher.events("viewers")[-1] == {"count": 1})


async def test_host_sets_slow_mode_and_blocked_words(connect: Connect, show: dict[str, Any], api: Api) -> None:
    viewer = await api.create_account("viewer", "Sam")
    host, live = await connect(), await connect()
    await host.join(show["id"], show["host_token"])
    await live.join(show["id"], viewer["token"])
    assert (await live.call("slow_mode", {"seconds": 30}))["error"]["code"] == "forbidden"
    assert (await host.call("blocked_words", {"words": ["scam", "Scam", " "]}))["words"] == ["scam"]
    assert (await host.call("slow_mode", {"seconds": 30}))["seconds"] == 30
    assert (await host.call("slow_mode", {"seconds": -1}))["error"]["code"] == "bad_request"
    assert (await host.call("blocked_words", {"words": "scam"}))["error"]["code"] == "bad_request"
    assert (await live.call("chat", {"text": "total SCAM"}))["error"]["code"] == "blocked_word"
    assert (await live.call("chat", {"text": "hello"}))["ok"]
    slow = await live.call("chat", {"text": "hello again"})
    assert slow["error"]["code"] == "slow_mode"
    assert slow["error"]["retry_after"] > 25
    assert (await live.call("chat", {"text": "hello"}))["error"]["code"] == "duplicate"
