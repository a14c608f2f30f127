"""Which address a request came from, believing `X-Forwarded-For` only from trusted proxies.

Pure: given the socket peer's address, the `X-Forwarded-For` header values and the trusted proxy
networks (`LIVECART_TRUSTED_PROXIES`). Each proxy appends the address it received the request from,
so the chain is read from the right: the first address (from the right) that is not a trusted proxy
is the client. Anything to its left was written by the client and cannot be believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(value: str) -> tuple[IPNetwork, ...]:
    """Comma-separated addresses or CIDR networks (`10.0.0.0/8, 2001:db8::1`). Raises ValueError."""
    networks = []
    for part in (item.strip() for item in value.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP address or CIDR network") from None
    return tuple(networks)


def parse_address(text: str | None) -> IPAddress | None:
    """An address as written by a socket or a proxy, or None when it is not one. IPv4-mapped IPv6
    (`::ffff:192.0.2.1`, a dual-stack socket's view of an IPv4 peer) is taken as the IPv4 address."""
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def client_ip(peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[IPNetwork]) -> str | None:
    """The client's address: the socket peer, unless the peer is a trusted proxy; then the right-most
    address of `X-Forwarded-For` (all header lines, in order) that is not a trusted proxy.

    Malformed entries (`unknown`, ports, garbage) are skipped. When every entry is a trusted proxy,
    the left-most valid one is the client; when there is none, the peer is. None when the peer has
    no IP address (a Unix socket).
    """
    address = parse_address(peer)
    if address is None or not _trusted(address, trusted):
        return None if address is None else str(address)
    chain = [parse_address(entry) for value in forwarded_for for entry in value.split(",")]
    valid = [entry for entry in chain if entry is not None]
    for entry in reversed(valid):
        if not _trusted(entry, trusted):
            return str(entry)
    return str(valid[0] if valid else address)
