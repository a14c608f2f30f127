"""A frame's packets leave in one system call (UDP GSO) and arrive as separate datagrams, in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from livecart.media import udp
from livecart.media.udp import ViewerSocket, _batch_end


class Inbox(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.datagrams: list[bytes] = []

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.datagrams.append(data)


@pytest.fixture
async def sender() -> AsyncIterator[asyncio.DatagramTransport]:
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    yield transport
    transport.close()


@pytest.fixture
async def inbox() -> AsyncIterator[tuple[Inbox, tuple[str, int]]]:
    transport, protocol = await asyncio.get_running_loop().create_datagram_endpoint(Inbox, local_addr=("127.0.0.1", 0))
    yield protocol, transport.get_extra_info("sockname")
    transport.close()


def frame(sizes: list[int]) -> list[bytes]:
    return [bytes([index]) * size for index, size in enumerate(sizes)]


async def received(inbox: Inbox, count: int) -> list[bytes]:
    for _ in range(200):
        if len(inbox.datagrams) >= count:
            break
        await asyncio.sleep(0.005)
    return inbox.datagrams


async def test_a_frame_arrives_as_its_packets_in_order(
    sender: asyncio.DatagramTransport, inbox: tuple[Inbox, tuple[str, int]]
) -> None:
    protocol, address = inbox
    viewer = ViewerSocket(sender)
    packets = frame([1310, 1310, 1310, 1310, 517])
    viewer.send(packets, address)
    assert await received(protocol, 5) == packets
    viewer.close()


async def test_uneven_packets_and_big_keyframes_are_split_into_valid_batches(
    sender: asyncio.DatagramTransport, inbox: tuple[Inbox, tuple[str, int]]
) -> None:
    protocol, address = inbox
    viewer = ViewerSocket(sender)
    packets = frame([1310] * 70 + [900, 1310, 1310, 40, 40, 7])  # more than one GSO buffer holds
    viewer.send(packets, address)
    assert await received(protocol, len(packets)) == packets
    viewer.close()


async def test_without_gso_packets_go_one_by_one(
    sender: asyncio.DatagramTransport, inbox: tuple[Inbox, tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(udp, "_gso_supported", False)
    protocol, address = inbox
    viewer = ViewerSocket(sender)
    packets = frame([1310, 1310, 600])
    viewer.send(packets, address)
    assert await received(protocol, 3) == packets
    viewer.close()


def test_a_batch_is_equal_sizes_then_at_most_one_shorter_packet() -> None:
    def sizes(lengths: list[int]) -> list[int]:
        datagrams = [b"x" * n for n in lengths]
        ends, start = [], 0
        while start < len(datagrams):
            start = _batch_end(datagrams, start)
            ends.append(start)
        return ends

    assert sizes([100, 100, 100, 40]) == [4]
    assert sizes([100, 100, 40, 100]) == [3, 4]
    assert sizes([100, 120, 100]) == [1, 3]
    assert sizes([1000] * 130) == [60, 120, 130]  # 60 KB per buffer
    assert sizes([10] * 130) == [64, 128, 130]  # 64 segments per buffer
