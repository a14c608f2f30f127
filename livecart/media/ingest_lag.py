"""How far behind its publisher a relay runs: each frame's arrival against the publisher's media clock.

A server short of CPU reads the publisher's socket late; its receive buffer then holds seconds of
media, and with it the publisher's ICE consent answers (aioice gives each 0.5 s, and closes the
peer after six failures in a row, about 30 s). The relay measures the lag per frame and sheds the
viewers' work while it is too large, so the loop catches up and the publisher stays connected.

Pure arithmetic (stdlib only); the caller passes the monotonic time of each frame.
"""

from __future__ import annotations

WINDOW_SECONDS = 10.0  # the baseline is the least offset of the last one or two windows (clock drift)
DISCONTINUITY_SECONDS = 10.0  # a timestamp jump larger than this restarts the measurement


class IngestLag:
    """The lag of one stream (video or audio) of a publisher, in seconds.

    offset = arrival time - media time (from the RTP timestamps, wrap-aware); the frames that came
    soonest after they were sent set the baseline, and `lag()` is how much later than those this
    frame came. A new baseline is taken at every discontinuity (a new publisher, a timestamp jump).
    """

    def __init__(self, clock_rate: int) -> None:
        self.clock_rate = clock_rate
        self._last_timestamp: int | None = None
        self._media_time = 0.0
        self._window_start = 0.0
        self._window_min = float("inf")
        self._previous_min = float("inf")

    def reset(self) -> None:
        self._last_timestamp = None

    def lag(self, timestamp: int, now: float) -> float:
        """Seconds this frame (RTP `timestamp`, arrived at `now`) is behind the earliest-arriving ones."""
        if self._last_timestamp is None:
            return self._restart(timestamp, now)
        step = ((timestamp - self._last_timestamp + (1 << 31)) % (1 << 32) - (1 << 31)) / self.clock_rate
        if abs(step) > DISCONTINUITY_SECONDS:
            return self._restart(timestamp, now)
        self._last_timestamp = timestamp
        self._media_time += step
        offset = now - self._media_time
        if now - self._window_start >= WINDOW_SECONDS:
            self._previous_min, self._window_min, self._window_start = self._window_min, offset, now
        self._window_min = min(self._window_min, offset)
        return max(0.0, offset - min(self._window_min, self._previous_min))

    def _restart(self, timestamp: int, now: float) -> float:
        self._last_timestamp = timestamp
        self._media_time = 0.0
        self._window_start = now
        self._window_min = self._previous_min = now
        return 0.0
