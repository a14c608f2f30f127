"""The Redis store's connection layer (livecart/store/redis/wire.py) against a real redis-server:
multiplexed requests get their own replies, MULTI/EXEC blocks stay whole, WAIT gets a connection of
its own, a lost or silent connection fails its requests (never re-sent) and the next request
reconnects."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from livecart.store.redis import endpoint_of, store_client
from livecart.store.redis.wire import Endpoint, WireClient, WireRedis
from tests.conftest import start_redis, stop_process

pytestmark = pytest.mark.redis

# Keeps the server busy (it answers nobody) for ARGV[1] seconds.
BUSY_SCRIPT = """
local started = redis.call('TIME')
local function elapsed()
  local now = redis.call('TIME')
  return (now[1] - started[1]) + (now[2] - started[2]) / 1e6
end
while elapsed() < tonumber(ARGV[1]) do end
return 1
"""


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    redis = store_client(redis_url, timeout_s=1.0)
    assert isinstance(redis, WireRedis)
    await redis.flushdb()
    yield redis
    await redis.aclose()


async def test_hundreds_of_concurrent_requests_each_get_their_own_reply(client: Redis) -> None:
    await asyncio.gather(*(client.set(f"t:{n}", f"value {n}") for n in range(500)))
    replies = await asyncio.gather(*(client.get(f"t:{n}") for n in range(500)))
    assert replies == [f"value {n}" for n in range(500)]
    hashes = await asyncio.gather(*(client.hgetall(f"t:h{n}") for n in range(3)), client.hset("t:h", "a", "1"))
    assert hashes == [{}, {}, {}, 1]
    assert await client.hgetall("t:h") == {"a": "1"}


async def test_a_multi_exec_block_is_not_interleaved_with_other_requests(client: Redis) -> None:
    await client.set("t:counter", 0)

    async def transfer() -> list[object]:
        async with client.pipeline(transaction=True) as tx:
            tx.incr("t:counter")
            tx.get("t:counter")
            tx.decr("t:counter")
            result: list[object] = await tx.execute()
            return result

    async def meddle() -> None:
        await client.incrby("t:other", 1)

    results = await asyncio.gather(*(transfer() for _ in range(50)), *(meddle() for _ in range(50)))
    for result in results[:50]:
        assert result == [1, "1", 0]  # nobody else's INCR landed between the block's commands
    assert await client.get("t:counter") == "0"


async def test_an_error_reply_is_raised_to_its_caller_only(client: Redis) -> None:
    await client.set("t:text", "x")
    outcomes = await asyncio.gather(client.incr("t:text"), client.get("t:text"), return_exceptions=True)
    assert isinstance(outcomes[0], ResponseError)
    assert outcomes[1] == "x"
    async with client.pipeline(transaction=False) as pipe:
        pipe.incr("t:text")
        pipe.get("t:text")
        failed, value = await pipe.execute(raise_on_error=False)
    assert isinstance(failed, ResponseError)
    assert value == "x"


async def test_wait_runs_on_a_connection_of_its_own_and_stalls_nobody(client: Redis) -> None:
    async def waiting() -> list[object]:
        async with client.pipeline(transaction=False) as pipe:
            pipe.set("t:money", "1")
            pipe.execute_command("WAIT", 1, 600)  # no replica: WAIT blocks its connection for 600 ms
            result: list[object] = await pipe.execute()
            return result

    wait = asyncio.ensure_future(waiting())
    await asyncio.sleep(0.05)
    started = time.monotonic()
    assert await client.get("t:money") == "1"
    assert time.monotonic() - started < 0.3, "a read waited behind the WAIT"
    assert await wait == [True, 0]


async def test_requests_for_a_connection_of_their_own_wait_for_one_then_fail(redis_url: str) -> None:
    redis = store_client(redis_url, timeout_s=2.0)
    assert isinstance(redis, WireRedis)
    redis._wire = WireClient(endpoint_of(redis_url, 2.0), timeout_s=2.0, health_check_interval_s=30,
                             max_exclusive=1, connection_wait_s=0.2)  # fmt: skip

    async def wait_for_a_replica() -> object:
        return await redis.execute_command("WAIT", 1, 600)  # no replica: holds its connection 600 ms

    try:
        first = asyncio.ensure_future(wait_for_a_replica())
        await asyncio.sleep(0.05)
        with pytest.raises(RedisConnectionError, match="No connection available"):
            await wait_for_a_replica()
        assert await first == 0
        assert await wait_for_a_replica() == 0  # given back: usable again
    finally:
        await redis.aclose()


async def test_a_lost_connection_fails_its_requests_and_the_next_request_reconnects(tmp_path: Path) -> None:
    server = start_redis(tmp_path / "redis")
    client = store_client(server.url, timeout_s=5.0)
    try:
        assert await client.ping()
        in_flight = asyncio.gather(*(client.eval(BUSY_SCRIPT, 0, 2) for _ in range(3)), return_exceptions=True)
        await asyncio.sleep(0.2)
        server.process.kill()  # the scripts may or may not have run: their callers are told, nothing is re-sent
        server.process.wait()
        outcomes = await in_flight
        assert all(isinstance(outcome, RedisConnectionError) for outcome in outcomes), outcomes
        with pytest.raises(RedisConnectionError):
            await client.ping()  # nothing listens: refused at once
        server = start_redis(tmp_path / "redis", port=server.port)
        assert await client.ping()  # reconnected
    finally:
        await client.aclose()
        stop_process(server.process)


async def test_a_silent_server_fails_the_request_within_the_timeout(client: Redis, redis_url: str) -> None:
    busy = Redis.from_url(redis_url)
    try:
        blocking = asyncio.ensure_future(busy.eval(BUSY_SCRIPT, 0, 1.6))  # Redis answers nobody meanwhile
        await asyncio.sleep(0.1)
        started = time.monotonic()
        with pytest.raises(RedisTimeoutError):
            await client.get("t:anything")  # timeout_s=1.0
        took = time.monotonic() - started
        assert 0.9 < took < 1.4, took
        await blocking
    finally:
        await busy.aclose()
    assert await client.ping()  # a new connection: the late reply was never read as this one's


async def test_a_cancelled_request_leaves_the_connection_in_step(client: Redis) -> None:
    await client.set("t:a", "A")
    await client.set("t:b", "B")
    cancelled = asyncio.ensure_future(client.get("t:a"))
    await asyncio.sleep(0)
    cancelled.cancel()
    assert await client.get("t:b") == "B"
    assert [await client.get("t:a") for _ in range(3)] == ["A", "A", "A"]


async def test_a_sentinel_answer_naming_a_replica_is_refused_and_the_next_connect_reaches_the_primary(
    tmp_path: Path,
) -> None:
    # After a fail-over, a sentinel that has not seen it yet names the old primary, which may be back on its
    # port as a replica: reads there would be stale (a show just created would be "not found").
    primary = start_redis(tmp_path / "primary")
    replica = start_redis(tmp_path / "replica", "--replicaof", "127.0.0.1", str(primary.port))
    named = [("127.0.0.1", replica.port)]

    async def locate() -> tuple[str, int]:
        return named[0]

    redis = store_client(primary.url, timeout_s=2.0)
    assert isinstance(redis, WireRedis)
    redis._wire = WireClient(Endpoint(locate=locate), timeout_s=2.0, health_check_interval_s=30, sentinel=True)
    try:
        with pytest.raises(RedisConnectionError, match="is a slave, not the primary"):
            await redis.get("lc:anything")
        named[0] = ("127.0.0.1", primary.port)
        await redis.set("lc:anything", "seen")
        assert await redis.get("lc:anything") == "seen"
    finally:
        await redis.aclose()
        stop_process(replica.process)
        stop_process(primary.process)
