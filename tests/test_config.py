"""Settings come from the environment, flags override, and bad values stop start-up with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from livecart.config import ConfigError, Settings


def test_defaults_without_environment() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.store) == ("127.0.0.1", 8080, "sqlite:///livecart.db")
    assert settings.log_level == "INFO"
    assert settings.base_url == "http://127.0.0.1:8080"


def test_admin_token_is_generated_when_unset_and_kept_when_set() -> None:
    generated = Settings.from_env({})
    assert generated.admin_token_generated
    assert len(generated.admin_token) >= 16
    assert Settings.from_env({}).admin_token != generated.admin_token
    chosen = Settings.from_env({"LIVECART_ADMIN_TOKEN": "a-long-enough-admin-token"})
    assert chosen.admin_token == "a-long-enough-admin-token"
    assert not chosen.admin_token_generated


def test_environment_is_read_and_flags_win() -> None:
    env = {
        "PORT": "9000",
        "LIVECART_HOST": "0.0.0.0",
        "LIVECART_LOG_LEVEL": "debug",
        "LIVECART_STORE": "redis://127.0.0.1:6379/0",
        "LIVECART_CORS_ORIGINS": "https://a.example, https://b.example",
    }
    settings = Settings.from_env(env, port=9100, host=None)
    assert settings.port == 9100
    assert settings.host == "0.0.0.0"
    assert settings.log_level == "DEBUG"
    assert settings.store == "redis://127.0.0.1:6379/0"
    assert settings.cors_origins == ("https://a.example", "https://b.example")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORT": "eighty"}, "PORT='eighty': must be a whole number"),
        ({"PORT": "70000"}, "PORT='70000': must be a port number"),
        ({"LIVECART_STORE": "postgres://db"}, "LIVECART_STORE='postgres://db'"),
        ({"LIVECART_LOG_LEVEL": "LOUD"}, "LIVECART_LOG_LEVEL='LOUD'"),
        ({"LIVECART_ADMIN_TOKEN": "short"}, "LIVECART_ADMIN_TOKEN='short': must be at least 16 characters"),
        ({"LIVECART_MAX_BODY_BYTES": "-1"}, "LIVECART_MAX_BODY_BYTES='-1': must be greater than zero"),
    ],
)
def test_invalid_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert named in str(raised.value)
    assert "\n" not in str(raised.value)


def test_recordings_go_beside_the_sqlite_database_unless_given_elsewhere_or_turned_off() -> None:
    beside = Settings.from_env({"LIVECART_STORE": "sqlite:////srv/livecart/shop.db"})
    assert beside.recordings_dir == Path("/srv/livecart/recordings")
    elsewhere = Settings.from_env({"LIVECART_STORE": "sqlite:///shop.db", "LIVECART_RECORDINGS": "/data/replays"})
    assert elsewhere.recordings_dir == Path("/data/replays")
    with_redis = Settings.from_env({"LIVECART_STORE": "redis://127.0.0.1:6379/0"})
    assert with_redis.recordings_dir == Path("recordings")
    off = Settings.from_env({"LIVECART_RECORDINGS": ""})
    assert off.recordings_dir is None
