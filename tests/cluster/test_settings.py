"""How a process names itself in the cluster, and the one-line refusals of `serve --workers`."""

from __future__ import annotations

import pytest

from livecart.cli import main
from livecart.config import ConfigError, Settings


def test_the_node_url_is_the_template_with_the_process_own_port() -> None:
    env = {"LIVECART_NODE_URL": "https://node-1.shop.example:{port}/", "PORT": "8080"}
    assert Settings.from_env(env).node_base_url == "https://node-1.shop.example:8080"
    worker = Settings.from_env({**env, "LIVECART_DIRECT_PORT": "8082"})
    assert worker.node_base_url == "https://node-1.shop.example:8082"


def test_the_default_node_url_is_the_listening_address_never_the_public_one() -> None:
    settings = Settings.from_env({"LIVECART_PUBLIC_URL": "https://shop.example", "PORT": "9000"})
    assert settings.node_base_url == "http://127.0.0.1:9000"
    assert settings.first_worker_port == 9001


@pytest.mark.parametrize(("value", "edge"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_edge_mode_is_a_flag_off_by_default(value: str, edge: bool) -> None:
    assert Settings.from_env({}).edge is False
    assert Settings.from_env({"LIVECART_EDGE": value}).edge is edge


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LIVECART_NODE_URL": "node-1:8080"}, "LIVECART_NODE_URL='node-1:8080': must be an http:// or https:// URL"),
        ({"LIVECART_NODE_TTL_S": "0"}, "LIVECART_NODE_TTL_S='0': must be greater than zero"),
        ({"LIVECART_WORKERS": "many"}, "LIVECART_WORKERS='many': must be a whole number"),
        ({"LIVECART_WORKER_PORTS": "70000"}, "LIVECART_WORKER_PORTS='70000': must be a port number"),
        ({"LIVECART_EDGE": "maybe"}, "LIVECART_EDGE='maybe': must be 1 or 0"),
    ],
)
def test_bad_cluster_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workers", "0"], "livecart: configuration error: --workers '0': must be greater than zero\n"),
        (["--workers", "2", "--store", "sqlite:///x.db"], "livecart: configuration error: LIVECART_WORKERS=2: "),
        (
            ["--workers", "3", "--store", "redis://127.0.0.1:1/0", "--port", "65533"],
            "livecart: configuration error: LIVECART_WORKER_PORTS=65534: 3 ports from it run past 65535\n",
        ),
    ],
)
def test_serve_refuses_workers_it_cannot_run_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIVECART_FANOUT_URL", raising=False)
    monkeypatch.delenv("LIVECART_STORE", raising=False)
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1
