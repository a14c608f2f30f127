"""Webhook tests run on both stores, with deliveries to 127.0.0.1 allowed and a ManualClock for retries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from livecart.app import create_app
from livecart.clock import ManualClock
from livecart.config import Settings
from tests.support import ADMIN_TOKEN
from tests.webhooks.receiver import Receiver

FIRST_RETRY_S = 10.0


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'livecart.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def settings(store_url: str, tmp_path: Path) -> Settings:
    return Settings(
        store=store_url,
        admin_token=ADMIN_TOKEN,
        webhook_allow_private=True,
        webhook_retry_s=FIRST_RETRY_S,
        webhook_timeout_s=2.0,
        recordings=str(tmp_path / "recordings"),
    )


@pytest.fixture
def clock() -> ManualClock:
    """Starts at the real time, so the receiver's five-minute timestamp check holds; moved by the tests."""
    return ManualClock(datetime.now(UTC))


@pytest.fixture
def app(settings: Settings, clock: ManualClock) -> web.Application:
    return create_app(settings, clock=clock)


@pytest.fixture
async def receiver(aiohttp_server: Callable[..., Any]) -> tuple[Receiver, str]:
    """A brand's receiver on 127.0.0.1 and its URL."""
    brand_receiver = Receiver()
    server: TestServer = await aiohttp_server(brand_receiver.app())
    return brand_receiver, str(server.make_url("/hooks"))
