"""Replays: a show's recorded file (the first part of its recording, see docs/media.md) and the replay
document of `GET /api/shows/{id}/replay` — the file's URL and type, its duration, the chapters and the
timeline on the recording's clock."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from livecart.domain import replay
from livecart.domain.models import Show
from livecart.media.recorder import FORMATS, Recordings
from livecart.store import Store

log = logging.getLogger(__name__)

MAX_CACHED_DURATIONS = 1024
CONTENT_TYPES = {f".{fmt.extension}": fmt.content_type for fmt in FORMATS.values()}


@dataclass(frozen=True)
class RecordedFile:
    """A show's replay file as it is on disk now (it grows while the show is recorded)."""

    show_id: str
    path: Path
    content_type: str
    size: int
    mtime_ns: int
    growing: bool  # still written on this node: no duration yet, not cacheable for good


def _duration_ms(path: Path) -> int | None:
    """The finished file's duration from its header (WebM Duration; MP4 fragments' times)."""
    try:
        with av.open(str(path)) as container:
            duration = container.duration  # microseconds (AV_TIME_BASE)
    except (av.FFmpegError, OSError) as error:
        log.warning("replay %s: no duration (%s)", path.name, error)
        return None
    return None if duration is None else int(duration) // 1000


class Replays:
    """Reads recordings (off the event loop) for the replay API and `/media/{show_id}`."""

    def __init__(self, store: Store, recordings: Recordings | None) -> None:
        self.store = store
        self.recordings = recordings  # None: recording off on this node (then there is no replay)
        self._durations: dict[tuple[Path, int, int], int | None] = {}

    async def file(self, show_id: str) -> RecordedFile | None:
        """The show's replay file, None while nothing was recorded (no file, or an empty one)."""
        recordings = self.recordings
        if recordings is None:
            return None

        writing = recordings.writing(show_id)  # read on the loop, before the thread looks at the disk

        def look() -> RecordedFile | None:
            parts = recordings.parts(show_id)  # only files named after a valid show id: no traversal
            if not parts:
                return None
            path = parts[0]
            try:
                stat = os.stat(path)
            except OSError:
                return None
            if stat.st_size == 0:
                return None
            return RecordedFile(
                show_id,
                path,
                CONTENT_TYPES[path.suffix],
                stat.st_size,
                stat.st_mtime_ns,
                growing=writing and len(parts) == 1,
            )  # a later part: the first is finished

        return await asyncio.to_thread(look)

    async def duration_ms(self, recorded: RecordedFile) -> int | None:
        """None while the file grows; else read once per file version."""
        if recorded.growing:
            return None
        key = (recorded.path, recorded.size, recorded.mtime_ns)
        if key not in self._durations:
            if len(self._durations) >= MAX_CACHED_DURATIONS:
                self._durations.pop(next(iter(self._durations)))  # the oldest
            self._durations[key] = await asyncio.to_thread(_duration_ms, recorded.path)
        return self._durations[key]

    async def replay(self, show: Show) -> dict[str, Any] | None:
        """The replay document, None while nothing was recorded."""
        recorded = await self.file(show.id)
        if recorded is None:
            return None
        duration = await self.duration_ms(recorded)
        events = replay.place(await self.store.timeline(show.id), show.started_at)
        return {
            "show_id": show.id,
            "media_url": f"/media/{show.id}",
            "content_type": recorded.content_type,
            "duration_ms": duration,
            "chapters": replay.chapters(events, duration),
            "events": events,
        }
