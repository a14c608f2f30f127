"""Who may do what: every role against the HTTP actions that read or change someone's data.

One scene (a show of host A featuring brand A's product, a paid order of viewer A); each row of the
table is an action and the status each role gets. Mismatches are collected so one run shows them all.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from livecart import keys
from livecart.app import create_app
from livecart.config import Settings
from livecart.domain.models import ShowStatus
from tests.hardening.flash_sale import CHECKOUT_BODY as CHECKOUT
from tests.hardening.roles import cast_of_roles
from tests.live.clients import LiveClient
from tests.security.test_fuzz_http import ENDPOINTS as FUZZ_ENDPOINTS
from tests.support import ADMIN_TOKEN, Api

HOOK_URL = "https://shop.invalid/hooks"  # never resolves: the worker's attempts fail at once
ROLES = ("anonymous", "viewer", "other_viewer", "host", "other_host", "brand", "other_brand", "admin")

# action -> (method, path template, body, {role: status})
MATRIX: dict[str, tuple[str, str, Any, dict[str, int]]] = {
    "read the viewer's cart": (
        "GET",
        "/api/shows/{show}/cart",
        None,
        {
            "anonymous": 401,
            "viewer": 200,
            "other_viewer": 200,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 403,
        },
    ),
    "read the viewer's order": (
        "GET",
        "/api/orders/{order}",
        None,
        {
            "anonymous": 401,
            "viewer": 200,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 200,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "read the host's earnings": (
        "GET",
        "/api/hosts/{host}/earnings",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "read the host's earnings as CSV": (
        "GET",
        "/api/hosts/{host}/earnings.csv",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "read the show's stats": (
        "GET",
        "/api/shows/{show}/stats",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 200,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "list the show's orders": (
        "GET",
        "/api/shows/{show}/orders",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 200,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "pin the brand's product": (
        "POST",
        "/api/shows/{show}/pins",
        {"product_id": "{product}"},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 200,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "add to the show's lineup": (
        "POST",
        "/api/shows/{show}/lineup",
        {"product_id": "{product}"},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "edit the brand's product": (
        "PATCH",
        "/api/products/{product}",
        {"stock": 50},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 200,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "refund the order (denied roles)": (
        "POST",
        "/api/orders/{order}/refund",
        {"items": [{"product_id": "{product}", "qty": 1}]},
        {"anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 403, "other_host": 403, "other_brand": 403},
    ),
    "create a host": (
        "POST",
        "/api/hosts",
        {"name": "New"},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 201,
        },
    ),
    "delete an account (denied roles)": (
        "DELETE",
        "/api/accounts/{other_viewer_id}",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
        },
    ),
    # Connect (docs/protocol.md#connect): the brand's campaign of {coat}, host approved (open campaign)
    "publish a campaign of the brand's product": (
        "POST",
        "/api/campaigns",
        {
            "title": "Coats",
            "product_ids": ["{coat}"],
            "commission_bps": 1000,
            "starts_at": "2020-01-01T00:00:00Z",
            "ends_at": "2099-01-01T00:00:00Z",
        },
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 201,
            "other_brand": 400,
            "admin": 403,
        },
    ),
    "change the campaign": (
        "PATCH",
        "/api/campaigns/{campaign}",
        {"brief": "Warm"},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 200,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "end the campaign (denied roles)": (
        "POST",
        "/api/campaigns/{campaign}/end",
        None,
        {"anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 403, "other_host": 403, "other_brand": 403},
    ),
    "read the campaign's applications": (
        "GET",
        "/api/campaigns/{campaign}/applications",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 200,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "approve an application (denied roles)": (
        "POST",
        "/api/applications/{application}/approve",
        None,
        {"anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 403, "other_host": 403, "other_brand": 403},
    ),
    "invite a host to the campaign (denied roles)": (
        "POST",
        "/api/campaigns/{campaign}/invitations",
        {"host_id": "{other_host_id}"},
        {"anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 403, "other_host": 403, "other_brand": 403},
    ),
    "read the host's applications": (
        "GET",
        "/api/hosts/{host}/applications",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "read the host's invitations": (
        "GET",
        "/api/hosts/{host}/invitations",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "get the host's share link": (
        "POST",
        "/api/campaigns/{campaign}/link",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 201,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 403,
        },
    ),
    "browse the campaigns": ("GET", "/api/campaigns", None, {**{role: 200 for role in ROLES}, "anonymous": 401}),
    "read the campaign": (
        "GET",
        "/api/campaigns/{campaign}",
        None,
        {**{role: 200 for role in ROLES}, "anonymous": 401},
    ),
    "apply to the campaign (denied roles)": (
        "POST",
        "/api/campaigns/{campaign}/applications",
        {"pitch": "Hi"},
        {"anonymous": 401, "viewer": 403, "other_viewer": 403, "brand": 403, "other_brand": 403, "admin": 403},
    ),
    "reject an application (denied roles)": (
        "POST",
        "/api/applications/{application}/reject",
        None,
        {"anonymous": 401, "viewer": 403, "other_viewer": 403, "host": 403, "other_host": 403, "other_brand": 403},
    ),
    "accept an invitation (denied roles)": (
        "POST",
        "/api/invitations/{application}/accept",
        None,
        {"anonymous": 401, "viewer": 403, "other_viewer": 403, "brand": 403, "other_brand": 403, "admin": 403},
    ),
    "keep a share link's attribution (denied roles)": (
        "POST",
        "/api/attributions",
        {"code": "NOSUCH00"},
        {"anonymous": 401, "host": 403, "other_host": 403, "brand": 403, "other_brand": 403},
    ),
    "read one's attribution": (
        "GET",
        "/api/me/attribution",
        None,
        {
            "anonymous": 401,
            "viewer": 200,
            "other_viewer": 200,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
        },
    ),
    "accept a co-host invitation (denied roles)": (
        "POST",
        "/api/shows/{show}/cohosts/accept",
        None,
        {"anonymous": 401, "viewer": 403, "other_viewer": 403, "brand": 403, "other_brand": 403, "admin": 403},
    ),
    "read the campaign's performance": (
        "GET",
        "/api/campaigns/{campaign}/performance",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 200,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "invite a co-host (denied roles)": (
        "POST",
        "/api/shows/{show}/cohosts",
        {"host_id": "{other_host_id}", "share_bps": 1000},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 403,
        },
    ),
    "list the show's co-hosts": (
        "GET",
        "/api/shows/{show}/cohosts",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "read the host's balance": (
        "GET",
        "/api/hosts/{host}/balance",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "read the host's payouts": (
        "GET",
        "/api/hosts/{host}/payouts",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "read the host's statement": (
        "GET",
        "/api/hosts/{host}/statement.csv",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 200,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "run payouts (denied roles)": (
        "POST",
        "/api/payouts",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
        },
    ),
    # Every other endpoint of the API (issue 19: the matrix covers them all; `ROUTES_COVERED` checks it).
    "list the shows": ("GET", "/api/shows", None, {role: 200 for role in ROLES}),
    "read the show": ("GET", "/api/shows/{show}", None, {role: 200 for role in ROLES}),
    "read the lineup": ("GET", "/api/shows/{show}/lineup", None, {role: 200 for role in ROLES}),
    "read the pins": ("GET", "/api/shows/{show}/pins", None, {role: 200 for role in ROLES}),
    "read the replay (nothing recorded yet: 404 for everyone)": (
        "GET",
        "/api/shows/{show}/replay",
        None,
        {role: 404 for role in ROLES},
    ),
    "list the products": ("GET", "/api/products", None, {role: 200 for role in ROLES}),
    "read the product": ("GET", "/api/products/{product}", None, {role: 200 for role in ROLES}),
    "read one's own account": (
        "GET",
        "/api/me",
        None,
        {
            "anonymous": 401,
            "viewer": 200,
            "other_viewer": 200,
            "host": 200,
            "other_host": 200,
            "brand": 200,
            "other_brand": 200,
            "admin": 200,
        },
    ),
    "create a brand": (
        "POST",
        "/api/brands",
        {"name": "New"},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 201,
        },
    ),
    "sign up as a viewer": ("POST", "/api/viewers", {"name": "New"}, {role: 201 for role in ROLES}),
    "create a product": (
        "POST",
        "/api/products",
        {"sku": "NEW-1", "title": "New", "price_cents": 100, "currency": "EUR", "stock": 1, "commission_bps": 0},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 201,
            "other_brand": 201,
            "admin": 403,
        },
    ),
    "create a show": (
        "POST",
        "/api/shows",
        {"title": "New"},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 201,
            "other_host": 201,
            "brand": 403,
            "other_brand": 403,
            "admin": 403,
        },
    ),
    "unpin the brand's product (denied roles)": (
        "DELETE",
        "/api/shows/{show}/pins/{product}",
        None,
        {"anonymous": 401, "viewer": 403, "other_viewer": 403, "other_host": 403, "other_brand": 403},
    ),
    "add to a cart": (
        "POST",
        "/api/shows/{show}/cart/items",
        {"product_id": "{product}"},
        {
            "anonymous": 401,
            "viewer": 201,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 403,
        },
    ),
    "set a cart line's quantity": (
        "PATCH",
        "/api/shows/{show}/cart/items/{product}",
        {"qty": 1},
        {
            "anonymous": 401,
            "viewer": 200,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 403,
        },
    ),
    "remove from a cart": (
        "DELETE",
        "/api/shows/{show}/cart/items/{product}",
        None,
        {
            "anonymous": 401,
            "viewer": 204,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 403,
        },
    ),
    "check out (denied roles)": (
        "POST",
        "/api/shows/{show}/checkout",
        CHECKOUT,
        {"anonymous": 401, "host": 403, "other_host": 403, "brand": 403, "other_brand": 403, "admin": 403},
    ),
    # reviews: the viewer has reviewed its order line; roles run in this order, so the brand replies
    # before admin (whose reply is then the second: 409) and admin's report is its own (201)
    "review the viewer's order line": (
        "POST",
        "/api/products/{product}/reviews",
        {"rating": 5, "order_id": "{order}"},
        {
            "anonymous": 401,
            "viewer": 409,
            "other_viewer": 409,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 409,
        },
    ),
    "read the review": ("GET", "/api/reviews/{review}", None, {role: 200 for role in ROLES}),
    "read the product's reviews": (
        "GET",
        "/api/products/{product}/reviews",
        None,
        {
            "anonymous": 200,
            "viewer": 200,
            "other_viewer": 200,
            "host": 200,
            "other_host": 200,
            "brand": 200,
            "other_brand": 200,
            "admin": 200,
        },
    ),
    "list the order lines one may review": (
        "GET",
        "/api/products/{product}/reviewable",
        None,
        {
            "anonymous": 401,
            "viewer": 200,
            "other_viewer": 200,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "reply to the review": (
        "POST",
        "/api/reviews/{review}/reply",
        {"text": "Thank you"},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 201,
            "other_brand": 403,
            "admin": 409,
        },
    ),
    "report the review": (
        "POST",
        "/api/reviews/{review}/report",
        {"reason": "looks paid for"},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 201,
            "other_brand": 403,
            "admin": 201,
        },
    ),
    "hide the review": (
        "POST",
        "/api/reviews/{review}/hide",
        {"reason": "spam"},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    "delete the review (nobody may)": (
        "DELETE",
        "/api/reviews/{review}",
        None,
        {
            "anonymous": 405,
            "viewer": 405,
            "other_viewer": 405,
            "host": 405,
            "other_host": 405,
            "brand": 405,
            "other_brand": 405,
            "admin": 405,
        },
    ),
    # a viewer's own saved address and card (each viewer reads its own); a show's poster, its host's
    "read one's saved address": (
        "GET",
        "/api/me/address",
        None,
        {
            "anonymous": 401,
            "viewer": 200,
            "other_viewer": 200,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 403,
        },
    ),
    "read one's saved card": (
        "GET",
        "/api/me/payment-method",
        None,
        {
            "anonymous": 401,
            "viewer": 200,
            "other_viewer": 200,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 403,
        },
    ),
    "send the show's poster (a JSON body: 415 once allowed)": (
        "PUT",
        "/api/shows/{show}/poster",
        {},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 415,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 415,
        },
    ),
    "save one's address": (
        "PUT",
        "/api/me/address",
        {"name": "Ann", "line1": "1 Main St", "city": "Lyon", "postal_code": "69001", "country": "FR"},
        {
            "anonymous": 401,
            "viewer": 200,
            "other_viewer": 200,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 403,
        },
    ),
    "save one's card": (
        "PUT",
        "/api/me/payment-method",
        {"method": "test", "card_number": "4242424242424242"},
        {
            "anonymous": 401,
            "viewer": 200,
            "other_viewer": 200,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 403,
        },
    ),
    "forget one's card": (
        "DELETE",
        "/api/me/payment-method",
        None,
        {
            "anonymous": 401,
            "viewer": 204,
            "other_viewer": 204,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 403,
        },
    ),
    "read the show's poster (none sent yet: 404 for everyone)": (
        "GET",
        "/api/shows/{show}/poster",
        None,
        {role: 404 for role in ROLES},
    ),
    "read the show as a calendar event (no start time: 409 for everyone)": (
        "GET",
        "/api/shows/{show}.ics",
        None,
        {role: 409 for role in ROLES},
    ),
    "read the product's signals": (
        "GET",
        "/api/products/{product}/signals",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 200,
            "other_brand": 403,
            "admin": 200,
        },
    ),
    # webhooks: the brand's endpoint (order.paid) has the delivery of the scene's paid order
    "register a webhook": (
        "POST",
        "/api/webhooks",
        {"url": HOOK_URL, "events": ["order.paid"]},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 201,
            "other_brand": 201,
            "admin": 201,
        },
    ),
    "list one's webhooks": (
        "GET",
        "/api/webhooks",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 200,
            "other_brand": 200,
            "admin": 200,
        },
    ),
    "read the brand's webhook deliveries": (
        "GET",
        "/api/webhooks/{webhook}/deliveries",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 200,
            "other_brand": 404,
            "admin": 200,
        },
    ),
    "redeliver the brand's delivery": (
        "POST",
        "/api/webhooks/{webhook}/deliveries/{delivery}/redeliver",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 202,
            "other_brand": 404,
            "admin": 202,
        },
    ),
    "delete the brand's webhook": (
        "DELETE",
        "/api/webhooks/{webhook}",
        None,
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "other_brand": 404,
            "brand": 204,
            "admin": 404,
        },
    ),  # admin may, but the brand deleted it first
    "end the show (denied roles)": (
        "POST",
        "/api/shows/{show}/end",
        None,
        {"anonymous": 401, "viewer": 403, "other_viewer": 403, "other_host": 403, "brand": 403, "other_brand": 403},
    ),
    "end the show": ("POST", "/api/shows/{show}/end", None, {"host": 200, "admin": 200}),  # last: it ends it
}


def route_key(method: str, path: str) -> tuple[str, str]:
    """`GET /api/shows/{show_id}/orders?limit=2` → (`GET`, `/api/shows/{}/orders`)."""
    return method, re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])


def test_the_matrix_and_the_fuzz_list_cover_every_api_route(tmp_path: Path) -> None:
    app = create_app(Settings(store=f"sqlite:///{tmp_path / 'routes.db'}", admin_token=ADMIN_TOKEN))
    routes = {
        route_key(route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method not in ("HEAD", "OPTIONS")
    }
    in_matrix = {route_key(method, path) for method, path, _, _ in [*MATRIX.values(), *SELLING_MATRIX.values()]}
    in_fuzz = {route_key(method, path) for method, path, _ in FUZZ_ENDPOINTS}
    assert routes - in_matrix == set(), "routes missing from the authorization matrix"
    assert routes - in_fuzz == set(), "routes missing from the HTTP fuzz list (tests/security/test_fuzz_http.py)"


def fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    return value


async def first_delivery(api: Api, webhook_id: str, token: str | None, within_s: float = 15.0) -> str:
    """The id of the endpoint's first delivery, once the webhook worker has made it from the outbox."""
    deadline = time.monotonic() + within_s
    while True:
        found = (await api.call("GET", f"/api/webhooks/{webhook_id}/deliveries", 200, token=token))["deliveries"]
        if found:
            return str(found[-1]["id"])
        assert time.monotonic() < deadline, "no webhook delivery made"
        await asyncio.sleep(0.05)


