"""Who may do what: every role against the HTTP actions that read or change someone's data.

One scene (a show of host A featuring brand A's product, a paid order of viewer A); each row of the
table is an action and the status each role gets. Mismatches are collected so one run shows them all.
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.hardening.flash_sale import CHECKOUT_BODY as CHECKOUT
from tests.hardening.roles import cast_of_roles
from tests.live.clients import LiveClient
from tests.support import Api

ROLES = ("anonymous", "viewer", "other_viewer", "host", "other_host", "brand", "other_brand", "admin")

# action -> (method, path template, body, {role: status})
MATRIX: dict[str, tuple[str, str, Any, dict[str, int]]] = {
    "read the viewer's cart": ("GET", "/api/shows/{show}/cart", None, {
        "anonymous": 401, "viewer": 200, "other_viewer": 200, "host": 403, "other_host": 403,
        "brand": 403, "other_brand": 403, "admin": 403}),
    "read the viewer's order": ("GET", "/api/orders/{order}", None, {
        "anonymous": 401, "viewer": 200, "other_viewer": 403, "host": 200, "other_host": 403,
        "brand": 200, "other_brand": 403, "admin": 200}),
    "read the host's earnings": ("GET", "/api/hosts/{host}/earnings", None, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 200, "other_host": 403,
        "brand": 403, "other_brand": 403, "admin": 200}),
    "read the host's earnings as CSV": ("GET", "/api/hosts/{host}/earnings.csv", None, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 200, "other_host": 403,
        "brand": 403, "other_brand": 403, "admin": 200}),
    "read the show's stats": ("GET", "/api/shows/{show}/stats", None, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 200, "other_host": 403,
        "brand": 200, "other_brand": 403, "admin": 200}),
    "list the show's orders": ("GET", "/api/shows/{show}/orders", None, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 200, "other_host": 403,
        "brand": 200, "other_brand": 403, "admin": 200}),
    "pin the brand's product": ("POST", "/api/shows/{show}/pins", {"product_id": "{product}"}, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 200, "other_host": 403,
        "brand": 200, "other_brand": 403, "admin": 200}),
    "add to the show's lineup": ("POST", "/api/shows/{show}/lineup", {"product_id": "{product}"}, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 200, "other_host": 403,
        "brand": 403, "other_brand": 403, "admin": 200}),
    "edit the brand's product": ("PATCH", "/api/products/{product}", {"stock": 50}, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 403, "other_host": 403,
        "brand": 200, "other_brand": 403, "admin": 200}),
    "refund the order (denied roles)": ("POST", "/api/orders/{order}/refund", {"items": [
        {"product_id": "{product}", "qty": 1}]}, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 403, "other_host": 403,
        "other_brand": 403}),
    "create a host": ("POST", "/api/hosts", {"name": "New"}, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 403, "other_host": 403,
        "brand": 403, "other_brand": 403, "admin": 201}),
    "delete an account (denied roles)": ("DELETE", "/api/accounts/{other_viewer_id}", None, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 403, "other_host": 403,
        "brand": 403, "other_brand": 403}),
    # reviews: the viewer has reviewed its order line; roles run in this order, so the brand replies
    # before admin (whose reply is then the second: 409) and admin's report is its own (201)
    "review the viewer's order line": ("POST", "/api/products/{product}/reviews", {
        "rating": 5, "order_id": "{order}"}, {
        "anonymous": 401, "viewer": 409, "other_viewer": 409, "host": 403, "other_host": 403,
        "brand": 403, "other_brand": 403, "admin": 409}),
    "read the product's reviews": ("GET", "/api/products/{product}/reviews", None, {
        "anonymous": 200, "viewer": 200, "other_viewer": 200, "host": 200, "other_host": 200,
        "brand": 200, "other_brand": 200, "admin": 200}),
    "list the order lines one may review": ("GET", "/api/products/{product}/reviewable", None, {
        "anonymous": 401, "viewer": 200, "other_viewer": 200, "host": 403, "other_host": 403,
        "brand": 403, "other_brand": 403, "admin": 200}),
    "reply to the review": ("POST", "/api/reviews/{review}/reply", {"text": "Thank you"}, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 403, "other_host": 403,
        "brand": 201, "other_brand": 403, "admin": 409}),
    "report the review": ("POST", "/api/reviews/{review}/report", {"reason": "looks paid for"}, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 403, "other_host": 403,
        "brand": 201, "other_brand": 403, "admin": 201}),
    "hide the review": ("POST", "/api/reviews/{review}/hide", {"reason": "spam"}, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 403, "other_host": 403,
        "brand": 403, "other_brand": 403, "admin": 200}),
    "delete the review (nobody may)": ("DELETE", "/api/reviews/{review}", None, {
        "anonymous": 405, "viewer": 405, "other_viewer": 405, "host": 405, "other_host": 405,
        "brand": 405, "other_brand": 405, "admin": 405}),
    # a viewer's own saved address and card (each viewer reads its own); a show's poster, its host's
    "read one's saved address": ("GET", "/api/me/address", None, {
        "anonymous": 401, "viewer": 200, "other_viewer": 200, "host": 403, "other_host": 403,
        "brand": 403, "other_brand": 403, "admin": 403}),
    "read one's saved card": ("GET", "/api/me/payment-method", None, {
        "anonymous": 401, "viewer": 200, "other_viewer": 200, "host": 403, "other_host": 403,
        "brand": 403, "other_brand": 403, "admin": 403}),
    "send the show's poster (a JSON body: 415 once allowed)": ("PUT", "/api/shows/{show}/poster", {}, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 415, "other_host": 403,
        "brand": 403, "other_brand": 403, "admin": 415}),
    "read the product's signals": ("GET", "/api/products/{product}/signals", None, {
        "anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 403, "other_host": 403,
        "brand": 200, "other_brand": 403, "admin": 200}),
}


def fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    return value


async def test_every_role_gets_the_status_the_matrix_says(api: Api) -> None:
    cast = await cast_of_roles(api)
    people, tokens = cast.people, cast.tokens
    product = await api.create_product(people["brand"]["token"])
    await api.create_product(people["other_brand"]["token"], sku="OTHER")
    show = await api.create_show(people["host"]["token"])
    for step in ("lineup", "pins"):
        await api.call("POST", f"/api/shows/{show['id']}/{step}", 201, token=tokens["host"],
                       json={"product_id": product["id"]})
    await api.call("POST", f"/api/shows/{show['id']}/cart/items", 201, token=tokens["viewer"],
                   json={"product_id": product["id"], "qty": 2})
    order = await api.call("POST", f"/api/shows/{show['id']}/checkout", 201, token=tokens["viewer"],
                           json=CHECKOUT, headers={"Idempotency-Key": "matrix-1"})
    review = await api.call("POST", f"/api/products/{product['id']}/reviews", 201, token=tokens["viewer"],
                            json={"rating": 4, "order_id": order["id"]})
    ids = {"show": show["id"], "order": order["id"], "host": people["host"]["id"], "product": product["id"],
           "other_viewer_id": people["other_viewer"]["id"], "review": review["id"]}

    mismatches = []
    tried = 0
    for action, (method, path, body, expected) in MATRIX.items():
        for role, status in expected.items():
            response = await api.request(method, fill(path, ids), token=tokens[role], json=fill(body, ids))
            tried += 1
            if response.status != status:
                mismatches.append(f"{role} {action}: {response.status}, expected {status}")
    assert mismatches == []
    assert tried == sum(len(row[3]) for row in MATRIX.values())
    cart = await api.call("GET", f"/api/shows/{show['id']}/cart", 200, token=tokens["other_viewer"])
    assert cart["items"] == []  # the other viewer reads only their own (empty) cart


MODERATION_ACK = {"anonymous": "unauthorized", "viewer": "forbidden", "other_viewer": "forbidden", "host": "ok",
                  "other_host": "forbidden", "brand": "forbidden", "other_brand": "forbidden", "admin": "ok"}


async def test_only_the_shows_host_and_admin_may_moderate(api: Api, client: TestClient[Any, Any]) -> None:
    cast = await cast_of_roles(api)
    people, tokens = cast.people, cast.tokens
    show = await api.create_show(people["host"]["token"])

    got = {}
    for role, token in tokens.items():
        live = await LiveClient(str(client.make_url("/"))).connect()
        try:
            assert (await live.join(show["id"], token))["ok"]
            answers = [await live.call(event, payload) for event, payload in [
                ("slow_mode", {"seconds": 0}), ("mute", {"viewer_id": people["viewer"]["id"], "seconds": 1}),
                ("blocked_words", {"words": []})]]
        finally:
            await live.close()
        codes = {"ok" if answer["ok"] else answer["error"]["code"] for answer in answers}
        got[role] = codes.pop() if len(codes) == 1 else str(sorted(codes))
    assert got == MODERATION_ACK
