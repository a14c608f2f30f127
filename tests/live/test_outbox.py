"""A connection's outbox: direct writes while the client keeps up, a bounded backlog when not."""

from __future__ import annotations

import asyncio

import msgpack
import pytest
from engineio import packet as eio_packet

from livecart.live.frames import RoomFrame, websocket_frame
from livecart.live.outbox import HIGH_WATER_BYTES, Outbox


class FakeTransport:
    """A transport whose write buffer we control: the one external boundary of the outbox."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.buffered = 0
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def is_closing(self) -> bool:
        return self.aborted

    def abort(self) -> None:
        self.aborted = True


def frame(event: str, n: int = 0) -> RoomFrame:
    return RoomFrame(event, msgpack.packb({"type": 2, "nsp": "/", "data": [event, n]}))


def test_websocket_frames_follow_rfc6455_length_encoding() -> None:
    assert websocket_frame(b"abc", 0x2) == b"\x82\x03abc"
    medium = websocket_frame(b"x" * 300, 0x2)
    assert medium[:4] == b"\x82\x7e\x01\x2c"
    assert len(medium) == 304
    large = websocket_frame(b"y" * 70000, 0x1)
    assert large[:2] == b"\x81\x7f"
    assert int.from_bytes(large[2:10], "big") == 70000


async def test_a_client_that_keeps_up_gets_frames_written_directly() -> None:
    outbox, transport = Outbox(), FakeTransport()
    outbox.attach(transport)
    chat = frame("chat")
    outbox.deliver(chat)
    assert transport.written == [chat.wire]
    assert outbox.qsize() == 0


async def test_on_a_websocket_every_packet_is_written_directly_and_in_order() -> None:
    """No writer task: acks, pings and room frames go straight to the transport while it keeps up."""
    outbox, transport = Outbox(), FakeTransport()
    outbox.attach(transport)
    ack = eio_packet.Packet(eio_packet.MESSAGE, b"ack")
    await outbox.put(ack)
    chat = frame("chat")
    outbox.deliver(chat)
    assert transport.written == [b"\x82\x03ack", chat.wire]
    assert outbox.qsize() == 0
    await asyncio.wait_for(outbox.join(), 1)  # nothing left unfinished


async def test_frames_wait_behind_the_backlog_and_go_out_in_order_when_the_transport_drains() -> None:
    outbox, transport = Outbox(), FakeTransport()
    outbox.attach(transport)
    transport.buffered = HIGH_WATER_BYTES + 1
    ack = eio_packet.Packet(eio_packet.MESSAGE, b"ack")
    await outbox.put(ack)
    first = frame("chat", 1)
    outbox.deliver(first)
    transport.buffered = 0
    second = frame("chat", 2)
    outbox.deliver(second)  # the transport has room again, but the backlog goes first
    assert transport.written == []
    outbox.drain()  # the connection's resume_writing
    assert transport.written == [b"\x82\x03ack", first.wire, second.wire]
    assert outbox.qsize() == 0
    third = frame("chat", 3)
    outbox.deliver(third)
    assert transport.written[-1] == third.wire


async def test_a_slow_client_loses_oldest_chat_first_never_sales() -> None:
    outbox, transport = Outbox(limit=4), FakeTransport()
    outbox.attach(transport)
    transport.buffered = HIGH_WATER_BYTES + 1
    sent = [frame("chat", 1), frame("sale", 1), frame("chat", 2), frame("reactions", 1), frame("stock", 1)]
    for item in sent:
        outbox.deliver(item)
    queued = [(p.event, msgpack.unpackb(p.data)["data"][1]) for p in outbox.queued]
    assert queued == [("sale", 1), ("chat", 2), ("reactions", 1), ("stock", 1)]
    outbox.deliver(frame("pin", 1))
    assert [p.event for p in outbox.queued] == ["sale", "reactions", "stock", "pin"]
    assert outbox.dropped == 2
    assert not transport.aborted


async def test_a_slow_client_keeps_every_auction_deal_and_giveaway_and_loses_chat_instead() -> None:
    outbox, transport = Outbox(limit=4), FakeTransport()
    outbox.attach(transport)
    transport.buffered = HIGH_WATER_BYTES + 1
    for item in (
        frame("chat", 1),
        frame("auction", 1),
        frame("chat", 2),
        frame("deal", 1),
        frame("giveaway", 1),
        frame("viewers", 1),
        frame("auction", 2),
    ):
        outbox.deliver(item)
    assert [p.event for p in outbox.queued] == ["auction", "deal", "giveaway", "auction"]
    assert outbox.dropped == 3
    assert not transport.aborted


async def test_a_backlog_of_undroppable_packets_cuts_the_client_off() -> None:
    outbox, transport = Outbox(limit=3), FakeTransport()
    outbox.attach(transport)
    transport.buffered = HIGH_WATER_BYTES + 1
    for n in range(4):
        outbox.deliver(frame("stock", n))
    assert transport.aborted
    assert outbox.cut_off
    assert outbox.qsize() == 0
    await asyncio.wait_for(outbox.join(), 1)


async def test_a_client_behind_for_too_long_is_cut_off() -> None:
    now = [0.0]
    outbox, transport = Outbox(cutoff_s=10, clock=lambda: now[0]), FakeTransport()
    outbox.attach(transport)
    transport.buffered = HIGH_WATER_BYTES + 1
    outbox.deliver(frame("chat"))
    now[0] = 9.0
    outbox.deliver(frame("chat"))
    assert not transport.aborted
    now[0] = 10.5
    outbox.deliver(frame("chat"))
    assert transport.aborted


async def test_get_waits_for_a_packet_and_can_be_cancelled() -> None:
    outbox = Outbox()
    waiter = asyncio.ensure_future(outbox.get())
    await asyncio.sleep(0)
    assert not waiter.done()
    await outbox.put("x")
    assert await waiter == "x"
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(outbox.get(), 0.01)
    await outbox.put("y")
    assert outbox.get_nowait() == "y"
    with pytest.raises(asyncio.QueueEmpty):
        outbox.get_nowait()


async def test_join_returns_once_every_packet_taken_is_done_like_an_asyncio_queue() -> None:
    outbox = Outbox()
    await asyncio.wait_for(outbox.join(), 1)  # nothing put: at once
    await outbox.put("a")
    await outbox.put("b")
    joined = asyncio.ensure_future(outbox.join())
    assert outbox.get_nowait() == "a"
    outbox.task_done()
    await asyncio.sleep(0)
    assert not joined.done()  # "b" is not done yet
    assert await outbox.get() == "b"
    outbox.task_done()
    await asyncio.wait_for(joined, 1)
    await outbox.put("c")  # a new packet: join waits again
    again = asyncio.ensure_future(outbox.join())
    await asyncio.sleep(0)
    assert not again.done()
    outbox.get_nowait()
    outbox.task_done()
    await asyncio.wait_for(again, 1)


def test_an_outbox_has_no_per_instance_dict() -> None:
    """One per connected viewer: slots keep it small (docs/live.md, memory per connection)."""
    assert not hasattr(Outbox(), "__dict__")


async def test_nothing_is_written_to_a_closing_connection() -> None:
    outbox, transport = Outbox(), FakeTransport()
    outbox.attach(transport)
    transport.aborted = True
    outbox.deliver(frame("chat"))
    assert transport.written == []
    assert outbox.qsize() == 0


async def test_after_an_upgrade_what_polling_left_goes_first_then_direct_writes() -> None:
    """A client upgraded from long-polling: what was queued for its polls goes first, then direct writes."""
    outbox, transport = Outbox(), FakeTransport()
    first, second = frame("chat", 1), frame("chat", 2)
    outbox.deliver(first)  # on long-polling: no transport, queued for the next poll
    outbox.deliver(second)
    assert transport.written == []
    outbox.attach(transport)  # the upgrade is complete
    assert transport.written == [first.wire, second.wire]
    last = frame("chat", 3)
    outbox.deliver(last)
    assert transport.written[-1] == last.wire
    await asyncio.wait_for(outbox.join(), 1)


async def test_a_close_packet_ends_the_websocket_once_written() -> None:
    outbox, transport = Outbox(), FakeTransport()
    ended: list[bool] = []
    outbox.attach(transport, lambda: ended.append(True))
    await outbox.put(eio_packet.Packet(eio_packet.CLOSE))
    assert transport.written == [b"\x81\x011"]
    assert ended == [True]


async def test_a_polling_client_that_falls_behind_is_told_to_close() -> None:
    outbox = Outbox(limit=3)
    for n in range(4):
        outbox.deliver(frame("stock", n))
    assert outbox.cut_off
    assert [packet.packet_type for packet in outbox.queued] == [eio_packet.CLOSE]