async def test_every_role_gets_the_status_the_matrix_says(api: Api) -> None:
    cast = await cast_of_roles(api)
    people, tokens = cast.people, cast.tokens
    product = await api.create_product(people["brand"]["token"])
    await api.create_product(people["other_brand"]["token"], sku="OTHER")
    show = await api.create_show(people["host"]["token"])
    for step in ("lineup", "pins"):
        await api.call(
            "POST", f"/api/shows/{show['id']}/{step}", 201, token=tokens["host"], json={"product_id": product["id"]}
        )
    await api.call(
        "POST",
        f"/api/shows/{show['id']}/cart/items",
        201,
        token=tokens["viewer"],
        json={"product_id": product["id"], "qty": 2},
    )
    hook = await api.call(
        "POST", "/api/webhooks", 201, token=tokens["brand"], json={"url": HOOK_URL, "events": ["order.paid"]}
    )
    order = await api.call(
        "POST",
        f"/api/shows/{show['id']}/checkout",
        201,
        token=tokens["viewer"],
        json=CHECKOUT,
        headers={"Idempotency-Key": "matrix-1"},
    )
    delivery = await first_delivery(api, hook["id"], tokens["brand"])
    coat = await api.create_product(people["brand"]["token"], sku="COAT")
    campaign = await api.call(
        "POST",
        "/api/campaigns",
        201,
        token=tokens["brand"],
        json={
            "title": "Coats",
            "product_ids": [coat["id"]],
            "commission_bps": 1000,
            "open": True,
            "starts_at": "2020-01-01T00:00:00Z",
            "ends_at": "2099-01-01T00:00:00Z",
        },
    )
    application = await api.call(
        "POST", f"/api/campaigns/{campaign['id']}/applications", 201, token=tokens["host"], json={"pitch": "mine"}
    )
    review = await api.call(
        "POST",
        f"/api/products/{product['id']}/reviews",
        201,
        token=tokens["viewer"],
        json={"rating": 4, "order_id": order["id"]},
    )
    ids = {
        "show": show["id"],
        "order": order["id"],
        "host": people["host"]["id"],
        "product": product["id"],
        "other_viewer_id": people["other_viewer"]["id"],
        "coat": coat["id"],
        "campaign": campaign["id"],
        "application": application["id"],
        "other_host_id": people["other_host"]["id"],
        "review": review["id"],
        "webhook": hook["id"],
        "delivery": delivery,
    }

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


