"""When chat frames go out: at once in a quiet room, else when the room may have its next frame —
at most one chat frame per room per LIVECART_CHAT_FRAME_MS (docs/live.md, docs/protocol.md)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livecart.config import Settings
from tests.live.clients import LiveClient
from tests.support import ADMIN_TOKEN, Api

FRAME_S = 1.0


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    base = Settings(store=f"sqlite:///{tmp_path / 'livecart.db'}", admin_token=ADMIN_TOKEN)
    return dataclasses.replace(base, chat_frame_ms=int(FRAME_S * 1000))


async def test_a_quiet_room_gets_a_message_at_once_and_later_ones_share_the_next_frame(
    client: TestClient[Any, Any], api: Api
) -> None:
    host = await api.create_account("host", "Mia")
    show = await api.create_show(host["token"])
    alice = await api.create_account("viewer", "Alice")
    base_url = str(client.make_url("/"))
    sender, watcher = await LiveClient(base_url).connect(), await LiveClient(base_url).connect()
    try:
        await sender.join(show["id"], alice["token"])
        await watcher.join(show["id"])
        loop = asyncio.get_running_loop()
        sent_at = loop.time()
        assert (await sender.call("chat", {"text": "first"}))["ok"]
        await watcher.wait_for(lambda: watcher.chat_texts() == ["first"], within_s=FRAME_S / 2)
        first_at = loop.time()
        assert first_at - sent_at < FRAME_S / 2  # not held back for a tick
        for n in range(3):
            assert (await sender.call("chat", {"text": f"then {n}"}))["ok"]
        await watcher.wait_for(lambda: len(watcher.chat_texts()) == 4, within_s=3 * FRAME_S)
        second_at = loop.time()
        frames = watcher.events("chat")
        assert [[m["text"] for m in frame] for frame in frames] == [["first"], ["then 0", "then 1", "then 2"]]
        assert second_at - first_at >= FRAME_S * 0.9  # one chat frame per interval, at most
        assert second_at - first_at < FRAME_S * 1.5  # and as soon as the interval is over
    finally:
        await sender.close()
        await watcher.close()
