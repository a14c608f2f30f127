"""Crash safety of auctions: SIGKILL of the server while auctions are being settled, then again while
their winners pay, on SQLite and on Redis. After restarts and retries (each winner with its own
Idempotency-Key): every auction is sold with exactly one order, that order is paid and charged exactly
once (the test provider's file survives the kill), its ledger rows balance, and every answer a
winner got names that one order."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from livecart.clock import SystemClock
from livecart.domain.commerce import LedgerAccount, OrderStatus
from livecart.domain.models import ShowStatus
from livecart.store import open_store
from tests.conftest import ServerProcess
from tests.hardening.flash_sale import CHECKOUT_BODY, CROWD_ENV, call
from tests.live.clients import LiveClient
from tests.support import ADMIN_TOKEN

pytestmark = pytest.mark.slow

SHOWS = 12
DURATION_S = 5


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'livecart.db'}"
    redis_url: str = request.getfixturevalue("redis_url")
    return redis_url


Outcome = tuple[int, dict[str, Any]] | None


async def pay(http: aiohttp.ClientSession, base: str, auction_id: str, token: str, key: str) -> Outcome:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    try:
        async with http.post(
            f"{base}/api/auctions/{auction_id}/checkout", json=CHECKOUT_BODY, headers=headers
        ) as response:
            return response.status, await response.json()
    except (TimeoutError, aiohttp.ClientError):
        return None


async def test_auctions_settle_and_are_paid_once_across_sigkills_of_the_server(
    store_url: str, tmp_path: Path, server_process: Callable[..., ServerProcess]
) -> None:
    payments = tmp_path / "payments.jsonl"
    env = {
        "LIVECART_STORE": store_url,
        "LIVECART_TEST_PAYMENTS_FILE": str(payments),
        "LIVECART_RECOVERY_GRACE_S": "1",
        "LIVECART_AUCTION_EXTEND_S": "1",
        "LIVECART_PUBLISHER_GRACE_SECONDS": "600",
        "LIVECART_LOG_LEVEL": "WARNING",
        **CROWD_ENV,
    }
    server = server_process(env)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:
        base = server.url
        brand = await call(http, "POST", f"{base}/api/brands", 201, ADMIN_TOKEN, json={"name": "Aurora"})
        host = await call(http, "POST", f"{base}/api/hosts", 201, ADMIN_TOKEN, json={"name": "Mia"})
        product = await call(
            http,
            "POST",
            f"{base}/api/products",
            201,
            brand["token"],
            json={
                "sku": "A-1",
                "title": "Bag",
                "price_cents": 9000,
                "currency": "EUR",
                "stock": 100,
                "commission_bps": 1000,
            },
        )
        sam = await call(http, "POST", f"{base}/api/viewers", 201, json={"name": "Sam Lee"})
        kim = await call(http, "POST", f"{base}/api/viewers", 201, json={"name": "Kim Park"})
        shows = [
            await call(http, "POST", f"{base}/api/shows", 201, host["token"], json={"title": f"Night {n}"})
            for n in range(SHOWS)
        ]
        store = await open_store(store_url, clock=SystemClock())
        try:
            for show in shows:
                await call(
                    http,
                    "POST",
                    f"{base}/api/shows/{show['id']}/lineup",
                    201,
                    host["token"],
                    json={"product_id": product["id"]},
                )
                await store.set_show_status(show["id"], ShowStatus.LIVE)
        finally:
            await store.close()
        auctions = [
            await call(
                http,
                "POST",
                f"{base}/api/shows/{show['id']}/auctions",
                201,
                host["token"],
                json={
                    "product_id": product["id"],
                    "start_cents": 1000,
                    "increment_cents": 100,
                    "duration_s": DURATION_S,
                },
            )
            for show in shows
        ]
        for show, auction in zip(shows, auctions, strict=True):
            for viewer, amount in ((sam, 1000), (kim, 1100)):
                live = await LiveClient(base).connect()
                try:
                    await live.join(show["id"], viewer["token"])
                    ack = await live.call("bid", {"auction_id": auction["id"], "amount_cents": amount})
                    assert ack["ok"], ack
                finally:
                    await live.close()

        # 1. Killed while the timer settles them (it ticks every 0.5 s once their end has passed).
        ends = max(datetime.fromisoformat(a["ends_at"].replace("Z", "+00:00")) for a in auctions)
        await asyncio.sleep(max(0.0, (ends - datetime.now(ends.tzinfo)).total_seconds()) + 0.25)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        server = server_process(env)  # settles on start what ended while it was down
        base = server.url

        async def states() -> list[dict[str, Any]]:
            return [await call(http, "GET", f"{base}/api/auctions/{a['id']}", 200) for a in auctions]

        for _ in range(100):
            settled = await states()
            if all(state["status"] == "sold" for state in settled):
                break
            await asyncio.sleep(0.2)
        assert [state["winner"]["id"] for state in settled] == [kim["id"]] * SHOWS

        # 2. Killed while the winner pays; then every payment is retried with its key until answered.
        keys = [str(uuid.uuid4()) for _ in auctions]
        tasks = [
            asyncio.create_task(pay(http, base, a["id"], kim["token"], key))
            for a, key in zip(auctions, keys, strict=True)
        ]
        await next(asyncio.as_completed(tasks))  # killed as soon as the first payment is answered
        server.process.send_signal(signal.SIGKILL)
        before = list(await asyncio.gather(*tasks))
        server.process.wait()
        server = server_process(env)
        base = server.url
        answers: list[Outcome] = [None] * SHOWS
        deadline = asyncio.get_running_loop().time() + 90  # a claimed key is released by recovery (grace 1 s)
        while asyncio.get_running_loop().time() < deadline:
            pending = [
                n
                for n, answer in enumerate(answers)
                if answer is None or (answer[0] == 409 and answer[1]["error"]["code"] == "idempotency_in_progress")
            ]
            if not pending:
                break
            for n in pending:
                answers[n] = await pay(http, base, auctions[n]["id"], kim["token"], keys[n])
            await asyncio.sleep(0.2)
        replays = [await pay(http, base, a["id"], kim["token"], key) for a, key in zip(auctions, keys, strict=True)]
        final = await states()

    assert sum(outcome is None for outcome in before) > 0, "the kill came after every answer"
    assert all(answer is not None and answer[0] == 201 for answer in answers), [
        answer if answer is None or answer[0] != 201 else 201 for answer in answers
    ]
    assert replays == answers
    for outcome, answer in zip(before, answers, strict=True):
        if outcome is not None:
            assert outcome == answer  # what the winner heard before the crash still holds
    store = await open_store(store_url, clock=SystemClock())
    try:
        for show, state, answer in zip(shows, final, answers, strict=True):
            assert answer is not None
            orders = await store.show_orders(show["id"])
            assert [order.id for order in orders] == [state["order_id"]] == [answer[1]["id"]]
            assert (orders[0].status, orders[0].total_cents) == (OrderStatus.PAID, 1100)
            entries = await store.ledger_entries(order_id=orders[0].id)
            assert sum(entry.amount_cents for entry in entries) == 0
            assert [e.amount_cents for e in entries if e.account is LedgerAccount.PAYMENTS] == [1100]
        product_now = await store.get_product(product["id"])
        assert product_now is not None
        assert product_now.stock == 100 - SHOWS
    finally:
        await store.close()
    charges = Counter(
        json.loads(line)["reference"]
        for line in payments.read_text().splitlines()
        if line.strip() and "reference" in line
    )
    assert sorted(charges) == sorted(state["order_id"] for state in final)
    assert set(charges.values()) == {1}  # each order charged exactly once
