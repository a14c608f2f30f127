"""Reviews over HTTP: only verified buyers review, once per order line, after LIVECART_REVIEW_AFTER_H; anyone
reads them page by page with the summary; the brand replies once and reports but cannot delete; an admin
hides with a reason that stays visible."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

from livecart import keys
from livecart.app import create_app
from livecart.clock import ManualClock
from livecart.commerce.retention import Retention
from livecart.config import Settings
from livecart.domain.live import ChatSettings
from tests.api.commerce_scene import Scene, make_scene
from tests.conftest import AiohttpClient
from tests.support import ADMIN_TOKEN, Api

NO_REVIEWS = {"count": 0, "average": None, "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 20, 18, 0, tzinfo=UTC))


@pytest.fixture
def app(settings: Settings, clock: ManualClock) -> web.Application:
    return create_app(settings, clock=clock)


async def bought(scene: Scene, name: str = "Ann", qty: int = 1, product: int = 0) -> tuple[dict[str, Any], str]:
    """A new viewer who bought `qty` units of the scene's product: (viewer, order id)."""
    viewer = await scene.viewer(name)
    await scene.add(viewer, scene.products[product], qty)
    order = await scene.checkout(viewer)
    return viewer, str(order["id"])


async def pinned_scene(api: Api, *specs: dict[str, Any]) -> Scene:
    scene = await make_scene(api, *specs)
    for product in scene.products:
        await scene.pin(product)
    return scene


def reviews_path(scene: Scene, product: int = 0) -> str:
    return f"/api/products/{scene.products[product]['id']}/reviews"


async def test_a_verified_buyer_reviews_and_everyone_reads_the_review_and_the_summary(api: Api) -> None:
    scene = await pinned_scene(api)
    ann, order_id = await bought(scene, "Ann")
    written = await api.call(
        "POST",
        reviews_path(scene),
        201,
        token=ann["token"],
        json={"rating": 4, "text": "  Lovely\x07 colour,\nlasts all day. ", "order_id": order_id},
    )
    assert written == {
        "id": written["id"],
        "product_id": scene.products[0]["id"],
        "buyer_name": "Ann",
        "verified_buyer": True,
        "rating": 4,
        "text": "Lovely colour,\nlasts all day.",
        "created_at": "2026-11-20T18:00:00Z",
        "reply": None,
        "hidden": None,
    }
    listing = await api.call("GET", reviews_path(scene), 200)  # anonymous
    assert listing == {
        "product_id": scene.products[0]["id"],
        "reviews": [written],
        "next_before": None,
        "summary": {"count": 1, "average": 4.0, "histogram": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}},
    }
    product = await api.call("GET", f"/api/products/{scene.products[0]['id']}", 200)
    assert product["reviews"] == listing["summary"]
    assert await api.call("GET", f"/api/reviews/{written['id']}", 200) == written
    assert "127.0.0.1" not in str(listing)


async def test_a_viewer_who_did_not_buy_is_not_a_buyer(api: Api) -> None:
    scene = await pinned_scene(api, {}, {"sku": "OTHER"})
    ann, order_id = await bought(scene, "Ann")
    bob = await scene.viewer("Bob")
    for body in ({"rating": 5, "order_id": order_id}, {"rating": 5, "order_id": "ord_0000000000000000"}):
        refused = await api.call("POST", reviews_path(scene), 409, token=bob["token"], json=body)
        assert refused["error"]["code"] == "not_a_buyer"
        assert refused["error"]["reason"] == "not_your_order"  # the same answer: order ids cannot be probed
    other = await api.call(
        "POST", reviews_path(scene, 1), 409, token=ann["token"], json={"rating": 5, "order_id": order_id}
    )
    assert (other["error"]["code"], other["error"]["reason"]) == ("not_a_buyer", "not_in_order")
    await api.call(
        "POST", "/api/products/prd_unknown/reviews", 404, token=ann["token"], json={"rating": 5, "order_id": order_id}
    )
    await api.call("POST", reviews_path(scene), 401, json={"rating": 5, "order_id": order_id})
    for token in (scene.brand["token"], scene.host["token"]):
        await api.call("POST", reviews_path(scene), 403, token=token, json={"rating": 5, "order_id": order_id})
    assert (await api.call("GET", reviews_path(scene), 200))["summary"] == NO_REVIEWS


