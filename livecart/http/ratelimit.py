"""Rate limits per client address for what anonymous clients can do at will: WHEP offers, account
creation, cart adds (issue 19, findings 1 and 12). The address is the one the fake-order signals use
(`livecart.domain.client_ip`: `X-Forwarded-For` believed only from LIVECART_TRUSTED_PROXIES)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiohttp import web

from livecart import keys
from livecart.domain.chat import TokenBucket
from livecart.domain.client_ip import client_ip
from livecart.domain.errors import RateLimited

MAX_ADDRESSES = 100_000  # buckets kept per limit; past it, full buckets are forgotten first


def client_address(request: web.Request) -> str:
    """The client's address, with `X-Forwarded-For` believed only from LIVECART_TRUSTED_PROXIES."""
    trusted = request.app[keys.SETTINGS].trusted_proxies
    return client_ip(request.remote, request.headers.getall("X-Forwarded-For", ()), trusted) or "unknown"


class AddressLimit:
    """A token bucket per client address: `count` actions, refilled over `per_seconds`."""

    def __init__(self, what: str, count: int, per_seconds: float, *, max_addresses: int = MAX_ADDRESSES) -> None:
        self.what = what
        self.count = count
        self.per_seconds = per_seconds
        self.max_addresses = max_addresses
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, address: str) -> None:
        """One action from `address`, or RateLimited (429, `retry_after`) when its bucket is empty."""
        now = time.monotonic()
        bucket = self._buckets.get(address)
        if bucket is None:
            if len(self._buckets) >= self.max_addresses:
                self._forget_full(now)
            bucket = self._buckets[address] = TokenBucket(self.count, self.per_seconds, updated=now)
        wait = bucket.take(now)
        if wait > 0:
            raise RateLimited(f"too many {self.what} from this address; try again later", retry_after=wait)

    def _forget_full(self, now: float) -> None:
        for address in [address for address, bucket in self._buckets.items() if bucket.full(now)]:
            del self._buckets[address]
        if len(self._buckets) >= self.max_addresses:
            self._buckets.clear()


@dataclass
class RateLimits:
    """The per-address limits of one process (each node counts its own clients)."""

    whep_offers: AddressLimit
    anonymous_accounts: AddressLimit
    cart_adds: AddressLimit
