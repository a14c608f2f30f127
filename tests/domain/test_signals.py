"""Client-address labels: stable and opaque, one per IPv4 address or IPv6 /64."""

from __future__ import annotations

from livecart.domain.signals import address_group, address_label

KEY = b"k" * 32


def test_labels_are_stable_per_client_and_differ_between_clients_and_keys() -> None:
    label = address_label("203.0.113.7", KEY)
    assert label == address_label("203.0.113.7", KEY)
    assert label.startswith("ip-")
    assert len(label) == 19
    assert "203.0.113" not in label
    assert label != address_label("203.0.113.8", KEY)
    assert label != address_label("203.0.113.7", b"another deployment's key")


def test_ipv6_addresses_of_one_slash_64_are_one_client() -> None:
    assert address_group("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_label("2001:db8:1:2::1", KEY) == address_label("2001:db8:1:2:ffff::9", KEY)
    assert address_label("2001:db8:1:2::1", KEY) != address_label("2001:db8:1:3::1", KEY)
