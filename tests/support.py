"""Helpers shared by the test suites: free ports, external binaries, a client that speaks our API."""

from __future__ import annotations

import os
import shutil
import socket
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

ADMIN_TOKEN = "test-admin-token-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def need_binary(name: str, *candidates: str) -> str:
    """Path of an external program the test needs. In CI (CI set) a missing one fails the test, never skips."""
    for candidate in (name, *candidates):
        path = shutil.which(candidate)
        if path:
            return path
    message = f"{name} is not installed (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)  # outside CI only; CI turns this into a failure above


class Api:
    """Calls the HTTP API as a client would, with a bearer token per call."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client

    @staticmethod
    def _headers(token: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        merged = dict(headers or {})
        if token is not None:
            merged["Authorization"] = f"Bearer {token}"
        return merged

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> ClientResponse:
        return await self.client.request(method, path, json=json, data=data, headers=self._headers(token, headers))

    async def call(
        self, method: str, path: str, status: int, *, token: str | None = None, json: Any = None, **kw: Any
    ) -> Any:
        """Make a request, assert its status, and return the JSON body (None for 204)."""
        response = await self.request(method, path, token=token, json=json, **kw)
        text = await response.text()
        assert response.status == status, f"{method} {path}: {response.status} {text}"
        return None if response.status == 204 else await response.json()

    async def create_account(self, role: str, name: str) -> dict[str, Any]:
        token = None if role == "viewer" else ADMIN_TOKEN
        account: dict[str, Any] = await self.call("POST", f"/api/{role}s", 201, token=token, json={"name": name})
        return account

    async def create_product(self, brand_token: str, **fields: Any) -> dict[str, Any]:
        body = {
            "sku": "SKU-1",
            "title": "Lipstick",
            "price_cents": 1900,
            "currency": "EUR",
            "stock": 10,
            "commission_bps": 1000,
            **fields,
        }
        product: dict[str, Any] = await self.call("POST", "/api/products", 201, token=brand_token, json=body)
        return product

    async def create_show(self, host_token: str, title: str = "Friday Glow-Up") -> dict[str, Any]:
        show: dict[str, Any] = await self.call("POST", "/api/shows", 201, token=host_token, json={"title": title})
        return show


def skip_unless_ci(message: str) -> None:
    """Skip locally for a missing dependency; under CI (CI set) fail instead: CI never passes by skipping."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
