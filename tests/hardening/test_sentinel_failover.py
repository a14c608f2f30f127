"""Redis high availability: a primary, a replica and three sentinels (the same redis-server binary in
sentinel mode, all on 127.0.0.1); livecart on `redis+sentinel://` with LIVECART_REDIS_MIN_REPLICAS=1.
The primary is SIGKILLed in the middle of a 300-buyer flash sale; after the fail-over every order a
buyer was told is paid exists exactly once, stock and ledger agree, and buying goes on (issue 19)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from livecart.clock import SystemClock
from livecart.commerce.payments import TestPaymentProvider
from livecart.domain.commerce import LedgerAccount, OrderStatus
from livecart.store import open_store
from tests.conftest import ServerProcess, start_redis, stop_process
from tests.hardening.flash_sale import CHECKOUT_BODY, CROWD_ENV, Sale, call, prepare_sale, sale_interrupted, settle
from tests.support import ADMIN_TOKEN, free_port, need_binary

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(600)]

BUYERS = 300
STOCK = 200
MASTER = "livecart"


def redis_cli(port: int, *command: str) -> str:
    done = subprocess.run(["redis-cli", "-p", str(port), *command], capture_output=True, timeout=10, check=False)
    return done.stdout.decode().strip()


def start_sentinel(directory: Path, primary_port: int) -> tuple[int, subprocess.Popen[bytes]]:
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / f"sentinel-{port}.conf"
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {directory}\n"
        f"sentinel monitor {MASTER} 127.0.0.1 {primary_port} 2\n"
        f"sentinel down-after-milliseconds {MASTER} 1000\n"
        f"sentinel failover-timeout {MASTER} 10000\n"
        f"sentinel parallel-syncs {MASTER} 1\n"
    )
    process = subprocess.Popen(
        [need_binary("redis-server"), str(config), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return port, process


def wait_until(check: Callable[[], bool], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def primary_port(sentinel_port: int) -> int | None:
    answer = redis_cli(sentinel_port, "SENTINEL", "get-master-addr-by-name", MASTER).split()
    return int(answer[1]) if len(answer) == 2 and answer[1].isdigit() else None


class Topology:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.primary = start_redis(directory / "a")
        self.replica = start_redis(directory / "b", "--replicaof", "127.0.0.1", str(self.primary.port))
        self.sentinels = [start_sentinel(directory / "sentinels", self.primary.port) for _ in range(3)]
        wait_until(
            lambda: "master_link_status:up" in redis_cli(self.replica.port, "INFO", "replication"),
            20,
            "the replica did not sync",
        )
        wait_until(
            lambda: all(
                f"{self.replica.port}" in redis_cli(port, "SENTINEL", "replicas", MASTER) for port, _ in self.sentinels
            ),
            20,
            "the sentinels did not find the replica",
        )

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port, _ in self.sentinels)
        return f"redis+sentinel://{hosts}/{MASTER}/0"

    def stop(self) -> None:
        for server in (self.primary, self.replica):
            if server.process.poll() is None:
                stop_process(server.process)
        for _, process in self.sentinels:
            stop_process(process)


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[Topology]:
    started = Topology(tmp_path / "redis")
    yield started
    started.stop()


async def test_a_flash_sale_survives_the_primary_being_killed_with_min_replicas_1(
    tmp_path: Path, topology: Topology, server_process: Callable[..., ServerProcess]
) -> None:
    payments = tmp_path / "payments.jsonl"
    server = server_process(
        {
            **CROWD_ENV,
            "LIVECART_STORE": topology.url,
            "LIVECART_REDIS_MIN_REPLICAS": "1",
            "LIVECART_FANOUT_URL": "local",
            "LIVECART_TEST_PAYMENTS_FILE": str(payments),
            "LIVECART_RECOVERY_GRACE_S": "3",
            "LIVECART_REDIS_TIMEOUT_S": "2",
        }
    )
    killed = topology.primary
    async with aiohttp.ClientSession() as http:
        sale = await prepare_sale(http, server.url, BUYERS, STOCK)
        before = await sale_interrupted(
            http, server.url, sale, lambda: killed.process.send_signal(signal.SIGKILL), after_answers=BUYERS // 5
        )
        killed.process.wait()
        sentinel = topology.sentinels[0][0]
        await asyncio.to_thread(
            wait_until, lambda: primary_port(sentinel) == topology.replica.port, 30, "no fail-over to the replica"
        )
        # The old primary comes back on its port as a replica of the new one (the sentinels say so), so
        # money writes find their one replica again.
        topology.primary = start_redis(
            killed.directory, "--replicaof", "127.0.0.1", str(topology.replica.port), port=killed.port
        )
        await asyncio.to_thread(
            wait_until,
            lambda: "connected_slaves:1" in redis_cli(topology.replica.port, "INFO", "replication"),
            30,
            "the old primary did not rejoin as a replica",
        )
        answers = await settle(http, server.url, sale, timeout_s=120)
        new_store_url = f"redis://127.0.0.1:{topology.replica.port}/0"
        await wait_for_no_pending(new_store_url, sale)
        after = await buy_once_more(http, server.url, sale)

    told_paid = [body["id"] for status, body in answers if status == 201]
    for outcome in before:
        if outcome is not None and outcome[0] == 201:
            assert outcome[1]["id"] in told_paid, "a buyer told paid before the kill is told the same after"
    told_paid += [outcome[1]["id"] for outcome in before if outcome is not None and outcome[0] == 201]
    assert after["status"] == "paid"
    await check_books(new_store_url, sale, set(told_paid), payments, also_charged={after["id"]})
    log = server.log.read_text()
    assert "Traceback" not in log, log[-3000:]
    print(
        f"\nsentinel fail-over: {sum(o is None or o[0] >= 500 for o in before)} of {BUYERS} unanswered or 5xx "
        f"around the kill; final answers {dict(Counter(status for status, _ in answers))}, refusals "
        f"{dict(Counter(body['error']['code'] for status, body in answers if status != 201))}"
    )


async def wait_for_no_pending(store_url: str, sale: Sale) -> None:
    store = await open_store(store_url, clock=SystemClock())
    try:
        deadline = time.monotonic() + 60
        while any(order.status is OrderStatus.PENDING for order in await store.show_orders(sale.show_id)):
            assert time.monotonic() < deadline, "checkout recovery did not settle the pending orders"
            await asyncio.sleep(0.5)
    finally:
        await store.close()


async def buy_once_more(http: aiohttp.ClientSession, base: str, sale: Sale) -> dict[str, Any]:
    """After the sale (sold out), a new product is put on sale and a new buyer checks out, on the new primary."""
    brand = await call(http, "POST", f"{base}/api/brands", 201, ADMIN_TOKEN, json={"name": "Restock"})
    product = await call(
        http,
        "POST",
        f"{base}/api/products",
        201,
        brand["token"],
        json={
            "sku": "R-1",
            "title": "Serum",
            "price_cents": 2500,
            "currency": "EUR",
            "stock": 5,
            "commission_bps": 1000,
        },
    )
    for path in ("lineup", "pins"):
        await call(
            http,
            "POST",
            f"{base}/api/shows/{sale.show_id}/{path}",
            201,
            ADMIN_TOKEN,
            json={"product_id": product["id"]},
        )
    viewer = await call(http, "POST", f"{base}/api/viewers", 201, json={"name": "After"})
    await call(
        http,
        "POST",
        f"{base}/api/shows/{sale.show_id}/cart/items",
        201,
        viewer["token"],
        json={"product_id": product["id"]},
    )
    headers = {"Authorization": f"Bearer {viewer['token']}", "Idempotency-Key": "after-1"}
    async with http.post(f"{base}/api/shows/{sale.show_id}/checkout", json=CHECKOUT_BODY, headers=headers) as response:
        assert response.status == 201, await response.text()
        order: dict[str, Any] = await response.json()
    return order


async def check_books(store_url: str, sale: Sale, told_paid: set[str], payments: Path, also_charged: set[str]) -> None:
    store = await open_store(store_url, clock=SystemClock())
    try:
        orders = [
            order for order in await store.show_orders(sale.show_id) if order.lines[0].product_id == sale.product_id
        ]  # the flash sale's, not the one after it
        paid = {order.id: order for order in orders if order.status is OrderStatus.PAID}
        assert told_paid <= set(paid), f"told paid but missing after the fail-over: {told_paid - set(paid)}"
        assert len([order for order in orders if order.id in told_paid]) == len(told_paid)  # each exactly once
        assert not [order for order in orders if order.status is OrderStatus.PENDING]
        buyers = Counter(order.buyer_id for order in paid.values())
        assert max(buyers.values()) == 1, "a buyer paid twice"
        product = await store.get_product(sale.product_id)
        assert product is not None
        sold = sum(line.qty for order in paid.values() for line in order.lines)
        assert product.stock + sold == sale.stock
        assert len(paid) >= len(told_paid) > 0
        for order in orders:
            entries = await store.ledger_entries(order_id=order.id)
            if order.status is OrderStatus.PAID:
                assert sum(entry.amount_cents for entry in entries) == 0
                assert sum(e.amount_cents for e in entries if e.account is LedgerAccount.PAYMENTS) == order.total_cents
            else:
                assert entries == []
    finally:
        await store.close()
    charged = set(TestPaymentProvider(path=payments).charges) - also_charged
    assert charged == set(paid), "every charge has its paid order and every paid order its charge"
