"""OBS's WHIP output: H.264 (profile-level-id 42e01f, packetization-mode 1) + Opus, no candidates
in the offer, keyframes only on its own schedule (it ignores PLI)."""

from __future__ import annotations

import asyncio
import re

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack

from livecart.media.clients import WhepViewer
from livecart.media.synthetic import EncodedLoopTrack, encode_clip
from tests.media.conftest import ShowUnderTest
from tests.media.test_whip_whep import eventually


def obs_like(offer: str) -> str:
    """Keep only H.264 42e01f/packetization-mode=1 and Opus, and drop every candidate line."""
    candidates = ("a=candidate", "a=end-of-candidates")
    lines = [line for line in offer.splitlines() if not line.startswith(candidates)]
    return "\r\n".join(lines) + "\r\n"


async def test_an_obs_like_offer_without_candidates_publishes_h264_to_viewers(
    http: aiohttp.ClientSession, show: ShowUnderTest
) -> None:
    publisher = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    clip = encode_clip("h264", 640, 360, 120, gop=120)
    video = publisher.addTransceiver(EncodedLoopTrack(clip), "sendonly")
    video.setCodecPreferences(
        [
            c
            for c in RTCRtpSender.getCapabilities("video").codecs
            if c.mimeType == "video/H264" and c.parameters.get("profile-level-id") == "42e01f"
        ]
    )
    publisher.addTransceiver(AudioStreamTrack(), "sendonly")
    await publisher.setLocalDescription(await publisher.createOffer())
    offer = obs_like(publisher.localDescription.sdp)
    assert "a=candidate" not in offer
    assert re.search(r"a=fmtp:\d+ .*packetization-mode=1.*profile-level-id=42e01f", offer)
    headers = {"Content-Type": "application/sdp", "Authorization": f"Bearer {show.host_token}"}
    async with http.post(show.whip_url, data=offer, headers=headers) as response:
        assert response.status == 201, await response.text()
        answer = await response.text()
        assert response.headers["Location"].startswith(f"/whip/{show.id}/")
    assert "a=candidate" in answer, "the answer carries all of the server's candidates"
    assert "H264/90000" in answer
    assert "opus/48000" in answer
    await publisher.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    viewer = await WhepViewer.start(http, show.whep_url)
    await eventually(lambda: viewer.stats.video_frames >= 15)
    assert (viewer.stats.width, viewer.stats.height) == (640, 360)
    assert "H264/90000" in viewer.answer
    await eventually(lambda: viewer.stats.audio_frames > 0)
    await viewer.stop()
    await publisher.close()
    await asyncio.sleep(0)
