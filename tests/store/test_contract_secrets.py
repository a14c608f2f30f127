"""Contract: deployment secrets are random, made once, and the same for every node and after restarts."""

from __future__ import annotations

import asyncio

from tests.store.conftest import OpenStore


async def test_a_secret_is_made_once_and_shared_by_every_node(open_stores: OpenStore) -> None:
    node_a, node_b = await open_stores(), await open_stores()

    first = await asyncio.gather(*(node.secret("labels") for node in (node_a, node_b) for _ in range(5)))
    await node_a.close()
    restarted = await open_stores()

    assert len(first[0]) == 32
    assert set(first) == {first[0]}
    assert await restarted.secret("labels") == first[0]
    assert await restarted.secret("other") not in (first[0], b"")
