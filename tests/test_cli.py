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
        [sys.executable, "-m", "livecart", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **(env or {})},
        cwd=cwd,
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
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
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


STORE_FORMS = "must be sqlite:///PATH, redis://HOST:PORT/DB or redis+sentinel://HOST:PORT,HOST:PORT/MASTER/DB"


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (["serve", "--store", "nonsense"], {}, f"--store 'nonsense': {STORE_FORMS}"),
        (["serve", "--port", "99999"], {}, "--port '99999': must be a port number from 1 to 65535"),
        (["demo", "--port", "abc"], {}, "--port 'abc': must be a whole number"),
        (["serve", "--workers", "0"], {}, "--workers '0': must be greater than zero"),
        (["serve"], {"LIVECART_STORE": "nonsense"}, f"LIVECART_STORE='nonsense': {STORE_FORMS}"),
        (["serve", "--colour"], {}, "unrecognized arguments: --colour (see livecart --help)"),
    ],
)
def test_every_configuration_error_is_one_line_naming_the_setting(
    tmp_path: Path, args: list[str], env: dict[str, str], line: str
) -> None:
    result = livecart(*args, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"livecart: configuration error: {line}\n"
    assert result.stdout == ""


def test_an_unreachable_store_at_start_is_one_line(tmp_path: Path) -> None:
    port = free_port()
    env = {"LIVECART_STORE": f"redis://:s3cret@127.0.0.1:{free_port()}/0", "LIVECART_ADMIN_TOKEN": "x" * 20}
    result = livecart("serve", "--port", str(port), env=env, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("livecart: cannot reach the store redis://:***@127.0.0.1:")
    assert "s3cret" not in result.stderr + result.stdout


def test_the_demo_checks_its_port_before_printing_links(tmp_path: Path) -> None:
    import socket

    (tmp_path / "livecart-demo.db").write_bytes(b"yesterday's demo")
    env = {key: value for key, value in os.environ.items() if key != "LIVECART_STORE"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "livecart", "demo", "--port", str(port)],
            capture_output=True, text=True, timeout=30, env=env, cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == f"livecart: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert "/watch/" not in result.stdout
    assert (tmp_path / "livecart-demo.db").read_bytes() == b"yesterday's demo"  # not wiped for nothing


def test_demo_help_names_the_demo_database() -> None:
    result = livecart("demo", "--help")
    assert "livecart-demo.db" in result.stdout
    assert "sqlite:///livecart.db" not in result.stdout


def test_library_info_logs_are_quiet_unless_debug() -> None:
    import logging

    from livecart.cli import LIBRARY_LOGGERS, set_up_logging

    names = ("aioice", "aiortc", "engineio", "socketio", "livecart", "")
    saved = {name: logging.getLogger(name).level for name in (*LIBRARY_LOGGERS, "livecart", "")}
    try:
        set_up_logging("INFO")
        levels = {name: logging.getLogger(name).getEffectiveLevel() for name in names}
        assert levels == {"aioice": logging.WARNING, "aiortc": logging.WARNING, "engineio": logging.WARNING,
                          "socketio": logging.WARNING, "livecart": logging.INFO, "": logging.INFO}  # fmt: skip
        set_up_logging("DEBUG")
        assert {logging.getLogger(name).getEffectiveLevel() for name in names} == {logging.DEBUG}
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
