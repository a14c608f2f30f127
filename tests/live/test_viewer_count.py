"""The viewer count is the show's audience: its host (studio tabs), the brands of its lineup (consoles)
and admins are in the room but not counted; viewers and anonymous watchers are."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.live.clients import LiveClient
from tests.support import ADMIN_TOKEN, Api

Connect = Callable[[], Awaitable[LiveClient]]


@pytest.fixture
async def connect(client: TestClient[Any, Any]) -> AsyncIterator[Connect]:
    opened: list[LiveClient] = []
    base_url = str(client.make_url("/"))

    async def open_client() -> LiveClient:
        live = await LiveClient(base_url).connect()
        opened.append(live)
        return live

    yield open_client
    for live in opened:
        await live.close()


async def stats(api: Api, show_id: str, token: str) -> dict[str, Any]:
    body: dict[str, Any] = await api.call("GET", f"/api/shows/{show_id}/stats", 200, token=token)
    return body


async def test_the_shows_own_people_are_not_counted(connect: Connect, api: Api) -> None:
    host = await api.create_account("host", "Mia")
    brand = await api.create_account("brand", "Aurora")
    outsider = await api.create_account("brand", "Other Brand")
    show = await api.create_show(host["token"])
    product = await api.create_product(brand["token"])
    await api.call(
        "POST", f"/api/shows/{show['id']}/lineup", 201, token=host["token"], json={"product_id": product["id"]}
    )

    # The host's two studio tabs, the lineup's brand and an admin: nobody is watching yet.
    own = [(await connect(), token) for token in (host["token"], host["token"], brand["token"], ADMIN_TOKEN)]
    for live, token in own:
        ack = await live.join(show["id"], token)
        assert ack["viewers"] == 0
    studio = own[0][0]

    sam = await api.create_account("viewer", "Sam")
    watchers = [await connect() for _ in range(3)]
    assert (await watchers[0].join(show["id"], sam["token"]))["viewers"] == 1
    assert (await watchers[1].join(show["id"]))["viewers"] == 2  # anonymous watchers count
    assert (await watchers[2].join(show["id"], outsider["token"]))["viewers"] == 3  # a brand not in the show

    await studio.wait_for(lambda: any(event["count"] == 3 for event in studio.events("viewers")))
    assert all(event["count"] <= 3 for event in studio.events("viewers"))
    assert (await stats(api, show["id"], host["token"]))["current_viewers"] == 3

    # The show's own people leaving changes nothing; a viewer leaving does.
    for live, _ in own[1:]:
        await live.close()
    await watchers[0].close()
    await studio.wait_for(lambda: studio.events("viewers")[-1]["count"] == 2)
    assert (await stats(api, show["id"], host["token"]))["current_viewers"] == 2
