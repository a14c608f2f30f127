"""The relay's C fast path (livecart/media/_fastsend.c, native_writer.py) writes exactly the packets the
Python path writes: SRTP byte for byte as pylibsrtp (every profile aiortc negotiates, across a sequence
number wrap), the same RTP from the same viewer's DTLS keys, and a frame's datagrams in order through
one sendmmsg with GSO."""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator
from typing import Any

import aiohttp
import pylibsrtp
import pytest
from aiohttp.test_utils import TestClient
from aiortc.mediastreams import AudioStreamTrack

from livecart.keys import SERVICES
from livecart.media.clients import WhepViewer, WhipPublisher
from livecart.media.native_writer import IMPORT_ERROR, NativeRtpWriter, native_available, rtp_path, writer_factory
from livecart.media.relay import ViewerTrack
from livecart.media.rtp_writer import OutFrame, RtpWriter, SendTime
from livecart.media.synthetic import EncodedLoopTrack, encode_clip
from tests.media.conftest import ShowUnderTest
from tests.media.test_whip_whep import eventually
from tests.support import skip_unless_ci

if native_available():
    from livecart.media import _fastsend


@pytest.fixture
def native() -> None:
    """The C fast path must be built: skipped locally without it, a failure under CI (`skip_unless_ci`)."""
    if not native_available():
        skip_unless_ci(f"C fast path not built: {IMPORT_ERROR}")


needs_native = pytest.mark.usefixtures("native")

Policy = pylibsrtp.Policy
PROFILES = {  # libsrtp profile: (key, salt) lengths
    Policy.SRTP_PROFILE_AES128_CM_SHA1_80: (16, 14),
    Policy.SRTP_PROFILE_AEAD_AES_128_GCM: (16, 12),
    Policy.SRTP_PROFILE_AEAD_AES_256_GCM: (32, 12),
}
# One-byte header extensions as aiortc writes them for a viewer: mid (id 1) and abs-send-time (id 3).
EXTENSION = bytes([0xBE, 0xDE, 0x00, 0x02, 0x10, 0x30, 0x32, 0x33, 0x12, 0x34, 0x56, 0x00])


def pylibsrtp_session(profile: int, key_and_salt: bytes) -> pylibsrtp.Session:
    """The sending session exactly as aiortc's RTCDtlsTransport._setup_srtp builds it."""
    policy = Policy(key=key_and_salt, ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=profile)
    policy.allow_repeat_tx = True
    policy.window_size = 1024
    return pylibsrtp.Session(policy)


def rtp(sequence: int, payload: bytes, ssrc: int = 0x1234ABCD, marker: int = 0) -> bytes:
    return struct.pack("!BBHII", 0x90, 96 | marker, sequence, 90_000, ssrc) + EXTENSION + payload


@needs_native  # under CI (.ci/run installs gcc and libssl-dev) the extension must have been built
def test_auto_chooses_the_c_fast_path_once_built() -> None:
    assert rtp_path("auto") == "native"


def test_off_always_chooses_the_python_writer_and_bad_modes_are_refused() -> None:
    assert rtp_path("off") == "python"
    assert writer_factory("off") is RtpWriter
    assert rtp_path("auto") == ("native" if native_available() else "python")
    with pytest.raises(ValueError, match="LIVECART_MEDIA_FASTPATH"):
        rtp_path("fast")


@needs_native
@pytest.mark.parametrize("profile", list(PROFILES), ids=["AES128_CM_SHA1_80", "AEAD_AES_128_GCM", "AEAD_AES_256_GCM"])
def test_native_srtp_is_byte_identical_to_pylibsrtp_across_a_sequence_wrap(profile: int) -> None:
    key_length, salt_length = PROFILES[profile]
    key_and_salt = os.urandom(key_length + salt_length)
    reference = pylibsrtp_session(profile, key_and_salt)
    native = _fastsend.Srtp(profile, key_and_salt)
    roc = 0
    for step in range(40):  # 65516 .. 65535, then 0 .. 19 with the rollover counter at 1
        sequence = (65_516 + step) & 0xFFFF
        if sequence == 0:
            roc += 1
        packet = rtp(sequence, os.urandom(1 + 31 * step), marker=0x80 * (step % 2))
        assert native.protect(packet, roc) == reference.protect(packet), f"packet {step} (sequence {sequence})"


@needs_native
def test_a_key_of_the_wrong_length_or_an_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="needs 30 bytes"):
        _fastsend.Srtp(Policy.SRTP_PROFILE_AES128_CM_SHA1_80, b"\x00" * 28)
    with pytest.raises(ValueError, match="unsupported SRTP profile"):
        _fastsend.Srtp(2, b"\x00" * 30)  # AES128_CM_SHA1_32: aiortc never negotiates it


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2)
    yield sock
    sock.close()


