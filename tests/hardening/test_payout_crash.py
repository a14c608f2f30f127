"""Crash safety of payouts: the server is SIGKILLed while `POST /api/payouts` pays many hosts, then restarted,
and the admin retries with the same Idempotency-Key. Each host is paid exactly once — one transfer at the
provider (its file survives the crash), one paid payout record, ledger payout rows equal to it — and nothing
is left pending or available (SQLite and Redis)."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from livecart.clock import SystemClock
from livecart.commerce.payments import TestPaymentProvider
from livecart.domain.commerce import LedgerAccount
from livecart.domain.payouts import PayoutStatus
from livecart.store import open_store
from tests.conftest import ServerProcess, start_redis, stop_process
from tests.hardening.flash_sale import CHECKOUT_BODY, call
from tests.support import ADMIN_TOKEN

pytestmark = pytest.mark.slow

HOSTS = 40
PRICE_CENTS = 5_000
COMMISSION_BPS = 1_000
KEY = "payout-run-2026-11-29"


async def earn(http: aiohttp.ClientSession, base: str, brand: dict[str, Any], product: dict[str, Any], n: int) -> str:
    """A host whose show sold one unit to its own viewer: it is owed PRICE × COMMISSION."""
    host = await call(http, "POST", f"{base}/api/hosts", 201, ADMIN_TOKEN, json={"name": f"Host {n}"})
    show = await call(http, "POST", f"{base}/api/shows", 201, host["token"], json={"title": f"Show {n}"})
    item = {"product_id": product["id"]}
    await call(http, "POST", f"{base}/api/shows/{show['id']}/lineup", 201, host["token"], json=item)
    await call(http, "POST", f"{base}/api/shows/{show['id']}/pins", 201, host["token"], json=item)
    viewer = await call(http, "POST", f"{base}/api/viewers", 201, json={"name": f"Fan {n}"})
    await call(http, "POST", f"{base}/api/shows/{show['id']}/cart/items", 201, viewer["token"], json=item)
    headers = {"Authorization": f"Bearer {viewer['token']}", "Idempotency-Key": f"buy-{n}"}
    async with http.post(f"{base}/api/shows/{show['id']}/checkout", json=CHECKOUT_BODY, headers=headers) as bought:
        assert bought.status == 201, await bought.text()
    return str(host["id"])


async def hosts_who_earned(http: aiohttp.ClientSession, base: str) -> list[str]:
    brand = await call(http, "POST", f"{base}/api/brands", 201, ADMIN_TOKEN, json={"name": "Aurora"})
    product = await call(
        http, "POST", f"{base}/api/products", 201, brand["token"],
        json={"sku": "P-1", "title": "Palette", "price_cents": PRICE_CENTS, "currency": "EUR", "stock": 1000,
              "commission_bps": COMMISSION_BPS},
    )  # fmt: skip
    hosts = []
    for batch in range(0, HOSTS, 8):
        hosts += await asyncio.gather(*(earn(http, base, brand, product, n) for n in range(batch, batch + 8)))
    return hosts


def transfers_in(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text().splitlines() if line.strip() and "payout" in json.loads(line))


async def run_killed_midway(http: aiohttp.ClientSession, base: str, payments: Path, kill: Callable[[], None]) -> int:
    """Start the payout run and SIGKILL the server once some (not all) transfers are recorded; returns how many
    transfers the provider had made at the kill."""
    started = transfers_in(payments)
    run = asyncio.create_task(
        http.post(f"{base}/api/payouts", headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Idempotency-Key": KEY})
    )
    try:
        for _ in range(20_000):
            made = transfers_in(payments) - started
            if made >= 3 or run.done():
                break
            await asyncio.sleep(0.001)
        kill()
    finally:
        try:
            response = await run
            response.release()
        except aiohttp.ClientError:
            pass  # the connection broke: the run's answer never came
    return transfers_in(payments) - started


async def retry_until_answered(http: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    for _ in range(100):
        try:
            async with http.post(
                f"{base}/api/payouts", headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Idempotency-Key": KEY}
            ) as response:
                if response.status == 200:
                    answer: dict[str, Any] = await response.json()
                    return answer
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError("the retried payout run never answered")


async def check_paid_once(store_url: str, hosts: list[str], answer: dict[str, Any], payments: Path) -> None:
    owed = PRICE_CENTS * COMMISSION_BPS // 10_000
    transfers = TestPaymentProvider(path=payments).transfers.values()
    assert Counter(transfer.party_id for transfer in transfers) == Counter(hosts)  # one transfer each, nobody twice
    assert {transfer.amount_cents for transfer in transfers} == {owed}
    assert sorted(one["host_id"] for one in answer["payouts"]) == sorted(hosts)
    assert {one["status"] for one in answer["payouts"]} == {"paid"}
    store = await open_store(store_url, clock=SystemClock())
    try:
        for host_id in hosts:
            [payout] = await store.host_payouts(host_id)
            assert (payout.status, payout.amount_cents) == (PayoutStatus.PAID, owed)
            assert payout.provider_ref is not None
            entries = await store.ledger_entries(party_id=host_id)
            paid_rows = [e for e in entries if e.payout_id is not None and e.account is LedgerAccount.HOST_COMMISSION]
            assert sum(e.amount_cents for e in paid_rows) == owed  # the host's payable moved out once
        everything = await store.ledger_entries()
        assert sum(entry.amount_cents for entry in everything) == 0
    finally:
        await store.close()


async def test_sigkill_during_a_payout_run_then_a_retry_pays_each_host_once_on_sqlite(
    tmp_path: Path, server_process: Callable[..., ServerProcess]
) -> None:
    payments = tmp_path / "payments.jsonl"
    env = {"LIVECART_TEST_PAYMENTS_FILE": str(payments), "LIVECART_RETURN_WINDOW_DAYS": "0"}
    server = server_process(env)
    async with aiohttp.ClientSession() as http:
        hosts = await hosts_who_earned(http, server.url)
        made = await run_killed_midway(http, server.url, payments, lambda: server.process.send_signal(signal.SIGKILL))
        server.process.wait()
        assert 0 < made < HOSTS, f"the kill came at {made} of {HOSTS} transfers"
        restarted = server_process(env)  # same SQLite file, same payments file
        answer = await retry_until_answered(http, restarted.url)
        again = await retry_until_answered(http, restarted.url)
    assert again == answer
    stop_process(restarted.process)
    await check_paid_once(f"sqlite:///{tmp_path / 'livecart.db'}", hosts, answer, payments)
    print(f"sqlite payout crash: {made} of {HOSTS} transfers made at the kill")


@pytest.mark.redis
async def test_sigkill_during_a_payout_run_then_a_retry_pays_each_host_once_on_redis(
    tmp_path: Path, server_process: Callable[..., ServerProcess]
) -> None:
    redis = start_redis(tmp_path / "redis", "--appendonly", "yes", "--appendfsync", "always")
    payments = tmp_path / "payments.jsonl"
    env = {"LIVECART_STORE": redis.url, "LIVECART_TEST_PAYMENTS_FILE": str(payments),
           "LIVECART_RETURN_WINDOW_DAYS": "0", "LIVECART_RECOVERY_GRACE_S": "2"}  # fmt: skip
    try:
        server = server_process(env)
        async with aiohttp.ClientSession() as http:
            hosts = await hosts_who_earned(http, server.url)
            made = await run_killed_midway(
                http, server.url, payments, lambda: server.process.send_signal(signal.SIGKILL)
            )
            server.process.wait()
            assert 0 < made < HOSTS, f"the kill came at {made} of {HOSTS} transfers"
            restarted = server_process(env)  # the same Redis, the same payments file
            answer = await retry_until_answered(http, restarted.url)
            again = await retry_until_answered(http, restarted.url)
        assert again == answer
        stop_process(restarted.process)
        await check_paid_once(redis.url, hosts, answer, payments)
        print(f"redis payout crash: {made} of {HOSTS} transfers made at the kill")
    finally:
        stop_process(redis.process)