async def test_a_fully_refunded_buyer_cannot_review_and_a_partly_refunded_one_can(api: Api) -> None:
    scene = await pinned_scene(api)
    ann, ann_order = await bought(scene, "Ann")
    bob, bob_order = await bought(scene, "Bob", qty=2)
    await api.call("POST", f"/api/orders/{ann_order}/refund", 201, token=scene.brand["token"])
    await api.call(
        "POST",
        f"/api/orders/{bob_order}/refund",
        201,
        token=scene.brand["token"],
        json={"items": [{"product_id": scene.products[0]["id"], "qty": 1}]},
    )
    refused = await api.call(
        "POST", reviews_path(scene), 409, token=ann["token"], json={"rating": 1, "order_id": ann_order}
    )
    assert (refused["error"]["code"], refused["error"]["reason"]) == ("not_a_buyer", "refunded")
    await api.call("POST", reviews_path(scene), 201, token=bob["token"], json={"rating": 3, "order_id": bob_order})


async def test_an_order_line_is_reviewed_once_and_a_new_order_may_be_reviewed_again(api: Api) -> None:
    scene = await pinned_scene(api)
    ann, first = await bought(scene, "Ann")
    await api.call("POST", reviews_path(scene), 201, token=ann["token"], json={"rating": 5, "order_id": first})
    again = await api.call("POST", reviews_path(scene), 409, token=ann["token"], json={"rating": 1, "order_id": first})
    assert again["error"] == {
        "code": "already_reviewed",
        "message": "this order line has already been reviewed",
        "order_id": first,
        "product_id": scene.products[0]["id"],
    }
    assert (await api.call("GET", reviews_path(scene), 200))["summary"]["histogram"]["1"] == 0
    reviewable = f"/api/products/{scene.products[0]['id']}/reviewable"
    assert (await api.call("GET", reviewable, 200, token=ann["token"]))["order_ids"] == []
    await scene.add(ann, scene.products[0])
    second = (await scene.checkout(ann))["id"]
    assert (await api.call("GET", reviewable, 200, token=ann["token"]))["order_ids"] == [second]
    await api.call("POST", reviews_path(scene), 201, token=ann["token"], json={"rating": 4, "order_id": second})
    assert (await api.call("GET", reviews_path(scene), 200))["summary"]["count"] == 2


async def test_reviews_open_review_after_hours_after_payment(
    settings: Settings, clock: ManualClock, aiohttp_client: AiohttpClient
) -> None:
    api = Api(await aiohttp_client(create_app(replace(settings, review_after_h=72), clock=clock)))
    scene = await pinned_scene(api)
    ann, order_id = await bought(scene, "Ann")
    await clock.advance(72 * 3600 - 1)
    body = {"rating": 5, "order_id": order_id}
    early = await api.call("POST", reviews_path(scene), 409, token=ann["token"], json=body)
    assert early["error"]["code"] == "review_too_early"
    assert early["error"]["open_at"] == "2026-11-23T18:00:00Z"
    await clock.advance(1)
    await api.call("POST", reviews_path(scene), 201, token=ann["token"], json={"rating": 5, "order_id": order_id})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": "5"}, "rating"),
        ({"rating": 4.5}, "rating"),
        ({"rating": True}, "rating"),
        ({"rating": 5, "text": "x" * 2001}, "text"),
        ({"rating": 5, "text": 42}, "text"),
        ({"rating": 5, "stars": 5}, "stars"),
    ],
)
async def test_invalid_reviews_are_refused_with_the_field_named(api: Api, body: dict[str, Any], field: str) -> None:
    scene = await pinned_scene(api)
    ann, order_id = await bought(scene, "Ann")
    refused = await api.call("POST", reviews_path(scene), 400, token=ann["token"], json={"order_id": order_id, **body})
    assert refused["error"]["code"] == "bad_request"
    assert field in refused["error"]["fields"]
    assert (await api.call("GET", reviews_path(scene), 200))["reviews"] == []