MODERATION_ACK = {
    "anonymous": "unauthorized",
    "viewer": "forbidden",
    "other_viewer": "forbidden",
    "host": "ok",
    "other_host": "forbidden",
    "brand": "forbidden",
    "other_brand": "forbidden",
    "admin": "ok",
}


async def test_only_the_shows_host_and_admin_may_moderate(api: Api, client: TestClient[Any, Any]) -> None:
    cast = await cast_of_roles(api)
    people, tokens = cast.people, cast.tokens
    show = await api.create_show(people["host"]["token"])

    got = {}
    for role, token in tokens.items():
        live = await LiveClient(str(client.make_url("/"))).connect()
        try:
            assert (await live.join(show["id"], token))["ok"]
            answers = [
                await live.call(event, payload)
                for event, payload in [
                    ("slow_mode", {"seconds": 0}),
                    ("mute", {"viewer_id": people["viewer"]["id"], "seconds": 1}),
                    ("blocked_words", {"words": []}),
                ]
            ]
        finally:
            await live.close()
        codes = {"ok" if answer["ok"] else answer["error"]["code"] for answer in answers}
        got[role] = codes.pop() if len(codes) == 1 else str(sorted(codes))
    assert got == MODERATION_ACK


async def test_an_active_cohost_moderates_and_pins_but_may_not_publish(api: Api, client: TestClient[Any, Any]) -> None:
    cast = await cast_of_roles(api)
    people, tokens = cast.people, cast.tokens
    show = await api.create_show(people["host"]["token"])
    product = await api.create_product(people["brand"]["token"])
    featured = {"product_id": product["id"]}
    await api.call("POST", f"/api/shows/{show['id']}/lineup", 201, token=tokens["host"], json=featured)
    live = await LiveClient(str(client.make_url("/"))).connect()
    try:
        assert (await live.join(show["id"], tokens["other_host"]))["ok"]
        invited = {"host_id": people["other_host"]["id"], "share_bps": 3000}
        await api.call("POST", f"/api/shows/{show['id']}/cohosts", 201, token=tokens["host"], json=invited)
        refused = await live.call("slow_mode", {"seconds": 0})  # invited, not yet accepted
        assert refused["error"]["code"] == "forbidden"
        await api.call("POST", f"/api/shows/{show['id']}/cohosts/accept", 200, token=tokens["other_host"])
        assert (await live.call("slow_mode", {"seconds": 0}))["ok"]  # accepted after joining: counts at once
        assert (await live.call("mute", {"viewer_id": people["viewer"]["id"], "seconds": 1}))["ok"]
    finally:
        await live.close()
    await api.call("POST", f"/api/shows/{show['id']}/pins", 201, token=tokens["other_host"], json=featured)
    publish = await api.request(
        "POST",
        f"/whip/{show['id']}",
        token=tokens["other_host"],
        data="v=0\r\n",
        headers={"Content-Type": "application/sdp"},
    )
    assert publish.status == 403  # the camera stays the host's


