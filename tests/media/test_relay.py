"""The relay alone (no network): shared packets, bounded per-viewer queues, GOP start, timelines."""

from __future__ import annotations

import asyncio

from livecart.media.aiortc_adapter import EncodedFrame
from livecart.media.relay import AUDIO_BACKLOG_FRAMES, LIVE_BACKLOG_FRAMES, Relay
from livecart.media.sdp import MediaCodec
from livecart.media.synthetic import encode_clip

VP8 = MediaCodec(kind="video", mime_type="video/VP8", clock_rate=90000)
OPUS = MediaCodec(kind="audio", mime_type="audio/opus", clock_rate=48000, channels=2)
CLIP = encode_clip("vp8", 64, 48, 60, gop=30)  # keyframes at 0 and 30 (and 60, 90, ... when looped)
ONE_KEYFRAME = encode_clip("vp8", 64, 48, 60, gop=60)


def video(index: int, clip: list[bytes] = CLIP) -> EncodedFrame:
    return EncodedFrame("video/VP8", clip[index % len(clip)], index * 3000)


def test_a_stalled_viewer_loses_only_its_own_frames_and_restarts_at_a_keyframe() -> None:
    requests: list[int] = []
    relay = Relay({"video": VP8}, lambda: requests.append(1))
    healthy, stalled = relay.attach("video"), relay.attach("video")
    healthy.start()
    stalled.start()
    requests.clear()
    capacity = LIVE_BACKLOG_FRAMES
    received = []
    for index in range(capacity + 10):
        relay.push(video(index, ONE_KEYFRAME))
        received.append(healthy._queue.popleft())  # the healthy viewer keeps up
    assert len(received) == capacity + 10
    assert len(stalled._queue) <= capacity, "a stalled viewer's queue is bounded"
    assert stalled.dropped > 0
    assert requests, "overflow asks the publisher for a keyframe"
    assert received[0].pts == 0
    assert received[-1].pts == (capacity + 9) * 3000


def test_a_new_viewer_starts_at_the_last_keyframe_with_the_frames_since() -> None:
    relay = Relay({"video": VP8}, lambda: None)
    for index in range(40):
        relay.push(video(index))
    late = relay.attach("video")
    late.start()
    assert [packet.pts for packet in late._queue] == [i * 3000 for i in range(30, 40)]
    assert relay.gop_frames == 10


def test_without_a_keyframe_yet_a_viewer_waits_for_one() -> None:
    relay = Relay({"video": VP8}, lambda: None)
    viewer = relay.attach("video")
    viewer.start()
    for index in range(1, 30):
        relay.push(video(index))
    assert len(viewer._queue) == 0
    relay.push(video(30))
    assert len(viewer._queue) == 1


def test_audio_drops_its_oldest_frames_when_a_viewer_stalls() -> None:
    relay = Relay({"video": VP8, "audio": OPUS}, lambda: None)
    viewer = relay.attach("audio")
    viewer.start()
    for index in range(AUDIO_BACKLOG_FRAMES + 5):
        relay.push(EncodedFrame("audio/opus", b"\xfc\x00", index * 960))
    assert len(viewer._queue) == AUDIO_BACKLOG_FRAMES
    assert viewer._queue[0].pts == 5 * 960


def test_a_replacement_publisher_continues_the_viewers_timeline() -> None:
    relay = Relay({"video": VP8}, lambda: None)
    viewer = relay.attach("video")
    viewer.start()
    for index in range(10):
        relay.push(video(index))
    relay.new_publisher()
    relay.push(video(0))  # the new publisher starts at timestamp 0 again, with a keyframe
    pts = [packet.pts or 0 for packet in viewer._queue]
    assert pts[-1] > pts[-2], pts


async def test_the_gop_catch_up_is_paced_after_the_keyframe() -> None:
    relay = Relay({"video": VP8}, lambda: None)
    for index in range(20):
        relay.push(video(index))
    viewer = relay.attach("video")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await viewer.recv()
    assert loop.time() - started < 0.005, "the keyframe goes at once"
    for _ in range(19):
        await viewer.recv()
    assert loop.time() - started >= 19 * 0.009
    viewer.stop()


def test_a_viewer_still_connecting_queues_nothing_and_starts_from_the_latest_gop() -> None:
    relay = Relay({"video": VP8}, lambda: None)
    viewer = relay.attach("video")  # WHEP answered; ICE and DTLS not up yet
    for index in range(45):
        relay.push(video(index))
    assert len(viewer._queue) == 0
    viewer.start()  # the sender's first recv()
    assert [packet.pts for packet in viewer._queue] == [i * 3000 for i in range(30, 45)]
    assert viewer.dropped == 0
