"""Sending one webhook delivery over HTTP, to a checked address only (SSRF).

The URL's host is resolved here and **every** address it resolves to is checked
(`livecart.domain.webhooks.address_allowed`); the connection then goes to those checked addresses only
(a resolver pinned to them, so a second DNS answer cannot swap in a private address). Redirects are not
followed: a 3xx is a failed attempt, since its target would be an unchecked address.
"""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from livecart.domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    Attempt,
    UrlRefused,
    address_allowed,
    check_url,
    signature,
)

USER_AGENT = "livecart-webhooks/1"
MAX_ERROR = 200


class PinnedResolver(AbstractResolver):
    """Answers every lookup with the addresses already resolved and checked."""

    def __init__(self, results: list[ResolveResult]) -> None:
        self.results = results

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        return self.results

    async def close(self) -> None:
        return None


async def checked_addresses(host: str, port: int, allow_private: bool) -> list[ResolveResult]:
    """Every address `host` resolves to, or UrlRefused when it resolves to none or to any that is not
    allowed."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise UrlRefused(f"cannot resolve {host}: {error}") from None
    results: list[ResolveResult] = []
    for family, _type, proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        if not address_allowed(address, allow_private):
            raise UrlRefused(f"{host} resolves to {address}, which is not a public address")
        results.append(
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": family,
                "proto": proto,
                "flags": socket.AI_NUMERICHOST,
            }
        )
    if not results:
        raise UrlRefused(f"{host} resolves to no address")
    return results


async def send(
    url: str,
    *,
    delivery_id: str,
    event_type: str,
    body: str,
    secret: str,
    now: datetime,
    allow_private: bool,
    timeout_s: float,
) -> Attempt:
    """One attempt: POST the body, signed with a fresh timestamp; a 2xx is success."""
    started = time.monotonic()

    def attempt(status: int | None, error: str | None) -> Attempt:
        return Attempt(now, status, error[:MAX_ERROR] if error else None, int((time.monotonic() - started) * 1000))

    try:
        _scheme, host, port = check_url(url)
        resolved = await checked_addresses(host, port, allow_private)
    except UrlRefused as refused:
        return attempt(None, f"refused: {refused}")
    headers: dict[str, Any] = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(secret, int(now.timestamp()), body),
        DELIVERY_HEADER: delivery_id,
        EVENT_HEADER: event_type,
    }
    connector = aiohttp.TCPConnector(resolver=PinnedResolver(resolved), use_dns_cache=False, force_close=True)
    try:
        async with (
            aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout_s)) as session,
            session.post(url, data=body.encode(), headers=headers, allow_redirects=False) as response,
        ):
            await response.content.read(4096)  # a little of the answer, then close
            if 300 <= response.status < 400:
                return attempt(response.status, "redirect not followed")
            return attempt(response.status, None if 200 <= response.status < 300 else f"HTTP {response.status}")
    except TimeoutError:
        return attempt(None, f"no answer within {timeout_s:g} s")
    except (aiohttp.ClientError, OSError) as error:
        return attempt(None, f"{type(error).__name__}: {error}")
