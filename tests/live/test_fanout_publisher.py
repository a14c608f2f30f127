"""The fan-out's publishing side (livecart/live/publisher.py) on a real redis-server: room events reach
the other node in the order they were emitted, several to a PUBLISH under load, a node recognises its
own messages unparsed, and a Redis outage drops messages (said once) instead of queueing them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack
import pytest
import socketio
from aiohttp import web
from redis.asyncio import Redis

from livecart.live.manager import FastRedisManager
from livecart.live.packets import CheckedMsgPackPacket
from livecart.live.publisher import FanoutPublisher, is_own, own_prefix
from livecart.live.server import LiveSocketServer
from tests.conftest import start_redis, stop_process
from tests.support import free_port

pytestmark = [pytest.mark.redis]

AiohttpClient = Callable[..., Any]
CHANNEL = "lc:test:fanout"


async def node(redis_url: str, aiohttp_client: AiohttpClient) -> tuple[LiveSocketServer, FastRedisManager, str]:
    manager = FastRedisManager(redis_url, channel=CHANNEL, timeout_s=2.0)
    sio = LiveSocketServer(
        client_manager=manager,
        serializer=CheckedMsgPackPacket,
        async_mode="aiohttp",
        transports=["websocket"],
        backlog_limit=10_000,
        cutoff_s=10.0,
    )

    async def join(sid: str, room: str) -> str:
        await sio.enter_room(sid, room)
        return "joined"

    sio.on("join", join)
    app = web.Application()
    sio.attach(app)
    server = await aiohttp_client(app)
    sio.manager_initialized = True
    manager.initialize()
    return sio, manager, str(server.make_url("/"))


async def until(check: Callable[[], bool], within_s: float = 10.0) -> None:
    for _ in range(int(within_s / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    assert check()


async def test_a_burst_of_room_events_reaches_the_other_node_in_order_in_fewer_publishes(
    redis_url: str, aiohttp_client: AiohttpClient
) -> None:
    sio_a, manager_a, url_a = await node(redis_url, aiohttp_client)
    sio_b, manager_b, url_b = await node(redis_url, aiohttp_client)
    await until(lambda: manager_a.listening and manager_b.listening)
    received: dict[str, list[Any]] = {"a": [], "b": []}
    clients = []
    for name, url in (("a", url_a), ("b", url_b)):
        client = socketio.AsyncClient(serializer="msgpack", reconnection=False)
        client.on("*", lambda event, data, name=name: received[name].append((event, data)))
        await client.connect(url, transports=["websocket"])
        assert await client.call("join", "show") == "joined"
        clients.append(client)

    sent = [("sale", {"n": n}) if n % 2 else ("stock", {"n": n}) for n in range(300)]
    for event, data in sent[:150]:  # one loop cycle: the first goes alone, the rest wait for it
        await sio_a.emit(event, data, to="show")
    await asyncio.sleep(0)
    for event, data in sent[150:]:
        await sio_a.emit(event, data, to="show")
    await until(lambda: len(received["b"]) == len(sent) and len(received["a"]) == len(sent))
    assert received["b"] == sent  # the other node: every event once, in emit order
    assert received["a"] == sent  # this node: delivered locally once (its own messages came back, skipped)
    publisher = manager_a.publisher
    assert publisher.messages == len(sent)
    assert publisher.published < len(sent) / 10, f"{publisher.published} PUBLISHes for {len(sent)} events"
    assert publisher.dropped == 0
    for client in clients:
        await client.disconnect()
    for sio in (sio_a, sio_b):
        await sio.shutdown()
        assert isinstance(sio.manager, FastRedisManager)
        await sio.manager.close()


def test_a_node_recognises_its_own_messages_and_only_those_by_their_first_bytes() -> None:
    mine = FanoutPublisher("redis://127.0.0.1:1/0", CHANNEL, "a" * 32, timeout_s=1.0)
    emit = {"host_id": "a" * 32, "method": "emit", "event": "sale", "encoded": b"\x93", "room": "show"}
    alone, batch = mine.encode([emit]), mine.encode([emit, emit])
    assert msgpack.unpackb(batch)["messages"] == [emit, emit]
    prefix = own_prefix("a" * 32)
    assert is_own(alone, prefix)
    assert is_own(batch, prefix)
    assert not is_own(alone, own_prefix("b" * 32))
    theirs = msgpack.packb({"method": "callback", "host_id": "a" * 32, "sid": "x", "id": 1, "args": []})
    assert not is_own(theirs, prefix)  # a callback addressed to this node (host_id is the target's)
    assert not is_own(msgpack.packb(["a" * 32]), prefix)


async def test_while_redis_is_down_messages_are_dropped_and_said_once_then_publishing_resumes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    publisher = FanoutPublisher(f"redis://127.0.0.1:{port}/0", CHANNEL, "c" * 32, timeout_s=1.0)
    for n in range(3):
        publisher.submit({"host_id": "c" * 32, "method": "emit", "n": n})
        await until(lambda dropped=n + 1: publisher.dropped == dropped)  # type: ignore[misc]
    assert not publisher.publishing
    assert caplog.text.count("fan-out: cannot publish to redis") == 1

    redis = start_redis(tmp_path / "redis", port=port)
    listener = Redis(port=port)
    try:
        pubsub = listener.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(CHANNEL)
        publisher.submit({"host_id": "c" * 32, "method": "emit", "n": 3})
        await until(lambda: publisher.publishing)
        message = None
        while message is None:
            message = await pubsub.get_message(timeout=2.0)
        assert msgpack.unpackb(message["data"])["n"] == 3  # what the outage cut off is not re-sent
        assert "fan-out: publishing to redis again" in caplog.text
        await pubsub.aclose()  # type: ignore[no-untyped-call]
    finally:
        await publisher.close()
        await listener.aclose()
        stop_process(redis.process)


async def test_a_message_that_cannot_be_encoded_is_dropped_alone(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    publisher = FanoutPublisher(redis_url, CHANNEL, "d" * 32, timeout_s=2.0)
    listener = Redis.from_url(redis_url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(CHANNEL)
    try:
        for n in (1, object(), 2):
            publisher.submit({"host_id": "d" * 32, "method": "emit", "n": n})
        await until(lambda: publisher.messages + publisher.dropped == 3)
        received: list[int] = []
        while len(received) < 2:
            message = await pubsub.get_message(timeout=2.0)
            if message is not None:
                received.append(msgpack.unpackb(message["data"])["n"])
        assert received == [1, 2]
        assert publisher.dropped == 1
        assert "fan-out: a emit message could not be encoded" in caplog.text
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await publisher.close()
        await listener.aclose()
