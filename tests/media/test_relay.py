"""The relay alone (no network): frames packetized once and shared, per-viewer isolation, GOP start,
timelines. Each viewer writes into a `Socket` that records frames, or refuses them like a full one."""

from __future__ import annotations

import asyncio

from livecart.clock import ManualClock
from livecart.media.aiortc_adapter import EncodedFrame
from livecart.media.relay import (
    AUDIO_BACKLOG_FRAMES,
    CATCH_UP_SECONDS_PER_FRAME,
    LIVE_BACKLOG_FRAMES,
    SHED_AFTER_SECONDS,
    Relay,
)
from livecart.media.rtp_writer import OutFrame, SendTime, WriteResult
from livecart.media.sdp import MediaCodec
from livecart.media.synthetic import encode_clip

VP8 = MediaCodec(kind="video", mime_type="video/VP8", clock_rate=90000)
OPUS = MediaCodec(kind="audio", mime_type="audio/opus", clock_rate=48000, channels=2)
CLIP = encode_clip("vp8", 64, 48, 60, gop=30)  # keyframes at 0 and 30 (and 60, 90, ... when looped)
ONE_KEYFRAME = encode_clip("vp8", 64, 48, 60, gop=60)
BIG = encode_clip("vp8", 640, 480, 1, gop=1)[0]  # a keyframe of several RTP packets


class Socket:
    """A viewer's end of the relay: keeps what was written; `full` makes it refuse like a backed-up one."""

    def __init__(self) -> None:
        self.frames: list[OutFrame] = []
        self.full = False
        self.closed = False

    def write(self, frame: OutFrame, when: SendTime) -> WriteResult:
        if self.closed:
            return WriteResult.CLOSED
        if self.full:
            return WriteResult.CONGESTED
        self.frames.append(frame)
        return WriteResult.SENT

    @property
    def timestamps(self) -> list[int]:
        return [frame.timestamp for frame in self.frames]


async def written(socket: Socket, count: int) -> None:
    """Wait (at most a second) until the paced catch-up has written `count` frames."""
    for _ in range(1000):
        if len(socket.frames) >= count:
            return
        await asyncio.sleep(0.001)


def video(index: int, clip: list[bytes] = CLIP) -> EncodedFrame:
    return EncodedFrame("video/VP8", clip[index % len(clip)], index * 3000)


def watch(relay: Relay, kind: str = "video") -> Socket:
    socket = Socket()
    relay.attach(kind).start(socket)
    return socket


def test_every_viewer_gets_the_same_packetized_frame_object() -> None:
    relay = Relay({"video": VP8}, lambda: None)
    first, second = watch(relay), watch(relay)
    relay.push(EncodedFrame("video/VP8", BIG, 0))
    assert first.frames[0] is second.frames[0], "packetized once per show, not once per viewer"
    frame = first.frames[0]
    assert frame.keyframe
    assert len(frame.payloads) > 1
    assert all(len(payload) <= 1300 for payload in frame.payloads)


def test_a_stalled_viewer_loses_only_its_own_frames_and_restarts_at_a_keyframe() -> None:
    requests: list[int] = []
    relay = Relay({"video": VP8}, lambda: requests.append(1))
    healthy, stalled = watch(relay), watch(relay)
    relay.push(video(0))
    requests.clear()
    stalled.full = True
    for index in range(1, 10):
        relay.push(video(index))
    assert requests, "a refused write asks the publisher for a keyframe"
    stalled.full = False
    for index in range(10, 40):
        relay.push(video(index))
    assert healthy.timestamps == [i * 3000 for i in range(40)], "the healthy viewer missed nothing"
    assert stalled.timestamps == [0] + [i * 3000 for i in range(30, 40)], "the stalled one resumed at keyframe 30"


def test_a_viewer_whose_connection_closed_stops_receiving() -> None:
    relay = Relay({"video": VP8}, lambda: None)
    socket = Socket()
    track = relay.attach("video")
    track.start(socket)
    relay.push(video(0))
    socket.closed = True
    relay.push(video(1))
    assert track.readyState == "ended"
    socket.closed = False
    relay.push(video(2))
    assert socket.timestamps == [0]


async def test_a_new_viewer_starts_at_the_last_keyframe_with_the_frames_since_paced() -> None:
    relay = Relay({"video": VP8}, lambda: None)
    for index in range(40):
        relay.push(video(index))
    loop = asyncio.get_running_loop()
    started = loop.time()
    late = watch(relay)
    assert late.timestamps == [30 * 3000], "the cached keyframe goes at once"
    assert relay.gop_frames == 10
    await written(late, 10)
    assert late.timestamps == [i * 3000 for i in range(30, 40)]
    assert loop.time() - started >= 9 * CATCH_UP_SECONDS_PER_FRAME * 0.9


async def test_live_frames_wait_behind_the_catch_up_and_the_viewer_then_goes_live() -> None:
    relay = Relay({"video": VP8}, lambda: None)
    for index in range(35):
        relay.push(video(index))
    late = watch(relay)
    relay.push(video(35))  # arrives while the GOP is still being paced out
    assert late.timestamps == [30 * 3000]
    await written(late, 6)
    relay.push(video(36))  # caught up: written at once
    assert late.timestamps == [i * 3000 for i in range(30, 37)]


