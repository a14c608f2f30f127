"""The `livecart` command: help on every command, one-line config errors, and a demo that serves its show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

import pytest

from tests.support import free_port


def livecart(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "livecart", *args], capture_output=True, text=True, timeout=30,
        env={**os.environ, **(env or {})}, cwd=cwd,
    )


@pytest.mark.parametrize("command", [[], ["serve"], ["demo"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = livecart(*command, "--help")
    assert result.returncode == 0
    assert "usage: livecart" in result.stdout
    assert "--port" in result.stdout or "serve" in result.stdout


def test_invalid_configuration_stops_with_one_line(tmp_path: Path) -> None:
    result = livecart("serve", env={"PORT": "eighty"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "livecart: configuration error: PORT='eighty': must be a whole number"
    assert "Traceback" not in result.stderr


def test_port_already_in_use_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = livecart("serve", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_serves_its_show_and_prints_the_links(tmp_path: Path) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "LIVECART_STORE"}
    process = subprocess.Popen(
        [sys.executable, "-m", "livecart", "demo", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        health = _wait_for(f"{base}/healthz")
        assert health == {"status": "ok", "version": health["version"], "store": "ok", "fanout": "local"}
        with urllib.request.urlopen(f"{base}/api/shows", timeout=5) as response:
            shows = json.load(response)["shows"]
        assert [show["title"] for show in shows] == ["Friday Glow-Up with Mia"]
        show_id = shows[0]["id"]
        with urllib.request.urlopen(f"{base}/api/shows/{show_id}", timeout=5) as response:
            assert len(json.load(response)["lineup"]) == 3
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"{base}/watch/{show_id}" in output
    assert f"{base}/studio/{show_id}#token=" in output
    assert f"{base}/brand#token=" in output
    assert (tmp_path / "livecart-demo.db").exists()


def _wait_for(url: str) -> dict[str, str]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            body: dict[str, str] = json.load(response)
            return body
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")
