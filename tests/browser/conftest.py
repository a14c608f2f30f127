"""Browser fixtures: Debian's Chromium driven by Playwright (never `playwright install`), with the fake
camera flags from WEBRTC-NOTES.md, pages that fail the test on any console or page error, and
screenshots at phone and desktop width written to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, async_playwright

from livecart import keys
from livecart.demo import DemoSeed, seed_demo
from livecart.web import SOCKET_IO_BUNDLE
from tests.browser.harness import CHROMIUM_FLAGS, Pages
from tests.support import need_binary

REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = need_binary("chromium", "chromium-browser")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        await browser.close()


@pytest.fixture
def base_url(client: TestClient[Any, Any]) -> str:
    if not SOCKET_IO_BUNDLE.is_file():
        pytest.fail(f"{SOCKET_IO_BUNDLE} is missing: run `npm ci` (make setup)")
    return str(client.make_url("")).rstrip("/")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test item, so fixtures can see whether the test body passed."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture
async def pages(browser: Browser, base_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Pages]:
    """Open pages (each in its own browser context); every console error, and every API reply or room
    event unlike its protocol.js type, fails the test. When the body already failed, they are only
    printed (the failure is reported once)."""
    opened = Pages(browser, base_url)
    yield opened
    await opened.close()
    call = request.node.stash.get(REPORTS, {}).get("call")
    if call is not None and call.failed:
        print("console errors:", *opened.errors, sep="\n  ")
        print("payloads unlike protocol.js:", *opened.shape_errors, sep="\n  ")
    else:
        opened.assert_no_console_errors()
        opened.assert_payloads_match_protocol()


@pytest.fixture
async def demo(client: TestClient[Any, Any]) -> DemoSeed:
    """The demo show (a brand with 3 products, a host, a scheduled show featuring them)."""
    return await seed_demo(client.app[keys.SERVICES].store, client.app[keys.SERVICES].clock)
