"""The GOP cache: the frames since the last keyframe, so a new viewer can start decoding at once.

Some publishers ignore keyframe requests (OBS's WHIP output does), so a viewer who joins between
two natural keyframes would otherwise see nothing until the next one.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")

GOP_CACHE_MAX_FRAMES = 300  # 10 s at 30 fps
GOP_CACHE_MAX_BYTES = 8 * 1024 * 1024


class GopCache(Generic[T]):
    """Holds the frames from the latest keyframe on, within a frame and byte budget.

    When the budget is exceeded the cache empties and stays empty until the next keyframe;
    `add` then returns False so the caller can ask the publisher for one.
    """

    def __init__(self, max_frames: int = GOP_CACHE_MAX_FRAMES, max_bytes: int = GOP_CACHE_MAX_BYTES) -> None:
        self._max_frames = max_frames
        self._max_bytes = max_bytes
        self._frames: list[T] = []
        self._bytes = 0

    def add(self, frame: T, size: int, keyframe: bool) -> bool:
        """Add a frame; returns False when it overflowed the budget (the cache is now empty)."""
        if keyframe:
            self._frames = [frame]
            self._bytes = size
            return True
        if not self._frames:
            return True
        if len(self._frames) >= self._max_frames or self._bytes + size > self._max_bytes:
            self._frames = []
            self._bytes = 0
            return False
        self._frames.append(frame)
        self._bytes += size
        return True

    def frames(self) -> list[T]:
        """The frames to start a new viewer with: a keyframe and its followers, or nothing."""
        return list(self._frames)

    def clear(self) -> None:
        self._frames = []
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._frames)
