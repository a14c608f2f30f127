"""Crash safety: a flash sale survives SIGKILL of the server (SQLite) and of redis-server (Redis, AOF).

Every client retries its checkout with its own Idempotency-Key until it has an answer. Afterwards:
every 201 names a paid order, every paid order was answered exactly once and has its balanced
ledger rows, stock plus units sold equals the stock at the start, nothing is left pending, and the
payment provider holds a charge for exactly the paid orders (its file survives the crash).
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from livecart.clock import SystemClock
from livecart.commerce.payments import TestPaymentProvider
from livecart.domain.commerce import LedgerAccount, OrderStatus
from livecart.store import open_store
from tests.conftest import ServerProcess, start_redis, stop_process
from tests.hardening.flash_sale import CROWD_ENV, Sale, prepare_sale, sale_interrupted, settle

pytestmark = pytest.mark.slow

BUYERS = 80
STOCK = 40


async def check_books(store_url: str, sale: Sale, answers: list[tuple[int, dict[str, Any]]], payments: Path) -> None:
    assert Counter(status for status, _ in answers).keys() <= {201, 409}
    assert all(body["error"]["code"] == "out_of_stock" for status, body in answers if status == 409)
    answered_paid = [body["id"] for status, body in answers if status == 201]
    assert len(answered_paid) == len(set(answered_paid))  # one order per buyer, never two

    store = await open_store(store_url, clock=SystemClock())
    try:
        orders = await store.show_orders(sale.show_id)
        paid = {order.id: order for order in orders if order.status is OrderStatus.PAID}
        assert set(paid) == set(answered_paid)
        assert not [order for order in orders if order.status is OrderStatus.PENDING]
        assert len({order.buyer_id for order in paid.values()}) == len(paid)
        product = await store.get_product(sale.product_id)
        assert product is not None
        sold = sum(line.qty for order in paid.values() for line in order.lines)
        assert product.stock + sold == sale.stock
        for order in orders:
            entries = await store.ledger_entries(order_id=order.id)
            if order.status is OrderStatus.PAID:
                assert sum(entry.amount_cents for entry in entries) == 0
                assert sum(e.amount_cents for e in entries if e.account is LedgerAccount.PAYMENTS) == order.total_cents
            else:
                assert entries == []
        host_entries = await store.ledger_entries(party_id=sale.host_id)
        assert -sum(entry.amount_cents for entry in host_entries) == sum(o.commission_cents for o in paid.values())
    finally:
        await store.close()
    charged = TestPaymentProvider(path=payments).charges
    assert set(charged) == set(paid)  # nobody charged without a paid order, no paid order uncharged


async def test_a_flash_sale_survives_sigkill_of_the_server_on_sqlite(
    tmp_path: Path, server_process: Callable[..., ServerProcess]
) -> None:
    payments = tmp_path / "payments.jsonl"
    env = {"LIVECART_TEST_PAYMENTS_FILE": str(payments), **CROWD_ENV}
    server = server_process(env)
    async with aiohttp.ClientSession() as http:
        sale = await prepare_sale(http, server.url, BUYERS, STOCK)
        before = await sale_interrupted(
            http, server.url, sale, lambda: server.process.send_signal(signal.SIGKILL), after_answers=BUYERS // 10
        )
        server.process.wait()
        restarted = server_process(env)  # same SQLite file (same tmp_path), same payments file
        answers = await settle(http, restarted.url, sale, timeout_s=30)
        replays = await settle(http, restarted.url, sale, timeout_s=30)

    assert sum(outcome is None for outcome in before) > 0, "the kill came after every answer"
    assert replays == answers  # every key answers the same again
    for outcome, answer in zip(before, answers, strict=True):
        if outcome is not None:
            assert outcome == answer  # what a client heard before the crash still holds
    stop_process(restarted.process)
    await check_books(f"sqlite:///{tmp_path / 'livecart.db'}", sale, answers, payments)
    print(
        f"sqlite crash: {sum(o is None for o in before)} unanswered at the kill; "
        f"{len(paid_ids(answers))} paid; recovery: {recovery_line(restarted.log)}"
    )


@pytest.mark.redis
async def test_a_flash_sale_survives_sigkill_of_redis_server_with_aof(
    tmp_path: Path, server_process: Callable[..., ServerProcess]
) -> None:
    aof = ("--appendonly", "yes", "--appendfsync", "always")
    redis = start_redis(tmp_path / "redis", *aof)
    payments = tmp_path / "payments.jsonl"
    env = {
        **CROWD_ENV,
        "LIVECART_STORE": redis.url,
        "LIVECART_TEST_PAYMENTS_FILE": str(payments),
        "LIVECART_RECOVERY_GRACE_S": "2",
    }
    try:
        server = server_process(env)
        async with aiohttp.ClientSession() as http:
            sale = await prepare_sale(http, server.url, BUYERS, STOCK)
            before = await sale_interrupted(
                http, server.url, sale, lambda: redis.process.send_signal(signal.SIGKILL), after_answers=BUYERS // 10
            )
            redis.process.wait()
            during = await settle_once_down(http, server.url, sale)
            redis = start_redis(tmp_path / "redis", *aof, port=redis.port)  # same port, same AOF
            answers = await settle(http, server.url, sale, timeout_s=30)
            replays = await settle(http, server.url, sale, timeout_s=30)
        assert during == {503}  # while Redis is down the store is unavailable, said as such
        assert replays == answers
        for outcome, answer in zip(before, answers, strict=True):
            if outcome is not None and outcome[0] < 500:
                assert outcome == answer
        stop_process(server.process)
        await check_books(redis.url, sale, answers, payments)
        log = server.log.read_text()
        assert "Traceback" not in log
        print(
            f"redis crash: {sum(o is None or o[0] >= 500 for o in before)} unanswered or 5xx at the kill; "
            f"{len(paid_ids(answers))} paid; recovery: {recovery_line(server.log)}"
        )
    finally:
        stop_process(redis.process)


async def settle_once_down(http: aiohttp.ClientSession, base: str, sale: Sale) -> set[int]:
    """Statuses a checkout gets while Redis is down (one try for a few buyers)."""
    from tests.hardening.flash_sale import checkout

    answers = [await checkout(http, base, sale, buyer) for buyer in sale.buyers[:3]]
    return {answer[0] if answer else 0 for answer in answers}


def paid_ids(answers: list[tuple[int, dict[str, Any]]]) -> list[str]:
    return [body["id"] for status, body in answers if status == 201]


def recovery_line(log: Path) -> str:
    lines = [line for line in log.read_text().splitlines() if "checkout recovery:" in line]
    return lines[-1].split("checkout recovery:")[1].strip() if lines else "nothing to recover"
