"""Accounts: admin creates hosts and brands, anyone becomes a viewer, tokens identify callers."""

from __future__ import annotations

import pytest

from tests.support import ADMIN_TOKEN, Api


@pytest.mark.parametrize("role", ["host", "brand"])
async def test_admin_creates_hosts_and_brands_with_tokens(api: Api, role: str) -> None:
    account = await api.call("POST", f"/api/{role}s", 201, token=ADMIN_TOKEN, json={"name": "  Mia Live  "})
    assert account["role"] == role
    assert account["name"] == "Mia Live"
    assert account["id"].startswith({"host": "hst_", "brand": "brd_"}[role])
    me = await api.call("GET", "/api/me", 200, token=account["token"])
    assert me == {key: account[key] for key in ("id", "role", "name", "created_at")}


@pytest.mark.parametrize("role", ["host", "brand"])
async def test_only_admin_creates_hosts_and_brands(api: Api, role: str) -> None:
    viewer = await api.create_account("viewer", "Sam")
    no_token = await api.call("POST", f"/api/{role}s", 401, json={"name": "X"})
    assert no_token["error"]["code"] == "unauthorized"
    wrong_role = await api.call("POST", f"/api/{role}s", 403, token=viewer["token"], json={"name": "X"})
    assert wrong_role["error"]["code"] == "forbidden"
    bad_token = await api.call("POST", f"/api/{role}s", 401, token="not-a-token", json={"name": "X"})
    assert bad_token["error"] == {"code": "unauthorized", "message": "the bearer token is not valid"}


async def test_anyone_becomes_a_viewer(api: Api) -> None:
    viewer = await api.call("POST", "/api/viewers", 201, json={"name": "Sam Baker"})
    assert viewer["role"] == "viewer"
    assert viewer["token"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": 42}, "name"),
        ({"name": "Sam\r\nSet-Cookie: a=b"}, "name"),
        ({"name": "Sam", "role": "admin"}, "role"),
    ],
)
async def test_invalid_names_get_field_details(api: Api, body: dict[str, object], field: str) -> None:
    error = await api.call("POST", "/api/viewers", 400, json=body)
    assert error["error"]["code"] == "bad_request"
    assert field in error["error"]["fields"]


async def test_body_that_is_not_a_json_object(api: Api) -> None:
    broken = await api.call("POST", "/api/viewers", 400, data="{name:", headers={"Content-Type": "application/json"})
    assert broken["error"]["code"] == "bad_request"
    assert "line" in broken["error"]
    array = await api.call("POST", "/api/viewers", 400, json=["Sam"])
    assert array["error"]["message"] == "the body must be a JSON object"
    empty = await api.call("POST", "/api/viewers", 400, data="")
    assert empty["error"]["message"] == "the request needs a JSON body"


async def test_body_over_the_limit_is_413(api: Api) -> None:
    error = await api.call("POST", "/api/viewers", 413, json={"name": "x" * 70_000})
    assert error["error"]["code"] == "payload_too_large"


async def test_me_needs_a_token(api: Api) -> None:
    error = await api.call("GET", "/api/me", 401)
    assert error["error"]["code"] == "unauthorized"


async def test_deleted_accounts_tokens_are_rejected(api: Api) -> None:
    host = await api.create_account("host", "Mia")
    await api.call("GET", "/api/me", 200, token=host["token"])
    await api.call("DELETE", f"/api/accounts/{host['id']}", 403, token=host["token"])
    await api.call("DELETE", f"/api/accounts/{host['id']}", 204, token=ADMIN_TOKEN)
    await api.call("GET", "/api/me", 401, token=host["token"])
    missing = await api.call("DELETE", f"/api/accounts/{host['id']}", 404, token=ADMIN_TOKEN)
    assert missing["error"]["code"] == "not_found"