# Selling formats (docs/selling.md) in a live show: action -> (method, path, body, {role: status}).
# Rows marked "denied roles" list only the refusals (a success would change what the next role meets).
SELLING_MATRIX: dict[str, tuple[str, str, Any, dict[str, int]]] = {
    "start a flash deal": (
        "POST",
        "/api/shows/{show}/deals",
        {"product_id": "{product}", "price_cents": 100, "quantity": 1, "duration_s": 60},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 201,
            "other_host": 403,
            "brand": 201,
            "other_brand": 403,
            "admin": 201,
        },
    ),
    "start a giveaway": (
        "POST",
        "/api/shows/{show}/giveaways",
        {"product_id": "{product}", "winners": 1, "duration_s": 60},
        {
            "anonymous": 401,
            "viewer": 403,
            "other_viewer": 403,
            "host": 201,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 201,
        },
    ),
    "open an auction (denied roles)": (
        "POST",
        "/api/shows/{show}/auctions",
        {"product_id": "{product}", "start_cents": 100, "increment_cents": 10, "duration_s": 60},
        {"anonymous": 401, "viewer": 403, "other_viewer": 403, "other_host": 403, "other_brand": 403},
    ),
    "read the auction": ("GET", "/api/auctions/{auction}", None, {role: 200 for role in ROLES}),
    "read the giveaway": ("GET", "/api/giveaways/{giveaway}", None, {role: 200 for role in ROLES}),
    "read the deal": ("GET", "/api/deals/{deal}", None, {role: 200 for role in ROLES}),
    "cancel the auction (denied roles)": (
        "DELETE",
        "/api/auctions/{auction}",
        None,
        {"anonymous": 401, "viewer": 403, "other_viewer": 403, "other_host": 403, "other_brand": 403},
    ),
    "end the deal (denied roles)": (
        "DELETE",
        "/api/deals/{deal}",
        None,
        {"anonymous": 401, "viewer": 403, "other_viewer": 403, "other_host": 403, "other_brand": 403},
    ),
    "pay the auction (nothing to pay yet)": (
        "POST",
        "/api/auctions/{auction}/checkout",
        CHECKOUT,
        {
            "anonymous": 401,
            "viewer": 409,
            "other_viewer": 409,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 403,
        },
    ),
    "give the order's shipping address": (
        "POST",
        "/api/orders/{order}/shipping",
        {"shipping": CHECKOUT["shipping"]},
        {
            "anonymous": 401,
            "viewer": 409,
            "other_viewer": 403,
            "host": 403,
            "other_host": 403,
            "brand": 403,
            "other_brand": 403,
            "admin": 409,
        },
    ),
}