async def test_a_catch_up_that_falls_too_far_behind_skips_to_the_next_keyframe() -> None:
    requests: list[int] = []
    relay = Relay({"video": VP8}, lambda: requests.append(1))
    for index in range(31):
        relay.push(video(index, ONE_KEYFRAME))
    late = watch(relay)  # keyframe 0 sent, 30 frames to pace out
    requests.clear()
    for index in range(31, 31 + LIVE_BACKLOG_FRAMES + 31):  # the publisher outruns the pacing
        relay.push(video(index, ONE_KEYFRAME))
    assert requests, "overflow asks for a keyframe"
    relay.push(video(120, ONE_KEYFRAME))  # keyframe (120 % 60 == 0)
    await asyncio.sleep(0.05)
    assert late.timestamps[0] == 0
    assert late.timestamps[-1] == 120 * 3000
    assert len(late.frames) < 31 + LIVE_BACKLOG_FRAMES + 31, "frames were dropped, not queued forever"


def test_without_a_keyframe_yet_a_viewer_waits_for_one() -> None:
    relay = Relay({"video": VP8}, lambda: None)
    viewer = watch(relay)
    for index in range(1, 30):
        relay.push(video(index))
    assert viewer.frames == []
    relay.push(video(30))
    assert viewer.timestamps == [30 * 3000]


def test_audio_flows_at_once_and_drops_only_what_a_full_socket_refuses() -> None:
    relay = Relay({"video": VP8, "audio": OPUS}, lambda: None)
    listener = watch(relay, "audio")
    for index in range(AUDIO_BACKLOG_FRAMES):
        listener.full = index % 10 == 5
        relay.push(EncodedFrame("audio/opus", b"\xfc\x00", index * 960))
    assert len(listener.frames) == AUDIO_BACKLOG_FRAMES - AUDIO_BACKLOG_FRAMES // 10
    assert 5 * 960 not in listener.timestamps
    assert 6 * 960 in listener.timestamps


def test_a_replacement_publisher_continues_the_viewers_timeline() -> None:
    relay = Relay({"video": VP8}, lambda: None)
    viewer = watch(relay)
    for index in range(10):
        relay.push(video(index))
    relay.new_publisher()
    relay.push(video(0))  # the new publisher starts at timestamp 0 again, with a keyframe
    assert viewer.timestamps[-1] > viewer.timestamps[-2], viewer.timestamps


async def test_a_viewer_still_connecting_gets_nothing_and_starts_from_the_latest_gop() -> None:
    relay = Relay({"video": VP8}, lambda: None)
    track = relay.attach("video")  # WHEP answered; ICE and DTLS not up yet
    for index in range(45):
        relay.push(video(index))
    assert track.delivered == 0
    assert track.dropped == 0
    socket = Socket()
    track.start(socket)  # the sender's first recv()
    assert socket.timestamps == [30 * 3000]
    assert track.catching_up
    track.stop()


async def test_frames_that_come_late_from_a_backlog_are_shed_and_video_resumes_at_a_keyframe_in_time() -> None:
    """A server short of CPU reads a second of the publisher's frames at once: writing them to every
    viewer would keep it behind (and its consent answers late); they are dropped instead."""
    clock = ManualClock()
    requests: list[int] = []
    relay = Relay({"video": VP8, "audio": OPUS}, lambda: requests.append(1), clock=clock)
    viewer, listener = watch(relay), watch(relay, "audio")
    for index in range(30):  # on time: one frame every 1/30 s, and audio
        relay.push(video(index))
        relay.push(EncodedFrame("audio/opus", b"\xfc\x00", index * 1600))
        await clock.advance(1 / 30)
    assert viewer.timestamps == [i * 3000 for i in range(30)]
    requests.clear()
    await clock.advance(1.0)  # the loop got no CPU for a second: frames 30-59 wait in the socket
    for index in range(30, 62):
        relay.push(video(index))
        relay.push(EncodedFrame("audio/opus", b"\xfc\x00", index * 1600))
    assert relay.frames_shed > 0
    assert not relay.shedding, "caught up once the frames came in time again"
    assert 30 * 3000 not in viewer.timestamps, "the keyframe that came a second late was shed"
    assert viewer.timestamps[30:] == [60 * 3000, 61 * 3000], "video resumed at the next keyframe in time"
    assert 30 * 1600 not in listener.timestamps, "late audio dropped"
    assert 61 * 1600 in listener.timestamps, "audio in time written"
    assert requests == [1], "one keyframe request once caught up, not one per shed frame"
    assert SHED_AFTER_SECONDS < 0.5, "below the 0.5 s aioice gives a consent answer"


async def test_a_publisher_whose_frames_keep_coming_in_time_is_never_shed() -> None:
    clock = ManualClock()
    relay = Relay({"video": VP8}, lambda: None, clock=clock)
    viewer = watch(relay)
    arrived = 0.0
    for index in range(300):  # 10 s; every 20th frame 0.2 s late, the ones behind it then come at once
        relay.push(video(index))
        due = max(arrived, (index + 1) / 30 + (0.2 if (index + 1) % 20 == 0 else 0.0))
        await clock.advance(due - arrived)
        arrived = due
    assert relay.frames_shed == 0
    assert len(viewer.frames) == 300


async def test_frames_the_publisher_itself_sent_late_are_forwarded_when_nothing_waits_in_the_socket() -> None:
    """A publisher that stalls and then sends what it owes (a slow encoder): the frames are late, but
    the server keeps up (its socket is empty), and forwarding them costs what it always does."""
    clock = ManualClock()
    relay = Relay({"video": VP8}, lambda: None, clock=clock, backlog=lambda: 0)
    viewer = watch(relay)
    for index in range(30):
        relay.push(video(index))
        await clock.advance(1 / 30)
    await clock.advance(1.0)
    for index in range(30, 62):
        relay.push(video(index))
    assert relay.frames_shed == 0
    assert viewer.timestamps == [i * 3000 for i in range(62)]
