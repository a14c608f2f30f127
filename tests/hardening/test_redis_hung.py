"""A hung Redis (SIGSTOP: the server is up, its sockets accept, nothing answers) must not hang livecart:
every Redis call is bounded by LIVECART_REDIS_TIMEOUT_S (livecart/redis_options.py)."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import ServerProcess, start_redis, stop_process
from tests.hardening.flash_sale import CHECKOUT_BODY
from tests.hardening.test_redis_outage import wait_health
from tests.live.clients import LiveClient
from tests.live.test_fanout_processes import post
from tests.support import ADMIN_TOKEN

pytestmark = [pytest.mark.redis, pytest.mark.slow]

TIMEOUT_S = 1.0


async def checkout(url: str, show_id: str, token: str, key: str) -> tuple[int, dict[str, Any], float]:
    started = time.monotonic()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{url}/api/shows/{show_id}/checkout",
            json=CHECKOUT_BODY,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            timeout=aiohttp.ClientTimeout(total=30),
        ) as response,
    ):
        body = await response.json()
        if response.status == 503:
            assert response.headers["Retry-After"]
        return response.status, body, time.monotonic() - started


async def test_a_hung_redis_gets_503_within_the_timeout_instead_of_a_hanging_checkout(
    tmp_path: Path, server_process: Callable[..., ServerProcess]
) -> None:
    redis = start_redis(tmp_path / "redis")
    try:
        node = server_process(
            {"LIVECART_STORE": redis.url, "LIVECART_REDIS_TIMEOUT_S": str(TIMEOUT_S), "LIVECART_RECOVERY_GRACE_S": "2"}
        )
        brand = post(node.url, "/api/brands", {"name": "Aurora"}, ADMIN_TOKEN)
        host = post(node.url, "/api/hosts", {"name": "Mia"}, ADMIN_TOKEN)
        product = post(
            node.url,
            "/api/products",
            {
                "sku": "L-1",
                "title": "Lipstick",
                "price_cents": 1900,
                "currency": "EUR",
                "stock": 5,
                "commission_bps": 1000,
            },
            brand["token"],
        )
        show = post(node.url, "/api/shows", {"title": "Hung"}, host["token"])
        for step in ("lineup", "pins"):
            post(node.url, f"/api/shows/{show['id']}/{step}", {"product_id": product["id"]}, host["token"])
        viewer = post(node.url, "/api/viewers", {"name": "Ann"})
        post(node.url, f"/api/shows/{show['id']}/cart/items", {"product_id": product["id"]}, viewer["token"])
        live = await LiveClient(node.url).connect()
        await live.join(show["id"], viewer["token"])

        # a quiet fan-out channel for longer than the timeout is not an outage (the listener's PING is answered)
        await asyncio.sleep(4 * TIMEOUT_S)
        assert (await wait_health(node, 200))["fanout"] == "ok"
        assert "fan-out: lost redis" not in node.log.read_text()

        redis.process.send_signal(signal.SIGSTOP)
        status, body, took = await checkout(node.url, show["id"], viewer["token"], "k-1")
        assert (status, body["error"]["code"]) == (503, "unavailable")
        assert took < 3 * TIMEOUT_S, f"the checkout took {took:.1f} s"
        print(f"hung redis: checkout answered 503 after {took:.2f} s (timeout {TIMEOUT_S:g} s)")
        refused = await live.call("ask", {"text": "still there?"})
        assert refused["error"]["code"] == "unavailable"
        stopped_at = time.monotonic()
        degraded = await wait_health(node, 503, within_s=5 * TIMEOUT_S)
        while degraded["fanout"] != "unreachable" and time.monotonic() - stopped_at < 5 * TIMEOUT_S:
            degraded = await wait_health(node, 503)
        print(
            f"hung redis: /healthz said the fan-out was unreachable {time.monotonic() - stopped_at:.2f} s "
            "after the ask was refused"
        )
        assert (degraded["store"], degraded["fanout"]) == ("unreachable", "unreachable")

        redis.process.send_signal(signal.SIGCONT)
        await wait_health(node, 200)
        deadline = time.monotonic() + 20
        while (outcome := await checkout(node.url, show["id"], viewer["token"], "k-1"))[0] != 201:
            assert outcome[0] in (503, 409), outcome  # 409: an interrupted claim, until recovery releases it
            assert time.monotonic() < deadline, outcome
            await asyncio.sleep(0.5)
        assert outcome[1]["status"] == "paid"
        assert (await checkout(node.url, show["id"], viewer["token"], "k-1"))[1]["id"] == outcome[1]["id"]

        await live.close()
        stop_process(node.process)
        log = node.log.read_text()
        assert "Traceback" not in log, log
        assert log.count("fan-out: lost redis") == 1, log  # the listener noticed the silence, once
        assert "fan-out: listening to redis again" in log
    finally:
        redis.process.send_signal(signal.SIGCONT)
        stop_process(redis.process)
