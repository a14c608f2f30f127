"""The viewer's saved address and card over real HTTP: /api/me/address, /api/me/payment-method, and a
checkout paid with the saved card (the payment provider's token; the number is never stored)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from livecart import keys
from tests.api.commerce_scene import DECLINED_CARD, GOOD_CARD, checkout_body, make_scene, new_key
from tests.support import ADMIN_TOKEN, Api

ADDRESS = {"name": "Sam Lee", "line1": "1 Main St", "city": "Lyon", "postal_code": "69001", "country": "FR"}


async def test_the_address_is_saved_on_the_account_and_read_back(api: Api) -> None:
    sam = await api.create_account("viewer", "Sam")
    alex = await api.create_account("viewer", "Alex")
    assert await api.call("GET", "/api/me/address", 200, token=sam["token"]) == {"address": None}

    saved = await api.call("PUT", "/api/me/address", 200, token=sam["token"], json={**ADDRESS, "line2": " Bât. B "})
    assert saved == {"address": {**ADDRESS, "line2": "Bât. B"}}
    assert await api.call("GET", "/api/me/address", 200, token=sam["token"]) == saved
    assert await api.call("GET", "/api/me/address", 200, token=alex["token"]) == {"address": None}


async def test_a_bad_address_is_refused_per_field_and_nothing_is_saved(api: Api) -> None:
    sam = await api.create_account("viewer", "Sam")
    refused = await api.call(
        "PUT", "/api/me/address", 400, token=sam["token"], json={**ADDRESS, "country": "France", "city": ""}
    )
    assert refused["error"]["code"] == "bad_request"
    assert set(refused["error"]["fields"]) == {"country", "city"}
    assert await api.call("GET", "/api/me/address", 200, token=sam["token"]) == {"address": None}


async def test_only_a_viewer_keeps_an_address_or_a_card(api: Api) -> None:
    host = await api.create_account("host", "Mia")
    for path in ("/api/me/address", "/api/me/payment-method"):
        await api.call("GET", path, 401)
        assert (await api.call("GET", path, 403, token=host["token"]))["error"]["role"] == "host"
        await api.call("GET", path, 403, token=ADMIN_TOKEN)


async def test_a_card_is_kept_as_the_providers_token_never_its_number(api: Api, app: web.Application) -> None:
    sam = await api.create_account("viewer", "Sam")
    assert await api.call("GET", "/api/me/payment-method", 200, token=sam["token"]) == {"payment_method": None}
    saved = await api.call(
        "PUT", "/api/me/payment-method", 200, token=sam["token"], json={"method": "test", "card_number": GOOD_CARD}
    )
    method = saved["payment_method"]
    assert (method["brand"], method["last4"]) == ("visa", "4242")
    assert set(method) == {"brand", "last4", "created_at"}  # the token stays on the server
    assert await api.call("GET", "/api/me/payment-method", 200, token=sam["token"]) == saved

    card = await app[keys.SERVICES].store.payment_method(sam["id"])
    assert card is not None
    assert card.token.startswith("tok_test_")
    assert GOOD_CARD not in card.token
    database = await asyncio.to_thread(Path(app[keys.SETTINGS].store.removeprefix("sqlite:///")).read_bytes)
    assert GOOD_CARD.encode() not in database

    await api.call("DELETE", "/api/me/payment-method", 204, token=sam["token"])
    assert await api.call("GET", "/api/me/payment-method", 200, token=sam["token"]) == {"payment_method": None}


async def test_an_unknown_card_number_is_not_saved(api: Api) -> None:
    sam = await api.create_account("viewer", "Sam")
    refused = await api.call(
        "PUT", "/api/me/payment-method", 402, token=sam["token"],
        json={"method": "test", "card_number": "1111222233334444"},
    )  # fmt: skip
    assert refused["error"]["decline_code"] == "invalid_number"
    assert await api.call("GET", "/api/me/payment-method", 200, token=sam["token"]) == {"payment_method": None}


async def checkout(api: Api, show_id: str, viewer: dict[str, Any], payment: dict[str, Any], status: int) -> Any:
    body = {**checkout_body(), "payment": payment}
    return await api.call(
        "POST", f"/api/shows/{show_id}/checkout", status, token=viewer["token"], json=body,
        headers={"Idempotency-Key": new_key()},
    )  # fmt: skip


async def test_a_card_saved_at_checkout_pays_the_next_order_in_one_tap(api: Api, app: web.Application) -> None:
    scene = await make_scene(api, {"price_cents": 1900, "stock": 10})
    (lipstick,) = scene.products
    await scene.pin(lipstick)
    sam = await scene.viewer()
    await api.call("POST", f"/api/shows/{scene.show_id}/checkout", 401, json=checkout_body())

    # No card saved yet: paying with "saved" is refused and nothing is sold.
    await scene.add(sam, lipstick)
    refused = await checkout(api, scene.show_id, sam, {"method": "saved"}, 409)
    assert refused["error"]["code"] == "no_payment_method"
    assert (await scene.product(lipstick))["stock"] == 10

    first = await checkout(api, scene.show_id, sam, {"method": "test", "card_number": GOOD_CARD, "save": True}, 201)
    assert first["status"] == "paid"
    saved = await api.call("GET", "/api/me/payment-method", 200, token=sam["token"])
    assert saved["payment_method"]["last4"] == "4242"

    await scene.add(sam, lipstick, qty=2)
    second = await checkout(api, scene.show_id, sam, {"method": "saved"}, 201)
    assert (second["status"], second["total_cents"]) == ("paid", 3800)
    assert (await scene.product(lipstick))["stock"] == 7


async def test_a_saved_declined_card_is_declined_and_a_failed_checkout_saves_nothing(api: Api) -> None:
    scene = await make_scene(api, {"stock": 5})
    (lipstick,) = scene.products
    await scene.pin(lipstick)
    sam = await scene.viewer()
    await scene.add(sam, lipstick)
    paying = {"method": "test", "card_number": DECLINED_CARD, "save": True}
    declined = await checkout(api, scene.show_id, sam, paying, 402)
    assert declined["error"]["decline_code"] == "card_declined"
    assert await api.call("GET", "/api/me/payment-method", 200, token=sam["token"]) == {"payment_method": None}

    await api.call(
        "PUT", "/api/me/payment-method", 200, token=sam["token"], json={"method": "test", "card_number": DECLINED_CARD}
    )
    again = await checkout(api, scene.show_id, sam, {"method": "saved"}, 402)
    assert again["error"]["decline_code"] == "card_declined"
    assert (await scene.product(lipstick))["stock"] == 5
    assert json.dumps(again).find(DECLINED_CARD) == -1


async def test_a_payment_is_either_a_card_number_or_the_saved_card(api: Api) -> None:
    scene = await make_scene(api, {"stock": 5})
    (lipstick,) = scene.products
    await scene.pin(lipstick)
    sam = await scene.viewer()
    await scene.add(sam, lipstick)
    no_number = await checkout(api, scene.show_id, sam, {"method": "test"}, 400)
    assert set(no_number["error"]["fields"]) == {"payment.card_number"}
    both = await checkout(api, scene.show_id, sam, {"method": "saved", "card_number": GOOD_CARD}, 400)
    assert set(both["error"]["fields"]) == {"payment.card_number"}
    other = await checkout(api, scene.show_id, sam, {"method": "paypal"}, 400)
    assert "payment.method" in other["error"]["fields"]
    assert (await scene.product(lipstick))["stock"] == 5
