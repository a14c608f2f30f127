"""What the browser tests share: Chromium flags, a page that records console errors and checks every API
reply and live-room event it receives against protocol.js, screenshots."""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgpack
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Frame,
    Page,
    Response,
    ViewportSize,
    WebSocket,
)

from tests.protocol_types import TYPES, problems, reply_type

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE: ViewportSize = {"width": 375, "height": 812}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}

SOCKET_IO_EVENT, SOCKET_IO_ACK = 2, 3

# The watch page's <video> shows decoded frames and its clock runs.
PLAYING = "(() => { const v = document.querySelector('#video'); return v.videoWidth > 0 && v.currentTime > 0.5; })()"

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


@dataclass
class Pages:
    """Pages opened by one test. Every console error and uncaught page error is recorded; a test may
    declare the HTTP error statuses it provokes on purpose (Chromium logs each failed request)."""

    browser: Browser
    base_url: str
    errors: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)
    expected_patterns: list[re.Pattern[str]] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)
    closing: bool = False
    # Payloads that do not have their protocol.js shape (API replies, join acks, room events).
    shape_errors: list[str] = field(default_factory=list)
    checked: int = 0
    reading: set[asyncio.Task[None]] = field(default_factory=set)

    async def open(
        self, path: str, *, viewport: ViewportSize | None = None, who: str = "page", locale: str = "en-US"
    ) -> Page:
        context = await self.browser.new_context(viewport=viewport or DESKTOP, locale=locale)
        self.contexts.append(context)
        page = await context.new_page()
        page.on("console", lambda message: self._console(who, message))
        page.on("pageerror", lambda error: self.errors.append(f"{who}: uncaught {error}"))
        page.on("response", lambda response: self._read_reply(who, response))
        page.on("websocket", lambda socket: self._watch_socket(who, socket))
        await page.goto(path if path.startswith(("http://", "https://")) else self.base_url + path)
        return page

    def expect_http_error(self, *statuses: int) -> None:
        self.expected_statuses.update(statuses)

    def expect_console_error(self, pattern: str) -> None:
        """Console errors matching `pattern` are provoked on purpose (e.g. the network taken away)."""
        self.expected_patterns.append(re.compile(pattern))

    def _console(self, who: str, message: ConsoleMessage) -> None:
        if message.type != "error" or self.closing:
            return
        status = re.search(r"status of (\d{3})", message.text)
        if status and int(status.group(1)) in self.expected_statuses:
            return
        if any(pattern.search(message.text) for pattern in self.expected_patterns):
            return
        self.errors.append(f"{who}: {message.text} ({message.location.get('url', '')})")

    def _read_reply(self, who: str, response: Response) -> None:
        path = urlsplit(response.url).path
        if not path.startswith("/api/") or "json" not in response.headers.get("content-type", ""):
            return
        type_ = reply_type(response.request.method, path, response.status)
        if type_ is not None:
            task = asyncio.ensure_future(self._check_reply(who, response, type_))
            self.reading.add(task)
            task.add_done_callback(self.reading.discard)

    async def _check_reply(self, who: str, response: Response, type_: str) -> None:
        try:
            body = await response.json()
        except Error:  # the page went away before its body was read
            return
        self._check(f"{who}: {response.request.method} {urlsplit(response.url).path}", body, type_)

    def _watch_socket(self, who: str, socket: WebSocket) -> None:
        """Decode the Socket.IO packets (msgpack, binary frames): room events and the join's ack."""
        joins: set[int] = set()

        def packet(payload: str | bytes) -> dict[str, Any] | None:
            if isinstance(payload, str):
                return None  # Engine.IO's own text frames (ping, pong)
            decoded = msgpack.unpackb(payload, raw=False)
            return decoded if isinstance(decoded, dict) else None

        def sent(payload: str | bytes) -> None:
            out = packet(payload)
            if out and out.get("type") == SOCKET_IO_EVENT and out["data"][0] == "join" and "id" in out:
                joins.add(out["id"])

        def received(payload: str | bytes) -> None:
            got = packet(payload)
            if got is None:
                return
            if got.get("type") == SOCKET_IO_EVENT:
                name, *args = got["data"]
                if name not in TYPES["RoomEvents"]:
                    self.shape_errors.append(f"{who}: room event {name!r} is not in protocol.js RoomEvents")
                else:
                    self._check(f"{who}: room event {name}", args[0], TYPES["RoomEvents"][name].type)
            elif got.get("type") == SOCKET_IO_ACK and got.get("id") in joins and got["data"][0].get("ok"):
                self._check(f"{who}: join ack", got["data"][0], "JoinAck")

        socket.on("framesent", sent)
        socket.on("framereceived", received)

    def _check(self, where: str, value: Any, type_: str) -> None:
        self.checked += 1
        self.shape_errors.extend(f"{where}: {problem}" for problem in problems(value, type_, type_))

    def assert_payloads_match_protocol(self) -> None:
        assert not self.shape_errors, "payloads unlike protocol.js:\n" + "\n".join(self.shape_errors)

    def assert_no_console_errors(self) -> None:
        assert not self.errors, "console errors:\n" + "\n".join(self.errors)

    async def close(self) -> None:
        """Close every page; what the pages log while being torn down is not recorded."""
        if self.reading:
            await asyncio.wait(set(self.reading), timeout=5)
        self.closing = True
        for context in self.contexts:
            with contextlib.suppress(Error):
                await context.close()


async def screenshots(page: Page, name: str) -> list[Path]:
    """Screenshot the page at phone and desktop width (the page's own size is restored after)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    written = []
    for label, size in (("375", PHONE), ("1280", DESKTOP)):
        await page.set_viewport_size(size)
        await page.wait_for_timeout(150)
        path = SCREENSHOTS / f"{name}-{label}.png"
        await page.screenshot(path=str(path), full_page=True)
        written.append(path)
    if original:
        await page.set_viewport_size(original)
    return written


async def wait_until(page: Page | Frame, expression: str, timeout_s: float = 15.0) -> None:
    """Poll a JS expression until it is truthy. (page.wait_for_function evaluates through eval(), which
    the pages' CSP forbids; page.evaluate runs through DevTools and is not subject to it.)"""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await page.evaluate(expression):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still false after {timeout_s} s: {expression}")
        await asyncio.sleep(0.1)