def twin_writers(profile: int) -> tuple[Any, Any]:
    key_and_salt = os.urandom(sum(PROFILES[profile]))
    return tuple(  # type: ignore[return-value]
        _fastsend.Writer(
            _fastsend.Srtp(profile, key_and_salt), 0xCAFE0001, 96, 0x90, EXTENSION, 9, 65_500, 123_456, 0xCAFE0002
        )
        for _ in range(2)
    )


@needs_native
@pytest.mark.parametrize(
    "sizes",
    [
        [1100] * 5 + [431],  # a 720p frame: equal packets and a shorter last one (one GSO message)
        [1100, 700, 1100, 1100, 300, 1100],  # uneven: several messages in the same sendmmsg
        [1100] * 70,  # a keyframe past the kernel's 64 segments per GSO message
        [160],  # audio: one packet
    ],
)
def test_a_frame_leaves_in_order_as_exactly_the_packets_build_makes(receiver: socket.socket, sizes: list[int]) -> None:
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.setblocking(False)
    sending, expected = twin_writers(Policy.SRTP_PROFILE_AES128_CM_SHA1_80)
    sending.connect(sender.fileno(), *receiver.getsockname())
    sender.close()  # the writer holds its own descriptor
    payloads = [os.urandom(size) for size in sizes]
    for frame in range(3):  # crosses the sequence number wrap (65500 + 3 x 70 > 65535)
        assert sending.send(payloads, 3000 * frame, 0xABCDEF) is True
        want = expected.build(payloads, 3000 * frame, 0xABCDEF)
        got = [receiver.recv(2048) for _ in want]
        assert got == want
    assert sending.packets_sent == 3 * len(sizes)
    sending.close()


@needs_native
def test_a_nack_is_answered_from_the_history_as_rtx_or_as_the_packet_itself() -> None:
    writer, _ = twin_writers(Policy.SRTP_PROFILE_AEAD_AES_128_GCM)
    first = writer.sequence
    sent = writer.build([b"a" * 500, b"b" * 200], 0, 0)
    assert writer.holds(first)
    assert writer.holds(first + 1)
    assert not writer.holds(first + 2)
    assert writer.retransmit(first, -1, 0, 0) == sent[0], "same packet, same SRTP index"
    rtx = writer.retransmit(first + 1, 97, 4242, 0)
    assert rtx is not None
    assert rtx[1] == 0x80 | 97, "the RTX payload type, with the original packet's marker"
    assert rtx[2:4] == (4242).to_bytes(2, "big")
    assert rtx[8:12] == (0xCAFE0002).to_bytes(4, "big"), "sent on the RTX SSRC"
    assert writer.retransmit(first + 5, -1, 0, 0) is None


async def viewer_track(client: TestClient[Any, Any], show: ShowUnderTest, kind: str) -> ViewerTrack:
    broadcast = client.app[SERVICES].media.broadcast(show.id)
    assert broadcast is not None
    track: ViewerTrack = next(t for v in broadcast.viewers.values() for t in v.tracks if t.kind == kind)
    return track


@needs_native
async def test_native_and_python_writers_send_identical_srtp_packets_for_the_same_frame(
    http: aiohttp.ClientSession, show: ShowUnderTest, client: TestClient[Any, Any]
) -> None:
    """A real viewer's DTLS keys: the C path derives its SRTP keys from the DTLS export, the Python
    path uses aiortc's pylibsrtp session; given the same frame, both produce the same bytes."""
    clip = encode_clip("vp8", 640, 360, 30, gop=30)
    publisher = await WhipPublisher.start(
        http, show.whip_url, show.host_token, EncodedLoopTrack(clip), AudioStreamTrack()
    )
    viewer = await WhepViewer.start(http, show.whep_url)
    await eventually(lambda: viewer.stats.video_frames > 0)
    for kind in ("video", "audio"):
        track = await viewer_track(client, show, kind)
        assert isinstance(track._rtp_writer, NativeRtpWriter), "auto chose the C fast path"
        tap = track._tap
        assert tap is not None
        python = RtpWriter(tap, sequence=30_000, timestamp_origin=77_777)
        native = NativeRtpWriter(tap, sequence=30_000, timestamp_origin=77_777)
        for index in range(3):
            payloads = (*(os.urandom(1000) for _ in range(4)), os.urandom(123))
            frame = OutFrame(kind, payloads, 3000 * index, index == 0, sum(map(len, payloads)))
            when = SendTime.now()
            expected = python.packets(frame, when)
            assert len(expected) == 5
            assert native.packets(frame, when) == expected, f"{kind} frame {index}"
        python.close()
        native.close()
    await viewer.stop()
    await publisher.stop()
