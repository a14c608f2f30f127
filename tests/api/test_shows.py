"""Shows: a host creates them and features brands' products; anyone reads them."""

from __future__ import annotations

from typing import Any

import pytest

from livecart import keys
from livecart.domain.models import ShowStatus
from tests.support import ADMIN_TOKEN, Api


@pytest.fixture
async def host(api: Api) -> dict[str, Any]:
    return await api.create_account("host", "Mia Live")


async def test_host_creates_a_scheduled_show(api: Api, host: dict[str, Any]) -> None:
    show = await api.call(
        "POST",
        "/api/shows",
        201,
        token=host["token"],
        json={"title": "Friday Glow-Up", "scheduled_at": "2026-11-27T18:00:00+01:00"},
    )
    assert show["status"] == "scheduled"
    assert show["host_id"] == host["id"]
    assert show["scheduled_at"] == "2026-11-27T17:00:00Z"
    detail = await api.call("GET", f"/api/shows/{show['id']}", 200)
    assert detail["host"] == {"id": host["id"], "name": "Mia Live"}
    assert detail["lineup"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "T", "scheduled_at": "tomorrow"}, "scheduled_at"),
        ({"title": "T", "scheduled_at": "2026-11-27T18:00:00"}, "scheduled_at"),
    ],
)
async def test_invalid_shows(api: Api, host: dict[str, Any], body: dict[str, Any], field: str) -> None:
    error = await api.call("POST", "/api/shows", 400, token=host["token"], json=body)
    assert field in error["error"]["fields"]


async def test_only_hosts_create_shows(api: Api) -> None:
    brand = await api.create_account("brand", "Aurora")
    await api.call("POST", "/api/shows", 401, json={"title": "T"})
    await api.call("POST", "/api/shows", 403, token=brand["token"], json={"title": "T"})


async def test_live_shows_are_listed_first(api: Api, host: dict[str, Any], client: Any) -> None:
    later = await api.call(
        "POST",
        "/api/shows",
        201,
        token=host["token"],
        json={"title": "Later", "scheduled_at": "2026-12-01T17:30:00-02:00"},
    )
    sooner = await api.call(
        "POST", "/api/shows", 201, token=host["token"], json={"title": "Sooner", "scheduled_at": "2026-12-01T18:00:00Z"}
    )
    live = await api.create_show(host["token"], "On air")
    ended = await api.create_show(host["token"], "Over")
    store = client.app[keys.SERVICES].store
    await store.set_show_status(live["id"], ShowStatus.LIVE)
    await store.set_show_status(ended["id"], ShowStatus.ENDED)
    listing = await api.call("GET", "/api/shows", 200)
    assert [show["title"] for show in listing["shows"]] == ["On air", "Sooner", "Later", "Over"]
    assert listing["shows"][0]["status"] == "live"
    assert listing["shows"][0]["started_at"]
    assert later["id"] != sooner["id"]


async def test_host_features_a_brands_product_in_the_lineup(api: Api, host: dict[str, Any]) -> None:
    brand = await api.create_account("brand", "Aurora")
    product = await api.create_product(brand["token"])
    show = await api.create_show(host["token"])
    path = f"/api/shows/{show['id']}/lineup"
    added = await api.call("POST", path, 201, token=host["token"], json={"product_id": product["id"]})
    assert added["added"] is True
    assert added["product"]["id"] == product["id"]
    again = await api.call("POST", path, 200, token=host["token"], json={"product_id": product["id"]})
    assert again["added"] is False
    lineup = await api.call("GET", path, 200)
    assert [p["id"] for p in lineup["products"]] == [product["id"]]
    detail = await api.call("GET", f"/api/shows/{show['id']}", 200)
    assert [p["id"] for p in detail["lineup"]] == [product["id"]]


async def test_lineup_rules(api: Api, host: dict[str, Any]) -> None:
    other_host = await api.create_account("host", "Other")
    brand = await api.create_account("brand", "Aurora")
    product = await api.create_product(brand["token"])
    show = await api.create_show(host["token"])
    path = f"/api/shows/{show['id']}/lineup"
    body = {"product_id": product["id"]}
    await api.call("POST", path, 401, json=body)
    await api.call("POST", path, 403, token=brand["token"], json=body)
    forbidden = await api.call("POST", path, 403, token=other_host["token"], json=body)
    assert forbidden["error"]["message"] == "only the show's host may do this"
    await api.call("POST", path, 404, token=host["token"], json={"product_id": "prd_missing"})
    await api.call("POST", path, 400, token=host["token"], json={"product_id": ""})
    await api.call("POST", "/api/shows/shw_missing/lineup", 404, token=host["token"], json=body)
    await api.call("POST", path, 201, token=ADMIN_TOKEN, json=body)


async def test_unknown_show_is_404(api: Api) -> None:
    error = await api.call("GET", "/api/shows/shw_missing", 404)
    assert error["error"]["show_id"] == "shw_missing"
    await api.call("GET", "/api/shows/shw_missing/lineup", 404)