async def test_the_shows_blocked_words_refuse_a_review_as_they_refuse_chat(api: Api, app: web.Application) -> None:
    scene = await pinned_scene(api)
    ann, order_id = await bought(scene, "Ann")
    await app[keys.SERVICES].store.set_chat_settings(scene.show_id, ChatSettings(blocked_words=("scam",)))
    refused = await api.call(
        "POST",
        reviews_path(scene),
        400,
        token=ann["token"],
        json={"rating": 1, "text": "A SCAM.", "order_id": order_id},
    )
    assert refused["error"]["code"] == "blocked_word"
    await api.call("POST", reviews_path(scene), 201, token=ann["token"], json={"rating": 5, "order_id": order_id})


async def test_the_brand_replies_once_reports_and_cannot_delete(api: Api) -> None:
    scene = await pinned_scene(api)
    ann, order_id = await bought(scene, "Ann")
    review = await api.call(
        "POST",
        reviews_path(scene),
        201,
        token=ann["token"],
        json={"rating": 2, "text": "Smudges.", "order_id": order_id},
    )
    path = f"/api/reviews/{review['id']}"
    other_brand = await api.create_account("brand", "Borealis")
    for token, status in ((None, 401), (ann["token"], 403), (scene.host["token"], 403), (other_brand["token"], 403)):
        await api.call("POST", f"{path}/reply", status, token=token, json={"text": "Sorry!"})
        await api.call("POST", f"{path}/report", status, token=token, json={"reason": "fake"})
    replied = await api.call("POST", f"{path}/reply", 201, token=scene.brand["token"], json={"text": "Try primer."})
    assert replied["reply"]["text"] == "Try primer."
    twice = await api.call("POST", f"{path}/reply", 409, token=scene.brand["token"], json={"text": "Edited"})
    assert twice["error"]["code"] == "already_replied"
    reported = await api.call("POST", f"{path}/report", 201, token=scene.brand["token"], json={"reason": "competitor"})
    assert reported["reported"] is True
    assert [r["reason"] for r in reported["review"]["reports"]] == ["competitor"]
    again = await api.call("POST", f"{path}/report", 200, token=scene.brand["token"], json={"reason": "again"})
    assert again["reported"] is False
    for token in (scene.brand["token"], ADMIN_TOKEN, ann["token"], None):
        response = await api.request("DELETE", path, token=token)
        assert response.status == 405
        assert (await response.json())["error"]["code"] == "method_not_allowed"
        assert "DELETE" not in response.headers["Allow"]
    assert (await api.call("GET", path, 200))["text"] == "Smudges."  # still there
    brand_view = (await api.call("GET", reviews_path(scene), 200, token=scene.brand["token"]))["reviews"][0]
    assert (brand_view["order_id"], len(brand_view["reports"])) == (order_id, 1)
    public = (await api.call("GET", reviews_path(scene), 200, token=ann["token"]))["reviews"][0]
    assert "reports" not in public
    assert public["reply"]["text"] == "Try primer."


