"""Fake-order signals in show stats: refunded orders, buyers and client addresses with many orders."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from livecart import keys
from livecart.config import Settings
from livecart.domain.client_ip import parse_networks
from livecart.domain.signals import LABEL_SECRET, address_label
from tests.hardening.flash_sale import CHECKOUT_BODY
from tests.support import Api

PROXY, STRANGER = "127.0.0.2", "127.0.0.3"  # loopback source addresses a client can bind on Linux


async def test_stats_count_refunded_orders_and_buyers_with_many_orders(api: Api) -> None:
    brand = await api.create_account("brand", "Aurora")
    other_brand = await api.create_account("brand", "Borealis")
    host = await api.create_account("host", "Mia")
    busy, calm = await api.create_account("viewer", "Busy"), await api.create_account("viewer", "Calm")
    ours = await api.create_product(brand["token"])
    theirs = await api.create_product(other_brand["token"], sku="B-1")
    show = await api.create_show(host["token"])
    for product in (ours, theirs):
        for step in ("lineup", "pins"):
            await api.call(
                "POST", f"/api/shows/{show['id']}/{step}", 201, token=host["token"], json={"product_id": product["id"]}
            )
    orders = []
    for n, (buyer, product) in enumerate([(busy, ours), (busy, ours), (busy, theirs), (calm, ours)]):
        await api.call(
            "POST", f"/api/shows/{show['id']}/cart/items", 201, token=buyer["token"], json={"product_id": product["id"]}
        )
        orders.append(
            await api.call(
                "POST",
                f"/api/shows/{show['id']}/checkout",
                201,
                token=buyer["token"],
                json=CHECKOUT_BODY,
                headers={"Idempotency-Key": f"k-{n}"},
            )
        )
    await api.call("POST", f"/api/orders/{orders[0]['id']}/refund", 201, token=brand["token"])

    for_host = (await api.call("GET", f"/api/shows/{show['id']}/stats", 200, token=host["token"]))["signals"]
    for_brand = (await api.call("GET", f"/api/shows/{show['id']}/stats", 200, token=brand["token"]))["signals"]
    for_other = (await api.call("GET", f"/api/shows/{show['id']}/stats", 200, token=other_brand["token"]))["signals"]

    # every order came from 127.0.0.1: one address (test_orders_are_grouped_by_client_address covers it)
    assert [row["orders"] for row in for_host.pop("addresses_with_many_orders")] == [4]
    assert [row["orders"] for row in for_brand.pop("addresses_with_many_orders")] == [3]
    assert for_other.pop("addresses_with_many_orders") == []
    # the review and trust signals (tests/api/test_trust_signals.py) have nothing to list here: no reviews,
    # two buyers from one address and to one shipping address (thresholds 3), one refund (threshold 2)
    trust = (
        "reviews_by_new_accounts",
        "review_bursts",
        "shared_client_addresses",
        "shared_shipping_addresses",
        "quick_full_refunds",
    )
    for signals in (for_host, for_brand, for_other):
        assert {name: signals.pop(name) for name in trust} == {name: [] for name in trust}
    for signals in (for_host, for_brand, for_other):  # no auction in this show: no shill-bid signal
        assert (signals.pop("bids_from_seller_addresses"), signals.pop("bidders_who_never_pay")) == ([], [])
    assert for_host == {
        "paid_orders": 4,
        "refunded_orders": 1,
        "buyers_with_many_orders": [{"buyer_id": busy["id"], "orders": 3}],
    }
    assert for_brand == {"paid_orders": 3, "refunded_orders": 1, "buyers_with_many_orders": []}
    assert for_other == {"paid_orders": 1, "refunded_orders": 0, "buyers_with_many_orders": []}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, trusted_proxies=parse_networks(PROXY))


async def test_orders_are_grouped_by_client_address_believing_forwarded_for_only_from_the_proxy(
    api: Api, client: TestClient[Any, Any]
) -> None:
    brand = await api.create_account("brand", "Aurora")
    host = await api.create_account("host", "Mia")
    buyers = [await api.create_account("viewer", name) for name in ("Ann", "Bob", "Cid")]
    product = await api.create_product(brand["token"], stock=50)
    show = await api.create_show(host["token"])
    for step in ("lineup", "pins"):
        await api.call(
            "POST", f"/api/shows/{show['id']}/{step}", 201, token=host["token"], json={"product_id": product["id"]}
        )

    async def buy(source: str, buyer: dict[str, Any], forwarded_for: str, key: str) -> None:
        """One checkout over a connection from `source`, as a proxy or a client claiming `forwarded_for`."""
        auth = {"Authorization": f"Bearer {buyer['token']}"}
        async with aiohttp.ClientSession(
            str(client.make_url("")), connector=aiohttp.TCPConnector(local_addr=(source, 0))
        ) as session:
            async with session.post(
                f"/api/shows/{show['id']}/cart/items", headers=auth, json={"product_id": product["id"]}
            ) as added:
                assert added.status == 201, await added.text()
            async with session.post(
                f"/api/shows/{show['id']}/checkout",
                json=CHECKOUT_BODY,
                headers={**auth, "Idempotency-Key": key, "X-Forwarded-For": forwarded_for},
            ) as paid:
                assert paid.status == 201, await paid.text()

    for n, buyer in enumerate(buyers):
        # through the proxy: three clients, then one client shared by the three buyers
        await buy(PROXY, buyer, f"203.0.113.{n + 1}", f"proxied-{n}")
        await buy(PROXY, buyer, f"192.0.2.{n + 40}, 198.51.100.7", f"shared-{n}")
        # straight from one untrusted peer, each claiming to be someone else: one client
        await buy(STRANGER, buyer, f"203.0.113.{n + 1}", f"spoofed-{n}")

    key = await client.app[keys.SERVICES].store.secret(LABEL_SECRET)
    response = await api.request("GET", f"/api/shows/{show['id']}/stats", token=brand["token"])
    text = await response.text()
    signals = json.loads(text)["signals"]

    assert signals["paid_orders"] == 9
    labels = sorted(address_label(ip, key) for ip in ("198.51.100.7", STRANGER))
    assert signals["addresses_with_many_orders"] == [{"label": label, "orders": 3, "buyers": 3} for label in labels]
    for address in ("127.0.0", "203.0.113", "198.51.100", "192.0.2"):
        assert address not in text  # brands see labels, never addresses
