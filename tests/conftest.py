"""Fixtures reused across the suites: a running app on a free port with a temp SQLite file, a real
`livecart serve` process, and a real redis-server started and stopped by the fixture. Tests marked
`redis` or `browser` skip, with a reason naming the program, where it is not installed (fail under CI),
and the skipped tests are listed by name at the end of the run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from livecart.app import create_app
from livecart.config import Settings
from tests.support import ADMIN_TOKEN, Api, free_port, need_binary

AiohttpClient = Callable[..., Any]

# A test with one of these markers needs the program (any of the names on PATH): without it the test
# skips before its fixtures start anything, or fails under CI (see need_binary).
MARKED_PROGRAMS = {"redis": ("redis-server",), "browser": ("chromium", "chromium-browser")}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, names in MARKED_PROGRAMS.items():
        if item.get_closest_marker(marker) is not None:
            need_binary(*names)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under CI nothing may pass by skipping: a skipped test fails the run (.ci/run installs every program)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if os.environ.get("CI") and skipped and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name every skipped test under its reason (-ra groups them by the line that skipped)."""
    by_reason: dict[str, list[str]] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        by_reason.setdefault(reason.removeprefix("Skipped: "), []).append(report.nodeid)
    if not by_reason:
        return
    total = sum(len(nodeids) for nodeids in by_reason.values())
    terminalreporter.section(f"skipped tests ({total}), by reason", sep="=")
    if os.environ.get("CI"):
        terminalreporter.write_line("CI is set: a skipped test fails the run (.ci/run installs every program).")
    for reason, nodeids in sorted(by_reason.items()):
        terminalreporter.write_line(f"{reason} ({len(nodeids)}):")
        for nodeid in nodeids:
            terminalreporter.write_line(f"  {nodeid}")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store=f"sqlite:///{tmp_path / 'livecart.db'}", admin_token=ADMIN_TOKEN)


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return create_app(settings)


@pytest.fixture
async def client(app: web.Application, aiohttp_client: AiohttpClient) -> TestClient[Any, Any]:
    """The app served on a real socket on 127.0.0.1, with a client for it."""
    test_client: TestClient[Any, Any] = await aiohttp_client(app)
    return test_client


@pytest.fixture
def api(client: TestClient[Any, Any]) -> Api:
    return Api(client)


@dataclass
class RedisServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    directory: Path

    def flush(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "FLUSHALL"], check=True, capture_output=True, timeout=10)


def start_redis(directory: Path, *extra: str, port: int | None = None) -> RedisServer:
    """A redis-server on `port` (default: a free one) keeping its files in `directory`."""
    binary = need_binary("redis-server")
    port = port or free_port()
    directory.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            "--save",
            "",
            "--appendonly",
            "no",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe = subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True, timeout=5)
        if probe.stdout.strip() == b"PONG":
            return RedisServer(url=f"redis://127.0.0.1:{port}/0", port=port, process=process, directory=directory)
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free port for the whole session."""
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    stop_process(server.process)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's redis-server, emptied for this test."""
    redis_server.flush()
    return redis_server.url


@dataclass
class ServerProcess:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def start_server(
    tmp_path: Path,
    env: dict[str, str] | None = None,
    *args: str,
    command: Sequence[str] | None = None,
    cwd: Path | None = None,
) -> ServerProcess:
    """`python -m livecart serve` (or `command` + `serve`, run in `cwd`) in a subprocess on a free port;
    returns once /healthz answers."""
    port = free_port()
    log = tmp_path / f"server-{port}.log"
    full_env = {
        **os.environ,
        "LIVECART_ADMIN_TOKEN": ADMIN_TOKEN,
        "LIVECART_STORE": f"sqlite:///{tmp_path / 'livecart.db'}",
        "LIVECART_RECORDINGS": str(tmp_path / "recordings"),  # with a Redis store: not the working directory
        **(env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*(command or [sys.executable, "-m", "livecart"]), "serve", "--port", str(port), *args],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"livecart exited with {process.returncode}:\n{log.read_text()}")
        with suppress(OSError), urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            if response.status == 200:
                return ServerProcess(url=url, port=port, process=process, log=log)
        time.sleep(0.1)
    stop_process(process)
    raise RuntimeError(f"livecart did not answer /healthz:\n{log.read_text()}")


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Factory: start real `livecart serve` processes; all are stopped after the test."""
    started: list[ServerProcess] = []

    def start(env: dict[str, str] | None = None, *args: str) -> ServerProcess:
        server = start_server(tmp_path, env, *args)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            stop_process(server.process)
