"""Dates are range-checked on the way in (issue 19, finding 2): a show scheduled at the edge of what
a datetime can hold is a 400 on both stores, and the show list keeps working — also for a show stored
before the check existed (written straight into Redis, as the attack left it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from livecart import keys
from livecart.app import create_app
from livecart.config import Settings
from livecart.domain.models import ShowStatus
from livecart.store.redis import keys as redis_keys
from tests.conftest import AiohttpClient
from tests.support import ADMIN_TOKEN, Api

EDGES = [
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "9500-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
]


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    url = f"sqlite:///{tmp_path / 'livecart.db'}" if request.param == "sqlite" else request.getfixturevalue("redis_url")
    return Settings(store=url, admin_token=ADMIN_TOKEN)


@pytest.mark.parametrize("scheduled_at", EDGES)
async def test_a_show_scheduled_out_of_range_is_a_400_and_the_list_still_works(api: Api, scheduled_at: str) -> None:
    host = await api.create_account("host", "Mia Live")

    refused = await api.call(
        "POST", "/api/shows", 400, token=host["token"], json={"title": "Edge", "scheduled_at": scheduled_at}
    )

    assert refused["error"]["code"] == "bad_request"
    assert "scheduled_at" in str(refused["error"])
    listed = await api.call("GET", "/api/shows", 200)
    assert listed["shows"] == []


@pytest.mark.redis
async def test_a_show_stored_with_an_extreme_date_before_the_check_does_not_break_reading(
    redis_url: str, aiohttp_client: AiohttpClient
) -> None:
    app = create_app(Settings(store=redis_url, admin_token=ADMIN_TOKEN))
    api = Api(await aiohttp_client(app))
    host = await api.create_account("host", "Mia Live")
    show = await api.create_show(host["token"])
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        await redis.hset(redis_keys.show(show["id"]), "scheduled_at", "9999-12-31T23:59:59-14:00")
    finally:
        await redis.aclose()

    shown = await api.call("GET", f"/api/shows/{show['id']}", 200)
    assert shown["scheduled_at"] == "9999-12-31T23:59:59-14:00"
    listed = await api.call("GET", "/api/shows", 200)
    assert [item["id"] for item in listed["shows"]] == [show["id"]]
    stored = await app[keys.SERVICES].store.get_show(show["id"])
    assert stored is not None
    assert stored.status is ShowStatus.SCHEDULED
