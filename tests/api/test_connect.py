"""Connect over HTTP: a brand's campaign, a host's application, the lineup rule, share links and
attribution, co-hosts with the host's controls, balance, payouts, statement and performance — every
endpoint and its refusals (docs/protocol.md#connect), on a server whose clock the test moves."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web

from livecart import keys
from livecart.app import create_app
from livecart.clock import ManualClock
from livecart.config import Settings
from livecart.domain.models import ShowStatus, rfc3339
from tests.api.commerce_scene import checkout_body, new_key
from tests.protocol_types import check
from tests.support import ADMIN_TOKEN, Api

DAY = 86_400


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def app(settings: Settings, clock: ManualClock) -> web.Application:
    return create_app(settings, clock=clock)


class World:
    def __init__(self, api: Api, clock: ManualClock) -> None:
        self.api, self.clock = api, clock

    async def setup(self) -> World:
        api = self.api
        self.brand = await api.create_account("brand", "Aurora Beauty")
        self.other_brand = await api.create_account("brand", "Nord")
        self.mia = await api.create_account("host", "Mia Live")
        self.leo = await api.create_account("host", "Leo Live")
        self.viewer = await api.create_account("viewer", "Sam Lee")
        self.coat = await api.create_product(self.brand["token"], sku="COAT", title="Coat", price_cents=10_000)
        self.scarf = await api.create_product(self.brand["token"], sku="SCARF", title="Scarf", price_cents=3_000)
        return self

    def body(self, **fields: Any) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "title": "Winter coats", "brief": "Outdoor looks", "product_ids": [self.coat["id"]],
            "commission_bps": 2000, "starts_at": rfc3339(now), "ends_at": rfc3339(now + timedelta(days=30)),
            "open": False, **fields,
        }  # fmt: skip

    async def campaign(self, **fields: Any) -> dict[str, Any]:
        found: dict[str, Any] = await self.api.call(
            "POST", "/api/campaigns", 201, token=self.brand["token"], json=self.body(**fields)
        )
        return found

    async def approved(self, host: dict[str, Any], campaign: dict[str, Any]) -> dict[str, Any]:
        applied = await self.api.call(
            "POST", f"/api/campaigns/{campaign['id']}/applications", 201, token=host["token"], json={"pitch": "hi"}
        )
        if applied["status"] == "pending":
            applied = await self.api.call(
                "POST", f"/api/applications/{applied['id']}/approve", 200, token=self.brand["token"]
            )
        result: dict[str, Any] = applied
        return result


@pytest.fixture
async def world(api: Api, clock: ManualClock) -> World:
    return await World(api, clock).setup()


async def error_code(api: Api, method: str, path: str, status: int, **kw: Any) -> str:
    body = await api.call(method, path, status, **kw)
    return str(body["error"]["code"])


async def test_a_brand_publishes_a_campaign_a_host_finds_it_applies_and_is_approved(world: World) -> None:
    w, api = world, world.api
    campaign = await w.campaign()
    assert (campaign["status"], campaign["brand_id"], campaign["commission_bps"]) == ("active", w.brand["id"], 2000)
    later = await w.campaign(title="Spring boots", starts_at=rfc3339(w.clock.now() + timedelta(days=5)))
    assert later["status"] == "draft"
    found = await api.call("GET", "/api/campaigns?status=active&q=OUTDOOR", 200, token=w.mia["token"])
    assert [one["id"] for one in found["campaigns"]] == [campaign["id"]]
    first = await api.call("GET", f"/api/campaigns?brand_id={w.brand['id']}&limit=1", 200, token=w.mia["token"])
    assert ([one["id"] for one in first["campaigns"]], first["next_before"]) == ([later["id"]], later["id"])
    rest = await api.call("GET", f"/api/campaigns?limit=1&before={later['id']}", 200, token=w.mia["token"])
    assert ([one["id"] for one in rest["campaigns"]], rest["next_before"]) == ([campaign["id"]], None)

    applied = await api.call(
        "POST", f"/api/campaigns/{campaign['id']}/applications", 201, token=w.mia["token"], json={"pitch": "My fans"}
    )
    assert applied["status"] == "pending"
    listed = await api.call("GET", f"/api/campaigns/{campaign['id']}/applications", 200, token=w.brand["token"])
    assert [(one["id"], one["host_name"]) for one in listed["applications"]] == [(applied["id"], "Mia Live")]
    approved = await api.call("POST", f"/api/applications/{applied['id']}/approve", 200, token=w.brand["token"])
    assert approved["status"] == "approved"
    assert await error_code(api, "POST", f"/api/applications/{applied['id']}/reject", 409, token=w.brand["token"]) == (
        "conflict"
    )
    mine = await api.call("GET", f"/api/hosts/{w.mia['id']}/applications", 200, token=w.mia["token"])
    assert [(one["status"], one["campaign"]["title"]) for one in mine["applications"]] == [("approved", "Winter coats")]

    changed = await api.call(
        "PATCH", f"/api/campaigns/{campaign['id']}", 200, token=w.brand["token"], json={"commission_bps": 2500}
    )
    assert changed["commission_bps"] == 2500
    ended = await api.call("POST", f"/api/campaigns/{campaign['id']}/end", 200, token=w.brand["token"])
    assert ended["status"] == "ended"
    assert (
        await error_code(
            api, "POST", f"/api/campaigns/{campaign['id']}/applications", 409, token=w.leo["token"], json={}
        )
        == "campaign_not_active"
    )


async def test_campaign_refusals(world: World) -> None:
    w, api = world, world.api
    campaign = await w.campaign()
    path = f"/api/campaigns/{campaign['id']}"
    assert await error_code(api, "POST", "/api/campaigns", 401, json=w.body()) == "unauthorized"
    assert await error_code(api, "POST", "/api/campaigns", 403, token=w.mia["token"], json=w.body()) == "forbidden"
    refused = await api.call("POST", "/api/campaigns", 400, token=w.brand["token"], json=w.body(commission_bps=10_001))
    assert "commission_bps" in refused["error"]["fields"]
    refused = await api.call("POST", "/api/campaigns", 400, token=w.brand["token"], json={"title": "x"})
    assert refused["error"]["code"] == "bad_request"
    refused = await api.call(
        "POST", "/api/campaigns", 400, token=w.other_brand["token"], json=w.body()
    )  # another brand's product
    assert "product_ids" in refused["error"]["fields"]
    backwards = w.body(ends_at=rfc3339(w.clock.now() - timedelta(days=1)))
    assert await error_code(api, "POST", "/api/campaigns", 400, token=w.brand["token"], json=backwards) == "bad_request"
    assert await error_code(api, "POST", "/api/campaigns", 400, token=w.brand["token"], json=w.body(x=1)) == (
        "bad_request"
    )
    assert await error_code(api, "PATCH", path, 403, token=w.other_brand["token"], json={"title": "Mine"}) == (
        "forbidden"
    )
    assert await error_code(api, "PATCH", "/api/campaigns/cmp_nope", 404, token=w.brand["token"], json={}) == (
        "not_found"
    )
    assert await error_code(api, "POST", f"{path}/end", 403, token=w.other_brand["token"]) == "forbidden"
    assert await error_code(api, "GET", "/api/campaigns?status=open", 400, token=w.mia["token"]) == "bad_request"
    assert await error_code(api, "GET", "/api/campaigns?limit=0", 400, token=w.mia["token"]) == "bad_request"
    assert await error_code(api, "GET", "/api/campaigns?before=cmp_x", 400, token=w.mia["token"]) == "bad_request"
    assert await error_code(api, "GET", "/api/campaigns", 401) == "unauthorized"
    assert await error_code(api, "POST", f"{path}/applications", 403, token=w.brand["token"], json={}) == "forbidden"
    assert await error_code(api, "POST", "/api/campaigns/cmp_x/applications", 404, token=w.mia["token"], json={}) == (
        "not_found"
    )
    await api.call("POST", f"{path}/applications", 201, token=w.mia["token"], json={})
    assert await error_code(api, "POST", f"{path}/applications", 409, token=w.mia["token"], json={}) == "conflict"
    assert await error_code(api, "GET", f"{path}/applications", 403, token=w.other_brand["token"]) == "forbidden"
    assert await error_code(api, "GET", f"{path}/applications", 403, token=w.mia["token"]) == "forbidden"
    assert await error_code(api, "GET", f"/api/hosts/{w.mia['id']}/applications", 403, token=w.leo["token"]) == (
        "forbidden"
    )
    assert await error_code(api, "POST", "/api/applications/app_x/approve", 404, token=w.brand["token"]) == "not_found"


async def test_max_hosts_invitations_and_open_campaigns(world: World) -> None:
    w, api = world, world.api
    campaign = await w.campaign(open=True, max_hosts=1)
    joined = await api.call(
        "POST", f"/api/campaigns/{campaign['id']}/applications", 201, token=w.mia["token"], json={"pitch": ""}
    )
    assert joined["status"] == "approved"  # open: at once
    full = await api.call("POST", f"/api/campaigns/{campaign['id']}/applications", 409, token=w.leo["token"], json={})
    assert full["error"]["code"] == "campaign_full"

    invited_to = await w.campaign(title="Invite only")
    path = f"/api/campaigns/{invited_to['id']}/invitations"
    invitation = await api.call("POST", path, 201, token=w.brand["token"], json={"host_id": w.leo["id"]})
    assert invitation["status"] == "pending"
    assert await error_code(api, "POST", path, 409, token=w.brand["token"], json={"host_id": w.leo["id"]}) == (
        "conflict"
    )
    assert await error_code(api, "POST", path, 400, token=w.brand["token"], json={"host_id": w.viewer["id"]}) == (
        "bad_request"
    )
    assert await error_code(api, "POST", path, 403, token=w.other_brand["token"], json={"host_id": w.mia["id"]}) == (
        "forbidden"
    )
    pending = await api.call("GET", f"/api/hosts/{w.leo['id']}/invitations", 200, token=w.leo["token"])
    assert [(one["id"], one["status"], one["campaign"]["title"]) for one in pending["invitations"]] == [
        (invitation["id"], "pending", "Invite only")
    ]
    assert await error_code(api, "GET", f"/api/hosts/{w.leo['id']}/invitations", 403, token=w.mia["token"]) == (
        "forbidden"
    )
    accept = f"/api/invitations/{invitation['id']}/accept"
    assert await error_code(api, "POST", accept, 404, token=w.mia["token"]) == "not_found"  # not Mia's
    accepted = await api.call("POST", accept, 200, token=w.leo["token"])
    assert (accepted["status"], accepted["host_id"]) == ("approved", w.leo["id"])
    assert await error_code(api, "POST", accept, 409, token=w.leo["token"]) == "conflict"


async def test_campaign_products_enter_a_lineup_only_while_the_host_is_approved_and_the_campaign_active(
    world: World,
) -> None:
    w, api = world, world.api
    campaign = await w.campaign()
    show = await api.create_show(w.mia["token"])
    lineup = f"/api/shows/{show['id']}/lineup"
    refused = await api.call("POST", lineup, 403, token=w.mia["token"], json={"product_id": w.coat["id"]})
    assert (refused["error"]["code"], refused["error"]["campaign_id"]) == ("not_approved", campaign["id"])
    await api.call("POST", lineup, 201, token=w.mia["token"], json={"product_id": w.scarf["id"]})  # no campaign
    await w.approved(w.mia, campaign)
    await api.call(
        "POST", lineup, 201, token=w.mia["token"], json={"product_id": w.coat["id"], "campaign_id": campaign["id"]}
    )
    other = await api.create_show(w.mia["token"])
    await api.call("POST", f"/api/campaigns/{campaign['id']}/end", 200, token=w.brand["token"])
    code = await error_code(
        api, "POST", f"/api/shows/{other['id']}/lineup", 409, token=w.mia["token"],
        json={"product_id": w.coat["id"], "campaign_id": campaign["id"]},
    )  # fmt: skip
    assert code == "campaign_not_active"
    # ended: the product is an open offer again, at its own rate
    await api.call(
        "POST", f"/api/shows/{other['id']}/lineup", 201, token=w.mia["token"], json={"product_id": w.coat["id"]}
    )


async def sell(api: Api, show_id: str, host: dict[str, Any], viewer: dict[str, Any], product_id: str, qty: int) -> Any:
    await api.call("POST", f"/api/shows/{show_id}/pins", 201, token=host["token"], json={"product_id": product_id})
    await api.call(
        "POST",
        f"/api/shows/{show_id}/cart/items",
        201,
        token=viewer["token"],
        json={"product_id": product_id, "qty": qty},
    )
    return await api.call(
        "POST", f"/api/shows/{show_id}/checkout", 201, token=viewer["token"], json=checkout_body(),
        headers={"Idempotency-Key": new_key()},
    )  # fmt: skip


async def test_a_cohost_at_30_percent_shares_the_commission_gets_the_controls_and_both_are_paid_once(
    world: World, settings: Settings
) -> None:
    w, api = world, world.api
    campaign = await w.campaign()
    await w.approved(w.mia, campaign)
    show = await api.create_show(w.mia["token"])
    path = f"/api/shows/{show['id']}/cohosts"
    await api.call(
        "POST", f"/api/shows/{show['id']}/lineup", 201, token=w.mia["token"],
        json={"product_id": w.coat["id"], "campaign_id": campaign["id"]},
    )  # fmt: skip
    # before accepting, Leo has no controls
    pin = {"product_id": w.coat["id"]}
    assert await error_code(api, "POST", f"/api/shows/{show['id']}/pins", 403, token=w.leo["token"], json=pin) == (
        "forbidden"
    )
    invited = await api.call("POST", path, 201, token=w.mia["token"], json={"host_id": w.leo["id"], "share_bps": 3000})
    assert invited == {**invited, "show_id": show["id"], "host_id": w.leo["id"], "share_bps": 3000, "status": "invited"}
    assert await error_code(
        api, "POST", path, 403, token=w.leo["token"], json={"host_id": w.mia["id"], "share_bps": 1}
    ) == ("forbidden")
    extra = await api.create_account("host", "Ines")
    too_much = await api.call("POST", path, 409, token=w.mia["token"], json={"host_id": extra["id"], "share_bps": 7001})
    assert (too_much["error"]["code"], too_much["error"]["available_bps"]) == ("shares_exceed_total", 7000)
    assert await error_code(
        api, "POST", path, 400, token=w.mia["token"], json={"host_id": w.mia["id"], "share_bps": 10}
    ) == ("bad_request")
    assert await error_code(api, "POST", f"{path}/accept", 404, token=extra["token"]) == "not_found"
    accepted = await api.call("POST", f"{path}/accept", 200, token=w.leo["token"])
    assert accepted["status"] == "active"
    listed = await api.call("GET", path, 200, token=w.leo["token"])
    assert [(one["host_name"], one["status"]) for one in listed["cohosts"]] == [("Leo Live", "active")]
    assert await error_code(api, "GET", path, 403, token=extra["token"]) == "forbidden"

    # the co-host pins, reads the orders and stats, changes the lineup: the host's controls
    order = await sell(api, show["id"], w.leo, w.viewer, w.coat["id"], 2)
    assert [(line["campaign_id"], line["commission_bps"]) for line in order["items"]] == [(campaign["id"], 2000)]
    await api.call("GET", f"/api/shows/{show['id']}/orders", 200, token=w.leo["token"])
    await api.call("GET", f"/api/shows/{show['id']}/stats", 200, token=w.leo["token"])
    await api.call(
        "POST", f"/api/shows/{show['id']}/lineup", 201, token=w.leo["token"], json={"product_id": w.scarf["id"]}
    )
    assert await error_code(api, "GET", f"/api/shows/{show['id']}/orders", 403, token=extra["token"]) == "forbidden"

    # commission 2 × 100.00 × 20 % = 40.00: Mia 28.00, Leo 12.00; the brand refunds one coat
    await api.call(
        "POST", f"/api/orders/{order['id']}/refund", 201, token=w.brand["token"],
        json={"items": [{"product_id": w.coat["id"], "qty": 1}]},
    )  # fmt: skip

    async def balance(host: dict[str, Any]) -> dict[str, Any]:
        found = await api.call("GET", f"/api/hosts/{host['id']}/balance", 200, token=host["token"])
        return dict(found["balances"][0])

    assert (await balance(w.mia))["pending_cents"] == 1400
    assert (await balance(w.leo))["pending_cents"] == 600
    assert await error_code(api, "GET", f"/api/hosts/{w.mia['id']}/balance", 403, token=w.leo["token"]) == "forbidden"
    assert await error_code(api, "POST", "/api/payouts", 403, token=w.mia["token"]) == "forbidden"
    assert await error_code(api, "POST", "/api/payouts", 400, token=ADMIN_TOKEN) == "bad_request"  # no key

    await w.clock.advance(settings.return_window_days * DAY + 1)
    assert (await balance(w.mia))["available_cents"] == 1400
    run = await api.call("POST", "/api/payouts", 200, token=ADMIN_TOKEN, headers={"Idempotency-Key": "run-1"})
    paid = sorted((one["host_id"], one["amount_cents"], one["status"]) for one in run["payouts"])
    assert paid == sorted([(w.mia["id"], 1400, "paid"), (w.leo["id"], 600, "paid")])
    again = await api.call("POST", "/api/payouts", 200, token=ADMIN_TOKEN, headers={"Idempotency-Key": "run-1"})
    assert sorted(one["id"] for one in again["payouts"]) == sorted(one["id"] for one in run["payouts"])
    assert (await balance(w.mia)) == {"currency": "EUR", "pending_cents": 0, "available_cents": 0, "paid_cents": 1400,
                                      "negative_cents": 0}  # fmt: skip
    assert (await balance(w.leo))["paid_cents"] == 600
    history = await api.call("GET", f"/api/hosts/{w.leo['id']}/payouts", 200, token=w.leo["token"])
    assert [(one["amount_cents"], one["status"]) for one in history["payouts"]] == [(600, "paid")]

    response = await api.request("GET", f"/api/hosts/{w.leo['id']}/statement.csv", token=w.leo["token"])
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [(row["kind"], int(row["amount_cents"]), int(row["balance_cents"])) for row in rows] == [
        ("share", 1200, 1200), ("refund", -600, 600), ("payout", -600, 0),
    ]  # fmt: skip
    future = rfc3339(w.clock.now() + timedelta(days=1))
    response = await api.request("GET", f"/api/hosts/{w.leo['id']}/statement.csv?from={future}", token=w.leo["token"])
    assert (await response.text()).count("\n") == 1  # the header only
    bad = f"/api/hosts/{w.leo['id']}/statement.csv?from=yesterday"
    assert await error_code(api, "GET", bad, 400, token=w.leo["token"]) == "bad_request"

    performance = await api.call("GET", f"/api/campaigns/{campaign['id']}/performance", 200, token=w.brand["token"])
    [row] = performance["hosts"]
    assert (row["host_id"], row["shows"], row["orders"], row["units"], row["buyers"]) == (w.mia["id"], 1, 1, 2, 1)
    assert row["money"] == [{"currency": "EUR", "gmv_cents": 20_000, "refunds_cents": 10_000, "net_gmv_cents": 10_000,
                             "commission_cents": 2000}]  # fmt: skip
    mine = await api.call("GET", f"/api/campaigns/{campaign['id']}/performance", 200, token=w.mia["token"])
    assert [one["host_id"] for one in mine["hosts"]] == [w.mia["id"]]
    perf = f"/api/campaigns/{campaign['id']}/performance"
    assert await error_code(api, "GET", perf, 403, token=w.leo["token"]) == "not_approved"
    assert await error_code(api, "GET", perf, 403, token=w.other_brand["token"]) == "forbidden"


async def test_a_share_link_redirects_counts_clicks_and_keeps_the_viewer_attributed(
    world: World, settings: Settings, app: web.Application
) -> None:
    w, api = world, world.api
    campaign = await w.campaign()
    link_path = f"/api/campaigns/{campaign['id']}/link"
    assert await error_code(api, "POST", link_path, 403, token=w.mia["token"]) == "not_approved"
    await w.approved(w.mia, campaign)
    link = await api.call("POST", link_path, 201, token=w.mia["token"])
    assert link == {**link, "url": f"/l/{link['code']}", "campaign_id": campaign["id"], "host_id": w.mia["id"]}
    assert (await api.call("POST", link_path, 201, token=w.mia["token"]))["code"] == link["code"]

    async def follow() -> str:
        response = await api.client.get(link["url"], allow_redirects=False)
        assert response.status == 302
        return str(response.headers["Location"])

    # no show yet: the campaign's product page
    assert await follow() == f"/p/{w.coat['id']}?c={campaign['id']}&via={link['code']}"
    show = await api.create_show(w.mia["token"])
    await api.call(
        "POST", f"/api/shows/{show['id']}/lineup", 201, token=w.mia["token"], json={"product_id": w.coat["id"]}
    )
    store = app[keys.SERVICES].store  # going live is a WHIP publish: the test moves the show itself
    await store.set_show_status(show["id"], ShowStatus.LIVE)
    assert await follow() == f"/watch/{show['id']}?via={link['code']}"
    await store.set_show_status(show["id"], ShowStatus.ENDED)
    assert await follow() == f"/replay/{show['id']}?via={link['code']}"
    for path in ("/l/abcdefgh", "/l/0"):
        response = await api.client.get(path, allow_redirects=False)
        assert response.status == 404

    kept = await api.call("POST", "/api/attributions", 201, token=w.viewer["token"], json={"code": link["code"]})
    assert (kept["host_id"], kept["campaign_id"]) == (w.mia["id"], campaign["id"])
    assert await error_code(api, "POST", "/api/attributions", 404, token=w.viewer["token"], json={"code": "nope"}) == (
        "not_found"
    )
    assert await error_code(
        api, "POST", "/api/attributions", 403, token=w.leo["token"], json={"code": link["code"]}
    ) == ("forbidden")
    mine = await api.call("GET", "/api/me/attribution", 200, token=w.viewer["token"])
    assert mine["attribution"]["code"] == link["code"]
    performance = await api.call("GET", f"/api/campaigns/{campaign['id']}/performance", 200, token=w.brand["token"])
    assert performance["hosts"][0]["link"] == {"code": link["code"], "url": link["url"], "clicks": 3, "viewers": 1,
                                               "sales": 0}  # fmt: skip
    await w.clock.advance(settings.attribution_days * DAY)
    assert (await api.call("GET", "/api/me/attribution", 200, token=w.viewer["token"]))["attribution"] is None


async def test_a_viewer_who_came_through_a_link_buys_outside_a_show_and_the_host_earns_the_campaign_rate(
    world: World, settings: Settings
) -> None:
    w, api = world, world.api
    campaign = await w.campaign()
    await w.approved(w.mia, campaign)
    link = await api.call("POST", f"/api/campaigns/{campaign['id']}/link", 201, token=w.mia["token"])
    kept = await api.call("POST", "/api/attributions", 201, token=w.viewer["token"], json={"code": link["code"]})
    storefront = kept["storefront_show_id"]
    assert storefront.startswith("lnk_")
    again = await api.call("POST", "/api/attributions", 201, token=w.viewer["token"], json={"code": link["code"]})
    assert again["storefront_show_id"] == storefront  # one storefront per link
    listed = await api.call("GET", "/api/shows", 200)
    assert storefront not in [show["id"] for show in listed["shows"]]  # nobody watches a storefront

    stranger = await api.create_account("viewer", "Ana")
    coat = {"product_id": w.coat["id"], "qty": 2}
    refused = await api.call("POST", f"/api/shows/{storefront}/cart/items", 409, token=stranger["token"], json=coat)
    assert refused["error"]["code"] == "not_attributed"
    await api.call("POST", f"/api/shows/{storefront}/cart/items", 201, token=w.viewer["token"], json=coat)
    order = await api.call(
        "POST", f"/api/shows/{storefront}/checkout", 201, token=w.viewer["token"], json=checkout_body(),
        headers={"Idempotency-Key": new_key()},
    )  # fmt: skip
    assert (order["source"], order["host_id"]) == ("link", w.mia["id"])
    assert [(line["campaign_id"], line["commission_cents"]) for line in order["items"]] == [(campaign["id"], 4000)]
    balance = await api.call("GET", f"/api/hosts/{w.mia['id']}/balance", 200, token=w.mia["token"])
    assert balance["balances"][0]["pending_cents"] == 4000
    performance = await api.call("GET", f"/api/campaigns/{campaign['id']}/performance", 200, token=w.brand["token"])
    [row] = performance["hosts"]
    assert (row["orders"], row["units"], row["link"]["sales"], row["link"]["viewers"]) == (1, 2, 1, 1)
    seen = await api.call("GET", f"/api/orders/{order['id']}", 200, token=w.brand["token"])
    assert seen["source"] == "link"

    # past LIVECART_ATTRIBUTION_DAYS the link no longer credits anyone: the storefront refuses
    await w.clock.advance(settings.attribution_days * DAY)
    one = {"product_id": w.coat["id"]}
    late = await api.call("POST", f"/api/shows/{storefront}/cart/items", 409, token=w.viewer["token"], json=one)
    assert late["error"]["code"] == "not_attributed"
    late = await api.call(
        "POST", f"/api/shows/{storefront}/checkout", 409, token=w.viewer["token"], json=checkout_body(),
        headers={"Idempotency-Key": new_key()},
    )  # fmt: skip
    assert late["error"]["code"] == "not_attributed"


async def test_the_connect_replies_have_the_shapes_of_protocol_js(world: World, settings: Settings) -> None:
    w, api = world, world.api
    campaign = await w.campaign(max_hosts=3, units_cap=50)
    check(campaign, "Campaign")
    check(await api.call("GET", "/api/campaigns", 200, token=w.mia["token"]), "CampaignList")
    applied = await api.call(
        "POST", f"/api/campaigns/{campaign['id']}/applications", 201, token=w.mia["token"], json={"pitch": "hi"}
    )
    check(applied, "Application")
    check(await api.call("GET", f"/api/campaigns/{campaign['id']}/applications", 200, token=w.brand["token"]),
          "CampaignApplicationList")  # fmt: skip
    check(await api.call("POST", f"/api/applications/{applied['id']}/approve", 200, token=w.brand["token"]),
          "Application")  # fmt: skip
    leo = {"host_id": w.leo["id"]}
    invitation = await api.call("POST", f"/api/campaigns/{campaign['id']}/invitations", 201, token=w.brand["token"],
                                json=leo)  # fmt: skip
    check(invitation, "Invitation")
    link = await api.call("POST", f"/api/campaigns/{campaign['id']}/link", 201, token=w.mia["token"])
    check(link, "ShareLink")
    check(await api.call("GET", f"/api/hosts/{w.mia['id']}/applications", 200, token=w.mia["token"]),
          "HostApplicationList")  # fmt: skip
    check(await api.call("POST", "/api/attributions", 201, token=w.viewer["token"], json={"code": link["code"]}),
          "Attribution")  # fmt: skip
    check(await api.call("GET", f"/api/campaigns/{campaign['id']}/performance", 200, token=w.brand["token"]),
          "CampaignPerformance")  # fmt: skip
    show = await api.create_show(w.mia["token"])
    added = await api.call(
        "POST", f"/api/shows/{show['id']}/lineup", 201, token=w.mia["token"],
        json={"product_id": w.coat["id"], "campaign_id": campaign["id"]},
    )  # fmt: skip
    check(added, "LineupAdded")
    invited = {"host_id": w.leo["id"], "share_bps": 3000}
    check(await api.call("POST", f"/api/shows/{show['id']}/cohosts", 201, token=w.mia["token"], json=invited), "Cohost")
    check(await api.call("POST", f"/api/shows/{show['id']}/cohosts/accept", 200, token=w.leo["token"]), "Cohost")
    check(await api.call("GET", f"/api/shows/{show['id']}/cohosts", 200, token=w.mia["token"]), "CohostList")
    order = await sell(api, show["id"], w.mia, w.viewer, w.coat["id"], 1)
    check(order, "Order")
    await w.clock.advance(settings.return_window_days * DAY + 1)
    await api.call("POST", "/api/payouts", 200, token=ADMIN_TOKEN, headers={"Idempotency-Key": "shapes"})
    check(await api.call("GET", f"/api/hosts/{w.mia['id']}/balance", 200, token=w.mia["token"]), "BalanceList")
    check(await api.call("GET", f"/api/hosts/{w.mia['id']}/payouts", 200, token=w.mia["token"]), "PayoutList")
