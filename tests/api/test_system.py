"""Health, metrics, and errors for paths and methods that do not exist."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.api.commerce_scene import make_scene, new_key
from tests.live.clients import LiveClient
from tests.support import Api


async def test_healthz(api: Api) -> None:
    body = await api.call("GET", "/healthz", 200)
    assert (body["status"], body["store"], body["fanout"]) == ("ok", "ok", "local")


async def test_metrics_count_requests_by_route(api: Api) -> None:
    await api.call("GET", "/api/shows", 200)
    await api.call("GET", "/api/shows/shw_x", 404)
    response = await api.request("GET", "/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = await response.text()
    assert 'livecart_http_requests_total{method="GET",route="/api/shows",status="200"} 1.0' in text
    assert 'livecart_http_requests_total{method="GET",route="/api/shows/{show_id}",status="404"} 1.0' in text
    assert "livecart_http_request_duration_seconds_bucket" in text


async def test_unknown_path_and_wrong_method_use_the_error_body(api: Api) -> None:
    missing = await api.call("GET", "/api/nothing-here", 404)
    assert missing["error"]["code"] == "not_found"
    response = await api.request("PUT", "/api/shows")
    assert response.status == 405
    assert "GET" in response.headers["Allow"]
    assert (await response.json())["error"]["code"] == "method_not_allowed"


def metric(text: str, name: str) -> float:
    """The value of an unlabelled sample in Prometheus text."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in /metrics")


async def test_metrics_count_checkouts_and_live_members(api: Api, client: TestClient[Any, Any]) -> None:
    scene = await make_scene(api, {"stock": 5})
    product = scene.products[0]
    await scene.pin(product)
    buyer = await scene.viewer()
    await scene.add(buyer, product)
    key = new_key()
    await scene.checkout(buyer, key=key)
    await scene.checkout(buyer, key=key)  # a replay
    watcher = await LiveClient(str(client.make_url("/"))).connect()
    await watcher.join(scene.show_id)

    text = await (await api.request("GET", "/metrics")).text()
    assert 'livecart_checkouts_total{replayed="false",status="201"} 1.0' in text
    assert 'livecart_checkouts_total{replayed="true",status="201"} 1.0' in text
    assert metric(text, "livecart_live_members") == 1
    assert metric(text, "livecart_live_rooms") == 1
    await watcher.close()
