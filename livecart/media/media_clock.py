"""A show's media clock: where the video the relay is forwarding right now is, on the clock viewers
receive (the RTP timestamp of the forwarded video) and on the recording's clock (ms from its start).

Timed room events (pin, unpin, deal, auction start, giveaway start) are stamped with it, so a watch
page can show them with the frame they belong to (`requestVideoFrameCallback`'s `rtpTimestamp`),
and a replay can place them on its timeline (`at_ms`). See docs/media.md, "Media time".
"""

from __future__ import annotations

from dataclasses import dataclass

from livecart.media.relay import Relay

VIDEO_CLOCK_RATE = 90000  # RTP clock of VP8 and H.264 (RFC 7741, RFC 6184)


@dataclass(frozen=True, slots=True)
class MediaTime:
    """One reading of a show's media clock."""

    rtp_timestamp: int  # 32-bit RTP timestamp of the video frame last forwarded, as viewers receive it
    recording_ms: int | None  # that frame's time in the recording; None while nothing is recorded


class MediaClock:
    """Reads one show's relay (and its recording); cheap enough to call for every timed event."""

    def __init__(self, relay: Relay) -> None:
        self._relay = relay

    def now(self) -> MediaTime | None:
        """The frame being forwarded now, on both clocks; None before the first video frame."""
        pts = self._relay.last_video_pts
        if pts is None:
            return None
        recording = self._relay.recording
        at_ms = recording.recording_ms("video", pts) if recording is not None and recording.recording else None
        return MediaTime((self._relay.timestamp_origin + pts) & 0xFFFF_FFFF, at_ms)

    def rtp_timestamp(self) -> int | None:
        now = self.now()
        return None if now is None else now.rtp_timestamp

    def recording_ms(self) -> int | None:
        now = self.now()
        return None if now is None else now.recording_ms
