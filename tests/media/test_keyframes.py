"""Keyframe recognition, the GOP cache and the keyframe-request throttle (no network)."""

from __future__ import annotations

import asyncio

from livecart.config import Settings
from livecart.media.gop_cache import GopCache
from livecart.media.ice import link_headers
from livecart.media.keyframes import KeyframeThrottle, is_keyframe
from livecart.media.synthetic import encode_clip


def test_keyframes_are_recognised_in_real_vp8_and_h264_streams() -> None:
    for codec in ("vp8", "h264"):
        clip = encode_clip(codec, 160, 120, 25, gop=10)
        assert [i for i, frame in enumerate(clip) if is_keyframe(f"video/{codec}", frame)] == [0, 10, 20]
    assert is_keyframe("audio/opus", b"\x00")
    assert not is_keyframe("video/VP8", b"")
    assert not is_keyframe("video/H264", b"\x00\x00\x01")


def test_the_gop_cache_keeps_the_frames_since_the_last_keyframe() -> None:
    cache: GopCache[str] = GopCache(max_frames=4, max_bytes=1000)
    assert cache.add("p0", 10, keyframe=False)
    assert cache.frames() == [], "a cache must start at a keyframe"
    cache.add("k1", 10, keyframe=True)
    cache.add("p1", 10, keyframe=False)
    assert cache.frames() == ["k1", "p1"]
    cache.add("k2", 10, keyframe=True)
    assert cache.frames() == ["k2"]


def test_the_gop_cache_empties_when_over_budget_until_the_next_keyframe() -> None:
    cache: GopCache[str] = GopCache(max_frames=3, max_bytes=1000)
    cache.add("k", 10, keyframe=True)
    cache.add("p1", 10, keyframe=False)
    cache.add("p2", 10, keyframe=False)
    assert not cache.add("p3", 10, keyframe=False)
    assert cache.frames() == []
    cache.add("k2", 10, keyframe=True)
    assert not cache.add("big", 2000, keyframe=False)
    assert len(cache) == 0


async def test_keyframe_requests_are_coalesced_per_interval() -> None:
    sent: list[float] = []
    loop = asyncio.get_running_loop()
    throttle = KeyframeThrottle(lambda: sent.append(loop.time()), interval=0.2)
    for _ in range(50):
        throttle.request()
    assert len(sent) == 1, "the first request goes out at once"
    await asyncio.sleep(0.3)
    assert len(sent) == 2, "the 49 others become one request at the end of the interval"
    assert sent[1] - sent[0] >= 0.19
    await asyncio.sleep(0.3)
    assert len(sent) == 2
    throttle.close()


def test_ice_servers_are_announced_as_link_headers() -> None:
    settings = Settings(
        ice_servers=("stun:stun.example.net:3478", "turn:turn.example.net:3478?transport=udp"),
        turn_username="user",
        turn_credential="secret",
    )
    assert link_headers(settings) == [
        '<stun:stun.example.net:3478>; rel="ice-server"',
        '<turn:turn.example.net:3478?transport=udp>; rel="ice-server"; username="user"; credential="secret"'
        '; credential-type="password"',
    ]
    assert link_headers(Settings()) == []
