"""The aiortc internals the relay relies on are still there: if aiortc changes under us, this fails
loudly, naming what moved, rather than the relay silently decoding or dropping frames."""

from __future__ import annotations

import queue

import aiortc
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from livecart.media import aiortc_adapter
from livecart.media.aiortc_adapter import AiortcChanged, ReceiverTap


def test_the_installed_aiortc_is_a_verified_version() -> None:
    assert aiortc_adapter.version_is_verified(), (
        f"aiortc {aiortc.__version__} is not in VERIFIED_AIORTC_VERSIONS: re-verify livecart/media/aiortc_adapter.py"
    )


def test_every_internal_the_adapter_uses_is_where_it_was() -> None:
    aiortc_adapter.verify()


async def test_a_tapped_receiver_hands_frames_to_the_sink_instead_of_its_decoder() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    receiver = pc.addTransceiver("video", direction="recvonly").receiver
    received: list[aiortc_adapter.EncodedFrame] = []
    ReceiverTap(receiver, received.append)
    tap = receiver._RTCRtpReceiver__decoder_queue  # type: ignore[attr-defined]
    assert isinstance(tap, queue.Queue)
    codec = aiortc.RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    tap.put((codec, aiortc.jitterbuffer.JitterFrame(data=b"\x10\x02\x00", timestamp=3000)))
    assert received == [aiortc_adapter.EncodedFrame("video/VP8", b"\x10\x02\x00", 3000)]
    tap.put(None)
    assert tap.get_nowait() is None, "the stop marker still reaches the (idle) decoder thread"
    await pc.close()


def test_verify_names_what_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    async def handle_rtcp_packet(self: object, packet: object) -> None:
        return None

    monkeypatch.setattr(aiortc.RTCRtpSender, "_handle_rtcp_packet", handle_rtcp_packet)
    with pytest.raises(AiortcChanged, match="_send_keyframe"):
        aiortc_adapter.verify()