async def test_an_admin_hides_a_review_which_stays_listed_as_hidden_by_moderation(api: Api) -> None:
    scene = await pinned_scene(api)
    ann, order_id = await bought(scene, "Ann")
    bob, bob_order = await bought(scene, "Bob")
    hidden = await api.call(
        "POST",
        reviews_path(scene),
        201,
        token=ann["token"],
        json={"rating": 1, "text": "Buy from my shop instead", "order_id": order_id},
    )
    await api.call("POST", reviews_path(scene), 201, token=bob["token"], json={"rating": 5, "order_id": bob_order})
    path = f"/api/reviews/{hidden['id']}/hide"
    for token, status in ((None, 401), (ann["token"], 403), (scene.brand["token"], 403), (scene.host["token"], 403)):
        await api.call("POST", path, status, token=token, json={"reason": "advertising"})
    await api.call("POST", path, 400, token=ADMIN_TOKEN, json={"reason": " "})
    await api.call("POST", path, 200, token=ADMIN_TOKEN, json={"reason": "advertising"})
    listing = await api.call("GET", reviews_path(scene), 200)
    shown = {review["id"]: review for review in listing["reviews"]}[hidden["id"]]
    assert (shown["rating"], shown["text"]) == (None, None)
    assert shown["hidden"] == {"label": "hidden by moderation", "reason": "advertising", "at": "2026-11-20T18:00:00Z"}
    assert listing["summary"] == {"count": 1, "average": 5.0, "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}}
    as_admin = await api.call("GET", f"/api/reviews/{hidden['id']}", 200, token=ADMIN_TOKEN)
    assert (as_admin["text"], as_admin["buyer_id"]) == ("Buy from my shop instead", ann["id"])
    await api.call("POST", "/api/reviews/rvw_unknown/hide", 404, token=ADMIN_TOKEN, json={"reason": "x"})


async def test_reviews_are_paged_newest_first(api: Api, clock: ManualClock) -> None:
    scene = await pinned_scene(api, {"stock": 50})
    ids = []
    for n in range(5):
        viewer, order_id = await bought(scene, f"V{n}")
        await clock.advance(60)
        ids.append(
            (
                await api.call(
                    "POST",
                    reviews_path(scene),
                    201,
                    token=viewer["token"],
                    json={"rating": 1 + n, "order_id": order_id},
                )
            )["id"]
        )
    first = await api.call("GET", f"{reviews_path(scene)}?limit=2", 200)
    second = await api.call("GET", f"{reviews_path(scene)}?limit=2&before={first['next_before']}", 200)
    third = await api.call("GET", f"{reviews_path(scene)}?limit=2&before={second['next_before']}", 200)
    assert [r["id"] for page in (first, second, third) for r in page["reviews"]] == ids[::-1]
    assert third["next_before"] is None
    assert first["summary"]["average"] == 3.0
    for query, field in (
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("before=rvw_unknown", "before"),
    ):
        refused = await api.call("GET", f"{reviews_path(scene)}?{query}", 400)
        assert field in refused["error"]["fields"]
    other = await pinned_scene(api)
    await api.call("GET", f"{reviews_path(other)}?before={ids[0]}", 400)  # a review of another product
    await api.call("GET", "/api/products/prd_unknown/reviews", 404)


async def test_a_reviews_client_address_is_kept_for_the_signals_then_erased_with_the_orders(
    api: Api, app: web.Application, clock: ManualClock
) -> None:
    scene = await pinned_scene(api)
    ann, order_id = await bought(scene, "Ann")
    review = await api.call(
        "POST", reviews_path(scene), 201, token=ann["token"], json={"rating": 5, "order_id": order_id}
    )
    store = app[keys.SERVICES].store
    kept = await store.get_review(review["id"])
    assert kept is not None
    assert kept.client_ip == "127.0.0.1"
    retention = Retention(timedelta(hours=24), timedelta(days=30), clock)
    assert await retention.apply(store) == (0, 0), "too recent"
    await clock.advance(31 * 24 * 3600)
    retention.client_ip_every_s = 0  # the hourly pace is not what this test is about
    assert await retention.apply(store) == (1, 2), "the checkout key; the order's address and the review's"
    erased = await store.get_review(review["id"])
    assert erased is not None
    assert erased.client_ip is None
    assert (await api.call("GET", f"/api/reviews/{review['id']}", 200))["rating"] == 5  # the review stays
