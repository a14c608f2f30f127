"""`livecart serve --workers N`: N processes on one port, each also on a direct port of its own."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import ClientSession
from redis.asyncio import Redis

from livecart.cluster.registry import NodeInfo, NodeRegistry
from livecart.cluster.workers import EARLY_EXIT_S
from tests.cluster.nodes import cluster_env
from tests.conftest import ServerProcess
from tests.live.clients import LiveClient
from tests.support import ADMIN_TOKEN, free_port

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def two_free_ports() -> int:
    """A port whose next port is free too."""
    while True:
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


@pytest.fixture
async def registry(redis_url: str) -> AsyncIterator[NodeRegistry]:
    redis = Redis.from_url(redis_url, decode_responses=True)
    yield NodeRegistry(redis, "nod_observer", "http://observer", ttl_s=1, pid=0, started_at="")
    await redis.aclose()


async def nodes(registry: NodeRegistry, count: int, within_s: float = 10.0) -> list[NodeInfo]:
    deadline = time.monotonic() + within_s
    while len(found := await registry.live_nodes()) != count:
        assert time.monotonic() < deadline, f"{len(found)} nodes registered, expected {count}"
        await asyncio.sleep(0.1)
    return found


def test_several_workers_without_redis_fanout_are_refused_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "livecart", "serve", "--workers", "3", "--port", str(free_port())],
        env={**os.environ, "LIVECART_STORE": f"sqlite:///{tmp_path / 'x.db'}", "LIVECART_FANOUT_URL": "local"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "livecart: configuration error: LIVECART_WORKERS=3: more than one worker needs Redis fan-out"
    )


async def test_workers_share_the_port_each_is_reached_directly_and_a_dead_one_is_restarted(
    redis_url: str, registry: NodeRegistry, server_process: Callable[..., ServerProcess], session: ClientSession
) -> None:
    first_direct = two_free_ports()
    supervisor = server_process(cluster_env(redis_url, LIVECART_WORKER_PORTS=str(first_direct)), "--workers", "2")
    started = time.monotonic()
    workers = await nodes(registry, 2)
    direct_urls = sorted(node.url for node in workers)
    assert direct_urls == [f"http://127.0.0.1:{first_direct}", f"http://127.0.0.1:{first_direct + 1}"]
    for url in direct_urls:  # one admin token for all: the supervisor's
        async with session.get(f"{url}/api/me", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as response:
            assert response.status == 200

    async with session.post(
        f"{supervisor.url}/api/hosts", json={"name": "Mia"}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as response:
        host = await response.json()
    async with session.post(
        f"{supervisor.url}/api/shows", json={"title": "Workers"}, headers={"Authorization": f"Bearer {host['token']}"}
    ) as response:
        show = await response.json()
    async with session.post(f"{supervisor.url}/api/viewers", json={"name": "Ann"}) as response:
        ann = await response.json()
    talker, listener = await LiveClient(direct_urls[0]).connect(), await LiveClient(direct_urls[1]).connect()
    await talker.join(show["id"], ann["token"])
    await listener.join(show["id"])
    assert (await talker.call("chat", {"text": "across workers"}))["ok"]
    await listener.wait_for(lambda: "across workers" in listener.chat_texts())
    await talker.close()
    await listener.close()

    await asyncio.sleep(max(0.0, EARLY_EXIT_S - (time.monotonic() - started)))
    victim = next(node for node in workers if node.url == direct_urls[0])
    assert victim.pid not in (0, supervisor.process.pid)
    os.kill(victim.pid, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while True:  # the supervisor starts a new worker on the same direct port
        with_new = [node for node in await registry.live_nodes() if node.id != victim.id]
        if any(node.url == direct_urls[0] for node in with_new):
            break
        assert time.monotonic() < deadline, "the dead worker was not restarted"
        await asyncio.sleep(0.1)

    supervisor.process.send_signal(signal.SIGTERM)
    assert supervisor.process.wait(timeout=20) == 0
    await nodes(registry, 0, within_s=2)  # stopped workers deregister; they do not wait to expire


def running(pid: int) -> bool:
    """Alive and not a zombie (a dead worker whose new parent has not reaped it yet)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


async def test_workers_stop_when_their_supervisor_is_killed_outright(
    redis_url: str, registry: NodeRegistry, server_process: Callable[..., ServerProcess]
) -> None:
    supervisor = server_process(cluster_env(redis_url, LIVECART_WORKER_PORTS=str(two_free_ports())), "--workers", "2")
    workers = await nodes(registry, 2)
    supervisor.process.kill()  # SIGKILL: the supervisor cannot forward anything
    supervisor.process.wait(timeout=10)
    await nodes(registry, 0, within_s=10)  # each worker got SIGTERM from the kernel and stopped cleanly
    deadline = time.monotonic() + 5
    while any(running(node.pid) for node in workers):
        assert time.monotonic() < deadline, "a worker outlived its supervisor"
        await asyncio.sleep(0.1)
