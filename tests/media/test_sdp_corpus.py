"""Broken SDP offers (a corpus of real-world breakage plus seeded random mutations) to WHIP and WHEP:
every one gets a 4xx with the error body, or — when aiortc can still use it — a 201 whose session is
then deleted. Never a 5xx, no error logged, and a good offer still works afterwards."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiortc.mediastreams import AudioStreamTrack
from yarl import URL

from livecart.media.clients import WhipPublisher
from livecart.media.synthetic import PatternTrack
from tests.media.conftest import ShowUnderTest
from tests.media.sdp_corpus import CORPUS, mutations
from tests.media.test_signaling_errors import offer
from tests.support import Api

MUTATIONS = 60
REFUSALS = {400, 413, 415, 422}


async def send(
    http: aiohttp.ClientSession, url: str, body: str | bytes, token: str | None
) -> tuple[int, str, str | None]:
    headers = {"Content-Type": "application/sdp"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with http.post(url, data=body.encode() if isinstance(body, str) else body, headers=headers) as response:
        return response.status, await response.text(), response.headers.get("Location")


async def try_corpus(
    http: aiohttp.ClientSession,
    url: str,
    base: str,
    token: str | None,
    caplog: pytest.LogCaptureFixture,
    next_show: Callable[[], Awaitable[str]] | None = None,
) -> dict[int, int]:
    cases = [(name, mutate(base)) for name, mutate in CORPUS.items()] + list(mutations(base, MUTATIONS))
    statuses: dict[int, int] = {}
    for name, body in cases:
        status, text, location = await send(http, url, body, token)
        statuses[status] = statuses.get(status, 0) + 1
        assert status in REFUSALS or status == 201, f"{name}: {status} {text[:300]}"
        if status == 201:  # aiortc could use it after all: end that session again
            assert location is not None
            async with http.delete(
                str(URL(url).join(URL(location))), headers={"Authorization": f"Bearer {token}"} if token else {}
            ) as deleted:
                assert deleted.status == 200, name
            if next_show is not None:  # ending a WHIP session ends its show: go on with a new one
                url = await next_show()
        else:
            assert '"error"' in text, f"{name}: {text[:300]}"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    print(f"\n{url.rsplit('/', 2)[-2]}: {len(cases)} broken offers tried; statuses {dict(sorted(statuses.items()))}")
    return statuses


async def test_broken_offers_to_whip_get_a_4xx(
    http: aiohttp.ClientSession, show: ShowUnderTest, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    base = await offer("audio", "video", codec="video/H264")
    whip_url = show.whip_url

    async def next_show() -> str:
        nonlocal whip_url
        created = await api.create_show(show.host_token)
        whip_url = show.whip_url.replace(show.id, created["id"])
        return whip_url

    statuses = await try_corpus(http, show.whip_url, base, show.host_token, caplog, next_show)
    assert statuses.get(400, 0) > len(CORPUS) // 2
    status, _, location = await send(http, whip_url, base, show.host_token)  # a good offer still works
    assert status == 201
    assert location is not None


@pytest.fixture
async def live(http: aiohttp.ClientSession, show: ShowUnderTest) -> AsyncIterator[WhipPublisher]:
    publisher = await WhipPublisher.start(
        http, show.whip_url, show.host_token, PatternTrack(), AudioStreamTrack(), video_codec="video/H264"
    )
    yield publisher
    await publisher.stop()


async def test_broken_offers_to_whep_get_a_4xx(
    http: aiohttp.ClientSession, show: ShowUnderTest, live: WhipPublisher, caplog: pytest.LogCaptureFixture
) -> None:
    base = await offer("audio", "video", direction="recvonly", codec="video/H264")
    statuses = await try_corpus(http, show.whep_url, base, None, caplog)
    assert statuses.get(400, 0) > len(CORPUS) // 2
