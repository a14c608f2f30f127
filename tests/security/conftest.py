"""One real `livecart serve` process per fuzz module, seeded with a show, and plain synchronous clients
for it (hypothesis drives synchronous tests)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import ServerProcess, start_server, stop_process
from tests.support import ADMIN_TOKEN


@dataclass
class Scene:
    server: ServerProcess
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    tried: int = 0

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        token: str | None = None,
        headers: dict[str, str | bytes] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            sent = {"Content-Type": "application/json", **(headers or {})}
            if token is not None:
                sent["Authorization"] = f"Bearer {token}"
            if body is not None:
                sent["Content-Length"] = str(len(body))
            for name, value in sent.items():
                connection.putheader(name, value)
            connection.endheaders(body)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def call(self, method: str, path: str, status: int, body: Any = None, token: str | None = None) -> Any:
        got, _, data = self.request(method, path, None if body is None else json.dumps(body).encode(), token)
        assert got == status, (method, path, got, data[:300])
        return json.loads(data) if data else None

    def assert_healthy(self) -> None:
        """The process is up, answers, and logged no traceback and no unhandled error."""
        assert self.server.process.poll() is None, "the server process died"
        assert self.request("GET", "/healthz")[0] == 200
        log = self.server.log.read_text(errors="replace")
        assert "Traceback" not in log, log[-4000:]
        assert " ERROR " not in log, log[-4000:]


def seed(scene: Scene) -> None:
    admin = ADMIN_TOKEN
    scene.tokens["admin"] = admin
    for role, name in (("host", "Mia"), ("brand", "Glow"), ("viewer", "Ann"), ("viewer2", "Bob")):
        path = "/api/viewers" if role.startswith("viewer") else f"/api/{role}s"
        account = scene.call("POST", path, 201, {"name": name}, None if role.startswith("viewer") else admin)
        scene.tokens[role], scene.ids[role] = account["token"], account["id"]
    product = scene.call(
        "POST",
        "/api/products",
        201,
        {
            "sku": "LIP-1",
            "title": "Lipstick",
            "price_cents": 1900,
            "currency": "EUR",
            "stock": 100,
            "commission_bps": 1000,
        },
        scene.tokens["brand"],
    )
    show = scene.call("POST", "/api/shows", 201, {"title": "Glow"}, scene.tokens["host"])
    scene.ids["product"], scene.ids["show"] = product["id"], show["id"]
    scene.call("POST", f"/api/shows/{show['id']}/lineup", 201, {"product_id": product["id"]}, scene.tokens["host"])
    scene.call("POST", f"/api/shows/{show['id']}/pins", 201, {"product_id": product["id"]}, scene.tokens["host"])
    cart = f"/api/shows/{show['id']}/cart/items"
    scene.call("POST", cart, 201, {"product_id": product["id"]}, scene.tokens["viewer"])
    checkout = {
        "shipping": {"name": "Ann Lee", "line1": "1 Main St", "city": "Lyon", "postal_code": "69001", "country": "FR"},
        "payment": {"method": "test", "card_number": "4242424242424242"},
    }
    status, _, data = scene.request(
        "POST",
        f"/api/shows/{show['id']}/checkout",
        json.dumps(checkout).encode(),
        scene.tokens["viewer"],
        {"Idempotency-Key": "seed-order-1"},
    )
    assert status == 201, data
    scene.ids["order"] = json.loads(data)["id"]
    campaign = scene.call(
        "POST",
        "/api/campaigns",
        201,
        {
            "title": "Glow week",
            "product_ids": [product["id"]],
            "commission_bps": 1500,
            "open": False,
            "starts_at": "2020-01-01T00:00:00Z",
            "ends_at": "2099-01-01T00:00:00Z",
        },
        scene.tokens["brand"],
    )
    application = scene.call(
        "POST", f"/api/campaigns/{campaign['id']}/applications", 201, {"pitch": "hi"}, scene.tokens["host"]
    )
    cohost = scene.call("POST", "/api/hosts", 201, {"name": "Leo"}, admin)
    invitation = scene.call(
        "POST", f"/api/campaigns/{campaign['id']}/invitations", 201, {"host_id": cohost["id"]}, scene.tokens["brand"]
    )
    scene.call("POST", f"/api/applications/{application['id']}/approve", 200, None, scene.tokens["brand"])
    link = scene.call("POST", f"/api/campaigns/{campaign['id']}/link", 201, None, scene.tokens["host"])
    scene.ids |= {
        "campaign": campaign["id"],
        "application": application["id"],
        "invitation": invitation["id"],
        "code": link["code"],
    }
    review = scene.call(
        "POST",
        f"/api/products/{product['id']}/reviews",
        201,
        {"rating": 4, "text": "Nice", "order_id": scene.ids["order"]},
        scene.tokens["viewer"],
    )
    scene.ids["review"] = review["id"]


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    server = start_server(tmp_path_factory.mktemp("fuzz"), {"LIVECART_CHAT_RATE": "100000/1"})
    try:
        scene = Scene(server)
        seed(scene)
        yield scene
    finally:
        stop_process(server.process)
