"""Tokens: a deleted account's token is refused over HTTP and at socket join, and its open connection
loses its rights; no token is ever logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livecart.app import create_app
from livecart.clock import ManualClock
from livecart.config import Settings
from livecart.live.service import ACCOUNT_RECHECK_S
from tests.conftest import AiohttpClient
from tests.live.clients import LiveClient
from tests.support import ADMIN_TOKEN, Api


async def test_a_deleted_accounts_token_is_refused_by_http_and_by_socket_join(
    api: Api, client: TestClient[Any, Any]
) -> None:
    host = await api.create_account("host", "Mia")
    show = await api.create_show(host["token"])
    viewer = await api.create_account("viewer", "Sam")
    await api.call("DELETE", f"/api/accounts/{viewer['id']}", 204, token=ADMIN_TOKEN)

    refused = await api.call("GET", f"/api/shows/{show['id']}/cart", 401, token=viewer["token"])
    live = await LiveClient(str(client.make_url("/"))).connect()
    try:
        ack = await live.call("join", {"show_id": show["id"], "token": viewer["token"]})
    finally:
        await live.close()

    assert refused["error"]["code"] == "unauthorized"
    assert ack["ok"] is False
    assert ack["error"]["code"] == "unauthorized"


async def test_no_token_appears_in_debug_logs(
    api: Api, client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        brand = await api.create_account("brand", "Aurora")
        host = await api.create_account("host", "Mia")
        viewer = await api.create_account("viewer", "Sam")
        product = await api.create_product(brand["token"])
        show = await api.create_show(host["token"])
        await api.call(
            "POST", f"/api/shows/{show['id']}/lineup", 201, token=host["token"], json={"product_id": product["id"]}
        )
        await api.call(
            "POST", f"/api/shows/{show['id']}/pins", 201, token=brand["token"], json={"product_id": product["id"]}
        )
        await api.call(
            "POST",
            f"/api/shows/{show['id']}/cart/items",
            201,
            token=viewer["token"],
            json={"product_id": product["id"]},
        )
        await api.call("GET", "/api/me", 401, token="not-a-real-token-" + viewer["token"][::-1])
        await api.call("GET", f"/api/shows/{show['id']}/stats", 403, token=viewer["token"])
        live = await LiveClient(str(client.make_url("/"))).connect()
        try:
            assert (await live.call("join", {"show_id": show["id"], "token": viewer["token"]}))["ok"]
            assert (await live.call("chat", {"text": "hello"}))["ok"]
            assert (await live.call("join", {"show_id": show["id"], "token": "bogus-" + host["token"]}))["ok"] is False
        finally:
            await live.close()

    logged = "\n".join(record.getMessage() + repr(record.args) for record in caplog.records)
    assert caplog.records, "DEBUG logging captured nothing"
    for token in (ADMIN_TOKEN, brand["token"], host["token"], viewer["token"]):
        assert token not in logged
        assert token[::-1] not in logged


async def test_a_deleted_accounts_open_connection_loses_its_rights(
    settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    clock = ManualClock()
    client = await aiohttp_client(create_app(settings, clock=clock))
    api = Api(client)
    host = await api.create_account("host", "Mia")
    show = await api.create_show(host["token"])
    viewer = await api.create_account("viewer", "Sam")
    url = str(client.make_url("/"))
    speaker, moderator = await LiveClient(url).connect(), await LiveClient(url).connect()
    try:
        await speaker.join(show["id"], viewer["token"])
        await moderator.join(show["id"], host["token"])
        assert (await speaker.call("chat", {"text": "still here"}))["ok"]
        assert (await moderator.call("slow_mode", {"seconds": 0}))["ok"]

        for account in (viewer, host):
            await api.call("DELETE", f"/api/accounts/{account['id']}", 204, token=ADMIN_TOKEN)
        await clock.advance(ACCOUNT_RECHECK_S + 0.1)

        answers = [
            await speaker.call("chat", {"text": "gone?"}),
            await speaker.call("react", {"kind": "heart"}),
            await moderator.call("slow_mode", {"seconds": 0}),
        ]
    finally:
        await speaker.close()
        await moderator.close()
    assert [answer["error"]["code"] for answer in answers] == ["unauthorized"] * 3
