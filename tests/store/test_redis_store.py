"""What only the Redis store has to get right: its key space, its scripts, its connection."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from livecart.clock import SystemClock
from livecart.domain.errors import Conflict, IdempotencyInProgress
from livecart.domain.models import Role, utcnow
from livecart.store import open_store
from livecart.store.redis import RedisStore
from livecart.store.redis.durability import durability_warnings
from tests.conftest import ServerProcess, start_redis, stop_process
from tests.store import factories
from tests.support import ADMIN_TOKEN, free_port

pytestmark = pytest.mark.redis


async def all_values(redis: Redis, key: str) -> list[str]:
    kind = await redis.type(key)
    if kind == "hash":
        return [str(value) for value in (await redis.hgetall(key)).values()]
    if kind == "zset":
        return [str(member) for member in await redis.zrange(key, 0, -1)]
    if kind == "string":
        return [str(await redis.get(key))]
    raise AssertionError(f"unexpected {kind!s} at {key}")


async def test_every_key_is_prefixed_and_no_token_is_stored_in_clear(redis_url: str) -> None:
    store = await open_store(redis_url, clock=SystemClock())
    try:
        brand, token = await store.create_account(Role.BRAND, "Aurora")
        host, host_token = await store.create_account(Role.HOST, "Mia")
        show = await factories.show(store, host.id)
        await store.add_to_lineup(show.id, (await factories.product(store, brand.id)).id)
    finally:
        await store.close()

    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        found = [str(key) async for key in redis.scan_iter("*")]
        values = [value for key in found for value in await all_values(redis, key)]
    finally:
        await redis.aclose()
    assert found
    assert all(key.startswith("lc:") for key in found)
    assert not [value for value in values if token in value or host_token in value]


async def test_scripts_are_loaded_again_when_the_server_forgot_them(redis_url: str) -> None:
    store = await open_store(redis_url, clock=SystemClock())
    try:
        brand = await factories.brand(store)
        redis = Redis.from_url(redis_url)
        try:
            await redis.script_flush()
        finally:
            await redis.aclose()

        product = await factories.product(store, brand.id)  # runs CREATE_PRODUCT by EVALSHA

        assert await store.get_product(product.id) == product
    finally:
        await store.close()


async def test_opening_an_unreachable_server_fails_at_once() -> None:
    with pytest.raises(RedisConnectionError):
        await RedisStore.open(f"redis://127.0.0.1:{free_port()}/0", clock=SystemClock())


async def test_opening_a_server_without_aof_warns_the_operator(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="livecart.store.redis"):
        store = await open_store(redis_url, clock=SystemClock())  # the fixture's server runs with appendonly no
        await store.close()

    assert any("appendonly yes" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("persistence", "memory", "expected"),
    [
        ({"aof_enabled": 1}, {"maxmemory_policy": "noeviction"}, []),
        ({"aof_enabled": 0}, {"maxmemory_policy": "noeviction"}, ["appendonly yes"]),
        ({"aof_enabled": 1}, {"maxmemory_policy": "allkeys-lru"}, ["maxmemory-policy noeviction"]),
        ({"aof_enabled": 0}, {"maxmemory_policy": "volatile-ttl"}, ["appendonly yes", "noeviction"]),
    ],
)
def test_durability_warnings_name_the_setting_to_change(
    persistence: dict[str, object], memory: dict[str, object], expected: list[str]
) -> None:
    warnings = durability_warnings(persistence, memory)

    assert len(warnings) == len(expected)
    assert all(fragment in warning for fragment, warning in zip(expected, warnings, strict=True))


async def test_with_aof_always_a_killed_server_restarts_with_every_acknowledged_sale(tmp_path: Path) -> None:
    aof = ("--appendonly", "yes", "--appendfsync", "always")
    server = start_redis(tmp_path / "redis", *aof)
    try:
        store = await open_store(server.url, clock=SystemClock())
        brand = await factories.brand(store)
        host = await factories.host(store)
        show = await factories.show(store, host.id)
        product = await factories.product(store, brand.id, stock=5)
        order = factories.order(show, await factories.viewer(store), (product, 2))
        await store.place_order(order, 10)
        entries = factories.sale_entries(order)
        paid = await store.mark_order_paid(order.id, "pay_1", utcnow(), entries, None)
        await store.close()
    finally:
        server.process.kill()  # no shutdown save: only what the AOF has on disk survives
        server.process.wait()

    restarted = start_redis(tmp_path / "redis", *aof)
    try:
        store = await open_store(restarted.url, clock=SystemClock())
        try:
            assert await store.get_order(order.id) == paid
            assert await store.ledger_entries(order_id=order.id) == entries
            assert await store.get_product(product.id) == replace(product, stock=3)
        finally:
            await store.close()
    finally:
        stop_process(restarted.process)


async def test_two_livecart_processes_on_one_redis_share_their_state(
    redis_url: str, server_process: Callable[..., ServerProcess]
) -> None:
    first = server_process({"LIVECART_STORE": redis_url})
    second = server_process({"LIVECART_STORE": redis_url})
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    async with aiohttp.ClientSession() as http:
        async with http.post(f"{first.url}/api/hosts", json={"name": "Mia"}, headers=admin) as response:
            assert response.status == 201
            host = await response.json()
        async with http.post(
            f"{second.url}/api/shows",
            json={"title": "Shared"},
            headers={"Authorization": f"Bearer {host['token']}"},
        ) as response:
            assert response.status == 201
            show = await response.json()
        async with http.get(f"{first.url}/api/shows/{show['id']}") as response:
            assert response.status == 200
            assert (await response.json())["title"] == "Shared"


async def test_a_unix_socket_url_opens_the_redis_store() -> None:
    directory = Path(tempfile.mkdtemp(prefix="lc-", dir="/tmp"))  # socket paths must stay short
    socket_path = directory / "redis.sock"
    server = start_redis(directory, "--unixsocket", str(socket_path), "--unixsocketperm", "700")
    try:
        store = await open_store(f"unix://{socket_path}?db=0", clock=SystemClock())
        try:
            assert isinstance(store, RedisStore)
            account, token = await store.create_account(Role.VIEWER, "Sam")
            assert await store.account_by_token(token) == account
        finally:
            await store.close()
    finally:
        stop_process(server.process)
        shutil.rmtree(directory, ignore_errors=True)


async def test_the_client_never_resends_a_command_after_a_connection_error(redis_url: str) -> None:
    store = await open_store(redis_url, clock=SystemClock())
    assert isinstance(store, RedisStore)
    try:
        retry = store._redis.get_retry()  # the scripts are not safe to run twice: no retries
        assert retry is not None
        assert retry.get_retries() == 0
    finally:
        await store.close()


async def test_placing_an_order_id_twice_never_takes_stock_twice(redis_url: str) -> None:
    store = await open_store(redis_url, clock=SystemClock())
    try:
        brand = await factories.brand(store)
        host = await factories.host(store)
        show = await factories.show(store, host.id)
        product = await factories.product(store, brand.id, stock=5)
        order = factories.order(show, await factories.viewer(store), (product, 2))
        await store.place_order(order, 10)

        with pytest.raises(Conflict):
            await store.place_order(order, 10)

        assert await store.get_product(product.id) == replace(product, stock=3)
    finally:
        await store.close()


async def test_hosts_who_earned_before_the_commission_index_existed_are_found(redis_url: str) -> None:
    store = await open_store(redis_url, clock=SystemClock())
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        brand, host = await factories.brand(store), await factories.host(store)
        product = await factories.product(store, brand.id)
        order = factories.order(await factories.show(store, host.id), await factories.viewer(store), (product, 1))
        await store.place_order(order, 10)
        await store.mark_order_paid(order.id, "ch_1", utcnow(), factories.sale_entries(order), None)
        await redis.delete("lc:commission:parties")  # as a database written before the index
        assert await store.commission_parties() == [host.id]
        assert await redis.get("lc:commission:parties:complete") == "1"
    finally:
        await redis.aclose()
        await store.close()


async def test_a_checkout_claim_loads_its_script_again_when_the_server_forgot_it(redis_url: str) -> None:
    store = await open_store(redis_url, clock=SystemClock())
    try:
        host = await factories.host(store)
        show = await factories.show(store, host.id)
        buyer = await factories.viewer(store)
        redis = Redis.from_url(redis_url)
        try:
            await redis.script_flush()
        finally:
            await redis.aclose()

        inputs = await store.claim_checkout(buyer.id, "key-1", "hash-1", show.id, host.id)  # by EVALSHA

        assert inputs == await store.checkout_inputs(show.id, buyer.id, host.id)
        with pytest.raises(IdempotencyInProgress):
            await store.claim_idempotency_key(buyer.id, "key-1", "hash-1")
    finally:
        await store.close()