BID_ACK = {
    "anonymous": "unauthorized",
    "viewer": "ok",
    "other_viewer": "ok",
    "host": "own_auction",
    "other_host": "forbidden",
    "brand": "own_auction",
    "other_brand": "forbidden",
    "admin": "forbidden",
}
ENTER_ACK = {
    "anonymous": "unauthorized",
    "viewer": "ok",
    "other_viewer": "ok",
    "host": "forbidden",
    "other_host": "forbidden",
    "brand": "forbidden",
    "other_brand": "forbidden",
    "admin": "forbidden",
}


async def test_every_role_gets_the_status_the_selling_matrix_says(api: Api, client: TestClient[Any, Any]) -> None:
    cast = await cast_of_roles(api)
    people, tokens = cast.people, cast.tokens
    product = await api.create_product(people["brand"]["token"])
    show = await api.create_show(people["host"]["token"])
    for step in ("lineup", "pins"):
        await api.call(
            "POST", f"/api/shows/{show['id']}/{step}", 201, token=tokens["host"], json={"product_id": product["id"]}
        )
    await client.app[keys.SERVICES].store.set_show_status(show["id"], ShowStatus.LIVE)
    await api.call(
        "POST", f"/api/shows/{show['id']}/cart/items", 201, token=tokens["viewer"], json={"product_id": product["id"]}
    )
    order = await api.call(
        "POST",
        f"/api/shows/{show['id']}/checkout",
        201,
        token=tokens["viewer"],
        json=CHECKOUT,
        headers={"Idempotency-Key": "matrix-selling"},
    )
    body = {"product_id": product["id"], "start_cents": 100, "increment_cents": 10, "duration_s": 60}
    auction = await api.call("POST", f"/api/shows/{show['id']}/auctions", 201, token=tokens["host"], json=body)
    deal = await api.call(
        "POST",
        f"/api/shows/{show['id']}/deals",
        201,
        token=tokens["brand"],
        json={"product_id": product["id"], "price_cents": 100, "quantity": 1, "duration_s": 60},
    )
    giveaway = await api.call(
        "POST",
        f"/api/shows/{show['id']}/giveaways",
        201,
        token=tokens["host"],
        json={"product_id": product["id"], "winners": 1, "duration_s": 60},
    )
    ids = {
        "show": show["id"],
        "order": order["id"],
        "product": product["id"],
        "auction": auction["id"],
        "deal": deal["id"],
        "giveaway": giveaway["id"],
    }

    mismatches = []
    for action, (method, path, payload, expected) in SELLING_MATRIX.items():
        for role, status in expected.items():
            headers = {"Idempotency-Key": f"matrix-{role}"} if path.endswith("checkout") else None
            response = await api.request(
                method, fill(path, ids), token=tokens[role], json=fill(payload, ids), headers=headers
            )
            if response.status != status:
                mismatches.append(f"{role} {action}: {response.status}, expected {status}")
    bids, entries = {}, {}
    for amount, (role, token) in enumerate(tokens.items(), start=1):
        live = await LiveClient(str(client.make_url("/"))).connect()
        try:
            await live.join(show["id"], token)
            answer = await live.call("bid", {"auction_id": auction["id"], "amount_cents": 1000 * amount})
            entered = await live.call("enter", {"giveaway_id": giveaway["id"]})
        finally:
            await live.close()
        bids[role] = "ok" if answer["ok"] else answer["error"]["code"]
        entries[role] = "ok" if entered["ok"] else entered["error"]["code"]
    assert mismatches == []
    assert bids == BID_ACK
    assert entries == ENTER_ACK
