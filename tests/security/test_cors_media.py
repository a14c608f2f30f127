"""CORS on WHIP and WHEP: a page of a configured origin may publish and watch from another site
(RFC 9725 headers readable), any other origin is refused before the handler runs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from aiortc import RTCPeerConnection

from livecart.config import Settings
from livecart.media.clients import WhipPublisher
from livecart.media.sdp import SDP_CONTENT_TYPE
from livecart.media.synthetic import PatternTrack
from tests.cluster.nodes import NodeApi, cluster_env
from tests.conftest import ServerProcess
from tests.support import ADMIN_TOKEN, Api

ALLOWED = "https://studio.example.com"
FOREIGN = "https://evil.example.net"
RFC_9725_HEADERS = {"location", "link", "etag", "retry-after"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store=f"sqlite:///{tmp_path / 'livecart.db'}", admin_token=ADMIN_TOKEN, cors_origins=(ALLOWED,))


def listed(header: str) -> set[str]:
    return {item.strip().lower() for item in header.split(",")}


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/whip/shw_x", "POST"),
        ("/whip/shw_x/ses_y", "DELETE"),
        ("/whep/shw_x", "POST"),
        ("/whep/shw_x/ses_y", "DELETE"),
    ],
)
async def test_a_configured_origin_gets_a_preflight_for_whip_and_whep(
    client: TestClient[Any, Any], path: str, method: str
) -> None:
    preflight = await client.options(
        path,
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert method.lower() in listed(preflight.headers["Access-Control-Allow-Methods"])
    assert {"authorization", "content-type"} <= listed(preflight.headers["Access-Control-Allow-Headers"])
    assert listed(preflight.headers["Access-Control-Expose-Headers"]) >= RFC_9725_HEADERS
    assert "Origin" in preflight.headers["Vary"]


@pytest.mark.parametrize("path", ["/whip/shw_x", "/whep/shw_x"])
async def test_another_origin_is_refused_on_whip_and_whep(client: TestClient[Any, Any], path: str) -> None:
    preflight = await client.options(path, headers={"Origin": FOREIGN, "Access-Control-Request-Method": "POST"})
    offer = await client.post(path, data="v=0\r\n", headers={"Origin": FOREIGN, "Content-Type": SDP_CONTENT_TYPE})
    for refused in (preflight, offer):
        assert refused.status == 403
        assert (await refused.json())["error"]["code"] == "origin_not_allowed"
        assert "Access-Control-Allow-Origin" not in refused.headers


async def test_a_page_of_a_configured_origin_publishes_and_reads_the_session_url(
    client: TestClient[Any, Any], api: Api
) -> None:
    host = await api.create_account("host", "Mia Live")
    show = await api.create_show(host["token"])
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver(PatternTrack(160, 120), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        cross_site = {"Origin": ALLOWED, "Authorization": f"Bearer {host['token']}"}
        async with aiohttp.ClientSession(str(client.make_url(""))) as page:
            async with page.post(
                f"/whip/{show['id']}",
                data=pc.localDescription.sdp,
                headers={**cross_site, "Content-Type": SDP_CONTENT_TYPE},
            ) as created:
                assert created.status == 201, await created.text()
                assert created.headers["Access-Control-Allow-Origin"] == ALLOWED
                assert listed(created.headers["Access-Control-Expose-Headers"]) >= RFC_9725_HEADERS
                location = created.headers["Location"]
            # an error answer is readable too (the page can show why)
            async with page.post(
                f"/whip/{show['id']}", data="v=0", headers={**cross_site, "Content-Type": "text/plain"}
            ) as wrong_type:
                assert wrong_type.status == 415
                assert wrong_type.headers["Access-Control-Allow-Origin"] == ALLOWED
            async with page.delete(location, headers=cross_site) as ended:
                assert ended.status == 200
                assert ended.headers["Access-Control-Allow-Origin"] == ALLOWED
    finally:
        await pc.close()


@pytest.mark.redis
@pytest.mark.slow
async def test_the_redirect_to_a_shows_origin_node_carries_the_cors_headers(
    redis_url: str, server_process: Callable[..., ServerProcess]
) -> None:
    origin_node, other_node = (server_process(cluster_env(redis_url, LIVECART_CORS_ORIGINS=ALLOWED)) for _ in range(2))
    async with aiohttp.ClientSession() as session:
        other = NodeApi(session, other_node)
        host = await other.create_account("host", "Mia")
        show = await other.create_show(host["token"])
        publisher = await WhipPublisher.start(
            session, f"{origin_node.url}/whip/{show['id']}", host["token"], PatternTrack(160, 120)
        )
        try:
            offer = publisher.pc.localDescription.sdp.replace("a=sendonly", "a=recvonly")
            deadline = time.monotonic() + 5
            while True:  # until the other node sees the origin in the registry
                async with session.post(
                    f"{other_node.url}/whep/{show['id']}",
                    data=offer,
                    allow_redirects=False,
                    headers={"Content-Type": SDP_CONTENT_TYPE, "Origin": ALLOWED},
                ) as response:
                    if response.status == 307 or time.monotonic() > deadline:
                        break
                await asyncio.sleep(0.1)
            assert response.status == 307
            assert response.headers["Location"] == f"{origin_node.url}/whep/{show['id']}"
            assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
            assert listed(response.headers["Access-Control-Expose-Headers"]) >= RFC_9725_HEADERS
        finally:
            await publisher.stop(delete=False)


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/whip/shw_x", "OPTIONS", 204),
        ("/whep/shw_x", "OPTIONS", 204),
        ("/whip/shw_x/ses_y", "PATCH", 405),
        ("/whep/shw_x/ses_y", "PATCH", 405),
    ],
)
async def test_options_and_patch_pass_the_preflight_and_reach_their_answer(
    client: TestClient[Any, Any], path: str, method: str, status: int
) -> None:
    """RFC 9725: a client that probes with OPTIONS (Eyevinn's default) or trickles with PATCH (medooze)
    gets the endpoint's answer, not a CORS failure."""
    preflight = await client.options(
        path,
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status == 204
    assert method.lower() in listed(preflight.headers["Access-Control-Allow-Methods"])
    headers = {"Origin": ALLOWED, "Content-Type": "application/trickle-ice-sdpfrag"}
    answer = await client.request(method, path, headers=headers)
    assert answer.status == status
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED
    if status == 405:
        assert answer.headers["Allow"] == "DELETE"
        assert (await answer.json())["error"]["code"] == "method_not_allowed"
    else:
        assert "post" in listed(answer.headers["Allow"])
        assert answer.headers["Accept-Post"] == SDP_CONTENT_TYPE
