"""The client address: X-Forwarded-For is believed only from trusted proxies, read from the right."""

from __future__ import annotations

import pytest

from livecart.config import ConfigError, Settings
from livecart.domain.client_ip import client_ip, parse_networks

PROXIES = parse_networks("10.0.0.0/8, 192.0.2.1, 2001:db8:ffff::/48")


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        # an untrusted peer is the client, whatever it claims
        ("198.51.100.9", ["203.0.113.5"], "198.51.100.9"),
        ("198.51.100.9", [], "198.51.100.9"),
        # through one trusted proxy: the address the proxy appended
        ("10.1.2.3", ["203.0.113.5"], "203.0.113.5"),
        # a client's own spoofed entries sit left of what our proxy appended: the right-most untrusted wins
        ("10.1.2.3", ["1.1.1.1, 8.8.8.8, 203.0.113.5"], "203.0.113.5"),
        # a chain of trusted proxies is skipped, over several header lines too
        ("10.1.2.3", ["203.0.113.5, 10.9.9.9", "192.0.2.1"], "203.0.113.5"),
        # malformed entries are skipped
        ("10.1.2.3", ["203.0.113.5, unknown, 198.51.100.1:443, , ::zz"], "203.0.113.5"),
        # every entry a trusted proxy: the left-most; no usable entry: the peer
        ("10.1.2.3", ["10.0.0.7, 10.0.0.8"], "10.0.0.7"),
        ("10.1.2.3", ["garbage"], "10.1.2.3"),
        ("10.1.2.3", [], "10.1.2.3"),
        # IPv6, and IPv4 seen through a dual-stack socket
        ("2001:db8:ffff::2", ["2001:db8:1::1"], "2001:db8:1::1"),
        ("::ffff:10.1.2.3", ["203.0.113.5"], "203.0.113.5"),
        ("::ffff:198.51.100.9", ["203.0.113.5"], "198.51.100.9"),
        # no IP peer (a Unix socket)
        (None, ["203.0.113.5"], None),
        ("", ["203.0.113.5"], None),
    ],
)
def test_client_ip(peer: str | None, forwarded_for: list[str], expected: str | None) -> None:
    assert client_ip(peer, forwarded_for, PROXIES) == expected


def test_without_trusted_proxies_forwarded_for_is_never_believed() -> None:
    assert client_ip("127.0.0.1", ["203.0.113.5"], ()) == "127.0.0.1"


def test_the_setting_takes_addresses_and_networks_and_refuses_anything_else() -> None:
    settings = Settings.from_env({"LIVECART_TRUSTED_PROXIES": " 10.0.0.0/8 ,::1,, 192.0.2.1"})
    assert [str(network) for network in settings.trusted_proxies] == ["10.0.0.0/8", "::1/128", "192.0.2.1/32"]
    assert Settings.from_env({}).trusted_proxies == ()
    with pytest.raises(ConfigError, match=r"LIVECART_TRUSTED_PROXIES.*'proxy.local' is not an IP address"):
        Settings.from_env({"LIVECART_TRUSTED_PROXIES": "10.0.0.1, proxy.local"})
