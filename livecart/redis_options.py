"""How every livecart Redis client connects: bounded connects and commands, idle connections checked.

One place for the store (livecart/store/redis), the live fan-out (livecart/live/manager.py) and the
cluster registry (livecart/cluster), so that a hung Redis (up but not answering: stopped, swapping,
a network path that drops packets) turns into an error within `LIVECART_REDIS_TIMEOUT_S` everywhere
instead of a request that waits forever. A dead Redis already fails at once (connection refused).

- `socket_connect_timeout`: a connect that gets no answer fails after the timeout;
- `socket_timeout`: a command whose reply does not arrive fails after the timeout (redis-py disconnects
  that connection, so a late reply can never be read as the answer to another command). redis-py does
  not apply it to a pub/sub listener's blocking read (it waits without a timeout), so a quiet fan-out
  channel is not mistaken for an outage;
- `health_check_interval`: a connection idle for longer is PINGed before it is used again;
- TCP keepalive (TCP connections only): a connection whose peer vanished without a reset (host down,
  NAT state lost) is closed by the kernel after about KEEPALIVE_IDLE_S + KEEPALIVE_COUNT ×
  KEEPALIVE_INTERVAL_S; this is what ends a fan-out listener's wait on such a connection.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

HEALTH_CHECK_INTERVAL_S = 30
KEEPALIVE_IDLE_S = 15
KEEPALIVE_INTERVAL_S = 5
KEEPALIVE_COUNT = 3


def _keepalive_options() -> dict[int, int]:
    wanted = {"TCP_KEEPIDLE": KEEPALIVE_IDLE_S, "TCP_KEEPINTVL": KEEPALIVE_INTERVAL_S, "TCP_KEEPCNT": KEEPALIVE_COUNT}
    return {getattr(socket, name): value for name, value in wanted.items() if hasattr(socket, name)}


def redis_options(url: str, timeout_s: float) -> dict[str, Any]:
    """Keyword arguments for `Redis.from_url` / `ConnectionPool.from_url` of `url`."""
    options: dict[str, Any] = {
        "socket_connect_timeout": timeout_s,
        "socket_timeout": timeout_s,
        "health_check_interval": HEALTH_CHECK_INTERVAL_S,
    }
    if not url.startswith("unix://"):
        options["socket_keepalive"] = True
        options["socket_keepalive_options"] = _keepalive_options()
    return options


SENTINEL_SCHEME = "redis+sentinel://"


@dataclass(frozen=True)
class SentinelUrl:
    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int


def parse_sentinel_url(url: str) -> SentinelUrl:
    """`redis+sentinel://host:port,host:port/mastername/db` (db optional, 0). ValueError when malformed."""
    if not url.startswith(SENTINEL_SCHEME):
        raise ValueError(f"a Sentinel URL starts with {SENTINEL_SCHEME}")
    hosts, _, path = url.removeprefix(SENTINEL_SCHEME).partition("/")
    parts = [part for part in path.split("/") if part]
    if not hosts or not parts or len(parts) > 2:
        raise ValueError("must be redis+sentinel://HOST:PORT[,HOST:PORT...]/MASTERNAME[/DB]")
    sentinels = []
    for host_port in hosts.split(","):
        host, _, port = host_port.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{host_port!r} is not HOST:PORT")
        sentinels.append((host.strip("[]"), int(port)))
    if len(parts) == 2 and not parts[1].isdigit():
        raise ValueError(f"the database {parts[1]!r} is not a number")
    return SentinelUrl(tuple(sentinels), unquote(parts[0]), int(parts[1]) if len(parts) == 2 else 0)
