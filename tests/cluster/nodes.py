"""Several `livecart serve` processes on one redis-server, and an API client for each of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import ClientResponse, ClientSession

from tests.conftest import ServerProcess
from tests.support import Api

# Short timings so a dead node is noticed within about a second and chat frames go out every 50 ms.
NODE_TTL_S = 1.2


def cluster_env(redis_url: str, **extra: str) -> dict[str, str]:
    return {
        "LIVECART_STORE": redis_url,
        "LIVECART_NODE_TTL_S": str(NODE_TTL_S),
        "LIVECART_CHAT_FRAME_MS": "50",
        **extra,
    }


def start_nodes(server_process: Callable[..., ServerProcess], redis_url: str, count: int) -> list[ServerProcess]:
    return [server_process(cluster_env(redis_url)) for _ in range(count)]


class NodeApi(Api):
    """`tests.support.Api` against a running process's URL instead of an in-process test client."""

    def __init__(self, session: ClientSession, server: ServerProcess) -> None:
        self.session = session
        self.server = server

    @property
    def url(self) -> str:
        return self.server.url

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> ClientResponse:
        return await self.session.request(
            method, f"{self.server.url}{path}", json=json, data=data, headers=self._headers(token, headers)
        )
