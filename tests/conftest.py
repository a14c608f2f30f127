"""Fixtures reused across the suites: a running app on a free port with a temp SQLite file, a real
`livecart serve` process, and a real redis-server started and stopped by the fixture."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
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
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "FLUSHALL"], check=True, capture_output=True, timeout=10
        )


def start_redis(directory: Path, *extra: str, port: int | None = None) -> RedisServer:
    """A redis-server on `port` (default: a free one) keeping its files in `directory`."""
    binary = need_binary("redis-server")
    port = port or free_port()
    directory.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--save", "",
         "--appendonly", "no", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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


def start_server(tmp_path: Path, env: dict[str, str] | None = None, *args: str) -> ServerProcess:
    """`python -m livecart serve` in a subprocess on a free port; returns once /healthz answers."""
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
            [sys.executable, "-m", "livecart", "serve", "--port", str(port), *args],
            env=full_env, stdout=out, stderr=subprocess.STDOUT,
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
