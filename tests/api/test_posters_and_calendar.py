"""A show's poster frame (`PUT/GET /api/shows/{id}/poster`: the host's image only, size-limited) and the
show as a calendar event (`GET /api/shows/{id}.ics`), over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from livecart import keys
from livecart.app import create_app
from livecart.config import Settings
from livecart.domain.models import ShowStatus
from tests.conftest import AiohttpClient
from tests.support import ADMIN_TOKEN, Api

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)


async def put(api: Api, show_id: str, body: bytes, token: str | None, content_type: str = "image/jpeg") -> int:
    response = await api.request(
        "PUT", f"/api/shows/{show_id}/poster", token=token, data=body, headers={"Content-Type": content_type}
    )
    return response.status


async def test_the_host_sends_a_poster_and_anyone_reads_it(api: Api) -> None:
    host = await api.create_account("host", "Mia")
    show = await api.create_show(host["token"])
    await api.call("GET", f"/api/shows/{show['id']}/poster", 404)
    assert (await api.call("GET", "/api/shows", 200))["shows"][0]["poster_url"] is None

    response = await api.request(
        "PUT", f"/api/shows/{show['id']}/poster", token=host["token"], data=JPEG, headers={"Content-Type": "image/jpeg"}
    )
    assert response.status == 200
    sent = await response.json()
    assert (sent["show_id"], sent["bytes"]) == (show["id"], len(JPEG))
    assert sent["poster_url"].startswith(f"/api/shows/{show['id']}/poster?v=")
    listed = (await api.call("GET", "/api/shows", 200))["shows"][0]
    assert listed["poster_url"] == sent["poster_url"]

    got = await api.client.get(sent["poster_url"])
    assert got.status == 200
    assert got.headers["Content-Type"] == "image/jpeg"
    assert await got.read() == JPEG

    assert await put(api, show["id"], PNG, host["token"], "image/png") == 200  # the next one replaces it
    assert await (await api.client.get(f"/api/shows/{show['id']}/poster")).read() == PNG


async def test_only_the_shows_host_may_send_one(api: Api) -> None:
    host = await api.create_account("host", "Mia")
    other = await api.create_account("host", "Zoe")
    viewer = await api.create_account("viewer", "Sam")
    show = await api.create_show(host["token"])
    assert await put(api, show["id"], JPEG, None) == 401
    assert await put(api, show["id"], JPEG, viewer["token"]) == 403
    assert await put(api, show["id"], JPEG, other["token"]) == 403
    assert await put(api, "shw_unknown", JPEG, host["token"]) == 404
    assert await put(api, show["id"], JPEG, ADMIN_TOKEN) == 200


async def test_only_images_are_taken_and_only_up_to_the_limit(api: Api, app: web.Application) -> None:
    host = await api.create_account("host", "Mia")
    show = await api.create_show(host["token"])
    html = await api.request(
        "PUT", f"/api/shows/{show['id']}/poster", token=host["token"], data=b"<svg onload=x>",
        headers={"Content-Type": "image/svg+xml"},
    )  # fmt: skip
    assert html.status == 415
    assert (await html.json())["error"]["code"] == "unsupported_media_type"
    disguised = await api.request(
        "PUT", f"/api/shows/{show['id']}/poster", token=host["token"], data=b"<html>not a png</html>",
        headers={"Content-Type": "image/png"},
    )  # fmt: skip
    assert disguised.status == 400
    limit = app[keys.SETTINGS].poster_max_bytes
    too_big = await api.request(
        "PUT", f"/api/shows/{show['id']}/poster", token=host["token"], data=JPEG + bytes(limit),
        headers={"Content-Type": "image/jpeg"},
    )  # fmt: skip
    assert too_big.status == 413
    assert (await too_big.json())["error"]["code"] == "payload_too_large"
    await api.call("GET", f"/api/shows/{show['id']}/poster", 404)  # nothing was kept


async def test_the_poster_limit_is_a_setting(tmp_path: Path, aiohttp_client: AiohttpClient) -> None:
    settings = Settings(store=f"sqlite:///{tmp_path / 'db'}", admin_token=ADMIN_TOKEN, poster_max_bytes=100)
    api = Api(await aiohttp_client(create_app(settings)))
    host = await api.create_account("host", "Mia")
    show = await api.create_show(host["token"])
    assert await put(api, show["id"], JPEG[:100], host["token"]) == 200
    assert await put(api, show["id"], JPEG[:101], host["token"]) == 413


async def test_a_scheduled_show_is_a_calendar_event(api: Api, app: web.Application) -> None:
    host = await api.create_account("host", "Mia Live")
    start = datetime(2031, 5, 2, 18, 30, tzinfo=UTC)
    show = await api.call(
        "POST", "/api/shows", 201, token=host["token"],
        json={"title": "Sunday Skincare; live", "scheduled_at": start.isoformat()},
    )  # fmt: skip
    response = await api.client.get(f"/api/shows/{show['id']}.ics")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="{show["id"]}.ics"' in response.headers["Content-Disposition"]
    text = await response.text()
    lines = text.replace("\r\n ", "").split("\r\n")
    assert "DTSTART:20310502T183000Z" in lines
    assert "DTEND:20310502T193000Z" in lines
    assert "SUMMARY:Sunday Skincare\\; live" in lines
    origin = str(api.client.make_url("")).rstrip("/")
    assert f"URL:{origin}/watch/{show['id']}" in lines


@pytest.mark.parametrize("case", ["unscheduled", "ended"])
async def test_a_show_without_a_start_time_has_no_calendar_event(api: Api, app: web.Application, case: str) -> None:
    host = await api.create_account("host", "Mia")
    when = None if case == "unscheduled" else (datetime.now(UTC) + timedelta(days=1)).isoformat()
    show = await api.call("POST", "/api/shows", 201, token=host["token"], json={"title": "T", "scheduled_at": when})
    if case == "ended":
        await app[keys.SERVICES].store.set_show_status(show["id"], ShowStatus.ENDED)
    body = await api.call("GET", f"/api/shows/{show['id']}.ics", 409)
    assert body["error"]["code"] == "conflict"
    await api.call("GET", "/api/shows/shw_unknown.ics", 404)
