"""A python-socketio AsyncClient (msgpack) that records every room event it receives."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import socketio


class LiveClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.sio = socketio.AsyncClient(serializer="msgpack", reconnection=False)
        self.received: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()
        self.sio.on("*", self._record)

    async def _record(self, event: str, data: Any = None) -> None:
        self.received.append((event, data))
        self._changed.set()

    async def connect(self) -> LiveClient:
        await self.sio.connect(self.base_url, transports=["websocket"], socketio_path="socket.io")
        return self

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        ack: dict[str, Any] = await self.sio.call(event, data, timeout=10)
        return ack

    async def join(self, show_id: str, token: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"show_id": show_id}
        if token is not None:
            payload["token"] = token
        ack = await self.call("join", payload)
        assert ack["ok"], ack
        return ack

    def events(self, name: str) -> list[Any]:
        return [data for event, data in self.received if event == name]

    def chat_texts(self) -> list[str]:
        return [message["text"] for frame in self.events("chat") for message in frame]

    async def wait_for(self, predicate: Callable[[], bool], within_s: float = 10.0) -> None:
        deadline = time.monotonic() + within_s
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out; last received: {repr(self.received[-5:])[:800]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    async def close(self) -> None:
        await self.sio.disconnect()
