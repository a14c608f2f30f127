"""A flash sale driven over HTTP against a real server process, tolerant of the server dying mid-sale.

Every buyer has one checkout request with its own `Idempotency-Key`. `outcomes` keeps, per buyer,
the last answer (status, body) or None when the connection broke before an answer arrived.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.support import ADMIN_TOKEN

CHECKOUT_BODY = {
    "shipping": {"name": "Sam Buyer", "line1": "1 Main St", "city": "Lyon", "postal_code": "69001", "country": "FR"},
    "payment": {"method": "test", "card_number": "4242424242424242"},
}

# Every buyer of a simulated sale comes from 127.0.0.1: a crowd behind one address, as behind a carrier's
# NAT. Servers that host one raise the per-address limits (LIVECART_ACCOUNT_RATE, LIVECART_CART_ADD_RATE).
CROWD_ENV = {"LIVECART_ACCOUNT_RATE": "100000/1", "LIVECART_CART_ADD_RATE": "100000/1"}


@dataclass
class Buyer:
    id: str
    token: str
    key: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Sale:
    show_id: str
    host_id: str
    product_id: str
    stock: int
    buyers: list[Buyer]


async def call(
    http: aiohttp.ClientSession, method: str, url: str, status: int, token: str | None = None, **kw: Any
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(method, url, headers=headers, **kw) as response:
        text = await response.text()
        assert response.status == status, f"{method} {url}: {response.status} {text}"
        return None if status == 204 else await response.json()


async def prepare_sale(http: aiohttp.ClientSession, base: str, buyers: int, stock: int) -> Sale:
    """A brand's product with `stock` units pinned in a live show, and `buyers` viewers with 1 in their cart."""
    brand = await call(http, "POST", f"{base}/api/brands", 201, ADMIN_TOKEN, json={"name": "Aurora"})
    host = await call(http, "POST", f"{base}/api/hosts", 201, ADMIN_TOKEN, json={"name": "Mia"})
    product = await call(
        http,
        "POST",
        f"{base}/api/products",
        201,
        brand["token"],
        json={
            "sku": "L-1",
            "title": "Lipstick",
            "price_cents": 1900,
            "currency": "EUR",
            "stock": stock,
            "commission_bps": 1500,
        },
    )
    show = await call(http, "POST", f"{base}/api/shows", 201, host["token"], json={"title": "Flash"})
    await call(
        http, "POST", f"{base}/api/shows/{show['id']}/lineup", 201, host["token"], json={"product_id": product["id"]}
    )
    await call(
        http, "POST", f"{base}/api/shows/{show['id']}/pins", 201, host["token"], json={"product_id": product["id"]}
    )

    async def one_buyer(index: int) -> Buyer:
        viewer = await call(http, "POST", f"{base}/api/viewers", 201, json={"name": f"Buyer {index}"})
        await call(
            http,
            "POST",
            f"{base}/api/shows/{show['id']}/cart/items",
            201,
            viewer["token"],
            json={"product_id": product["id"]},
        )
        return Buyer(id=viewer["id"], token=viewer["token"])

    people = await asyncio.gather(*(one_buyer(index) for index in range(buyers)))
    return Sale(show_id=show["id"], host_id=host["id"], product_id=product["id"], stock=stock, buyers=list(people))


Outcome = tuple[int, dict[str, Any]] | None


async def checkout(http: aiohttp.ClientSession, base: str, sale: Sale, buyer: Buyer) -> Outcome:
    headers = {"Authorization": f"Bearer {buyer.token}", "Idempotency-Key": buyer.key}
    try:
        async with http.post(
            f"{base}/api/shows/{sale.show_id}/checkout", json=CHECKOUT_BODY, headers=headers
        ) as response:
            return response.status, await response.json()
    except (TimeoutError, aiohttp.ClientError):
        return None


async def sale_interrupted(
    http: aiohttp.ClientSession, base: str, sale: Sale, interrupt: Callable[[], None], after_answers: int
) -> list[Outcome]:
    """All buyers check out at once; `interrupt()` runs once `after_answers` of them have an answer."""
    tasks = [asyncio.create_task(checkout(http, base, sale, buyer)) for buyer in sale.buyers]
    for answered, next_answer in enumerate(asyncio.as_completed(tasks), start=1):
        await next_answer
        if answered >= after_answers:
            break
    interrupt()
    return list(await asyncio.gather(*tasks))


Answer = tuple[int, dict[str, Any]]


async def settle(http: aiohttp.ClientSession, base: str, sale: Sale, timeout_s: float) -> list[Answer]:
    """Retry every buyer's request with its own key until none is unanswered or still in progress."""
    final: list[Answer | None] = [None] * len(sale.buyers)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        pending = [index for index, outcome in enumerate(final) if outcome is None]
        if not pending:
            return [outcome for outcome in final if outcome is not None]
        assert asyncio.get_running_loop().time() < deadline, f"{len(pending)} checkouts never settled"
        answers = await asyncio.gather(*(checkout(http, base, sale, sale.buyers[index]) for index in pending))
        for index, answer in zip(pending, answers, strict=True):
            retry = (
                answer is None
                or answer[0] >= 500
                or (answer[0] == 409 and answer[1]["error"]["code"] == "idempotency_in_progress")
            )
            if not retry:
                final[index] = answer
        await asyncio.sleep(0.2)
