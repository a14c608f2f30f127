"""Recording a show without re-encoding: the publisher's encoded frames, as the relay forwards them,
muxed by PyAV into one file per show — WebM (VP8 + Opus) or fragmented MP4 (H.264 + Opus).

The event loop only collects frames (`Recording.write`) and hands them to a writer thread per recording
in batches (`BATCH_MILLISECONDS`): one thread wakeup per batch, not per frame (a wakeup per frame cost
more CPU than the muxing itself, docs/media.md "Recording"). The queue is bounded
(`MAX_QUEUED_BYTES`): a disk that does not keep up, a full disk or any write error stops the
recording (a warning, `livecart_recording_errors`), never the show or its viewers.

Containers (docs/media.md has the reasons):
- VP8 → WebM: clusters are written as the show goes (playable while live, duration unknown); the
  cues (seek index) and the duration are written when the recording is closed. The SeekHead at the
  front points at the cues, so a browser seeks with one range request to the end.
- H.264 → fragmented MP4 (`empty_moov`, a fragment at each keyframe and at least every second):
  playable while live; at close the `mfra` index goes at the end. H.264 is stored as MP4 wants it,
  each NAL unit behind a 4-byte length instead of a start code: the NAL units are the publisher's,
  byte for byte. Opus in MP4 (`Opus`/`dOps`, ISO/IEC 14496-12 + the Opus-in-ISOBMFF spec) plays in
  Chromium and Firefox; AAC would need a transcode.

Timestamps: the relay's show timeline (which already continues across a publisher reconnect), each
kind shifted once so that the recording starts at 0 with the first video keyframe and audio lines
up with video by arrival time. After a reconnect video waits for the new publisher's keyframe.
"""

from __future__ import annotations

import io
import logging
import queue
import re
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from livecart.media.sdp import MediaCodec
from livecart.metrics import Metrics

log = logging.getLogger(__name__)

# What may wait for the writer thread before the recording is given up as too slow (~80 s of 1.5
# Mbit/s video; a stalled disk, not a busy one, fills it).
MAX_QUEUED_BYTES = 16 * 1024 * 1024
# WebM clusters and MP4 fragments start at every keyframe, and after this long without one (browser
# publishers send keyframes only when asked), so a replay opened while live is at most this far behind.
CHUNK_MILLISECONDS = 1000
# The event loop hands frames to the writer thread in batches this old (about 8 video + 12 audio frames):
# each hand-off wakes the thread, which preempts the event loop and then waits for the GIL it holds.
BATCH_MILLISECONDS = 250
OPUS_SAMPLE_RATE = 48000
# OpusHead (RFC 7845 section 5.1): version 1, 2 channels, no pre-skip, 48 kHz, 0 dB, mapping family 0.
OPUS_HEAD = b"OpusHead" + struct.pack("<BBHIhB", 1, 2, 0, OPUS_SAMPLE_RATE, 0, 0)
_SHOW_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_STOP = None


@dataclass(frozen=True)
class Format:
    """The container a show's video codec is recorded in."""

    extension: str
    av_format: str
    content_type: str
    options: dict[str, str]


# `flush_packets`: each finished WebM cluster / MP4 fragment reaches the file at once (else FFmpeg's
# 256 KB write buffer holds it), so a replay opened while live sees everything up to the last keyframe.
# `max_interleave_delta`: a track that goes quiet (no audio packets) holds the other back at most this
# long in FFmpeg's interleaving buffer (its default is 10 s of video in memory).
_COMMON = {"flush_packets": "1", "max_interleave_delta": str(CHUNK_MILLISECONDS * 1000)}
WEBM = Format("webm", "webm", "video/webm", {**_COMMON, "cluster_time_limit": str(CHUNK_MILLISECONDS)})
FRAGMENTED_MP4 = Format(
    "mp4",
    "mp4",
    "video/mp4",
    {
        **_COMMON,
        "movflags": "empty_moov+default_base_moof+frag_keyframe",
        "frag_duration": str(CHUNK_MILLISECONDS * 1000),  # microseconds
    },
)
FORMATS = {"video/vp8": WEBM, "video/h264": FRAGMENTED_MP4}


def format_for(codecs: dict[str, MediaCodec]) -> Format | None:
    video = codecs.get("video")
    return None if video is None else FORMATS.get(video.mime_type.lower())


@dataclass(frozen=True, slots=True)
class _Frame:
    kind: str
    data: bytes
    pts: int  # in the codec's clock rate, on the recording's clock (0 = the first video keyframe)
    keyframe: bool


class Recording:
    """One show's file while it is written. `write` and `close` are called on the event loop."""

    def __init__(
        self,
        show_id: str,
        directory: Path,
        codecs: dict[str, MediaCodec],
        fmt: Format,
        on_error: Callable[[Recording, str], None],
    ) -> None:
        self.show_id = show_id
        self.directory = directory
        self.path: Path | None = None  # chosen by the writer thread with the first keyframe
        self.content_type = fmt.content_type
        self._format = fmt
        self._codecs = {
            kind: codec for kind, codec in codecs.items() if kind == "video" or codec.mime_type.lower() == "audio/opus"
        }
        self._on_error = on_error
        self._queue: queue.SimpleQueue[list[_Frame] | None] = queue.SimpleQueue()
        self._batch: list[_Frame] = []
        self._batch_bytes = 0
        self._batch_since = 0.0
        self._queued_bytes = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"recording-{show_id}", daemon=True)
        self._started_at: float | None = None
        self._offsets: dict[str, int] = {}
        self._last: dict[str, int] = {}
        self._waiting_for_keyframe = True
        self.failed: str | None = None  # why the recording stopped early
        self.closed = False
        self.frames_written = 0  # by the writer thread
        self.bytes_written = 0
        self._thread.start()

    @property
    def recording(self) -> bool:
        return not self.closed and self.failed is None

    def write(self, kind: str, data: bytes, pts: int, keyframe: bool) -> None:
        """Queue one frame (relay timeline `pts`). Video starts, and restarts after `new_publisher`,
        at a keyframe; audio before the first video keyframe is not recorded."""
        if not self.recording or kind not in self._codecs:
            return
        if kind == "video" and self._waiting_for_keyframe:
            if not keyframe:
                return
            self._waiting_for_keyframe = False
        now = time.monotonic()
        if self._started_at is None:
            if kind != "video":
                return
            self._started_at = now
        offset = self._offsets.get(kind)
        if offset is None:
            elapsed = now - self._started_at
            offset = self._offsets[kind] = round(elapsed * self._codecs[kind].clock_rate) - pts
        at = max(pts + offset, self._last.get(kind, -1) + 1)  # never backwards (the muxers refuse it)
        self._last[kind] = at
        if not self._batch:
            self._batch_since = now
        self._batch.append(_Frame(kind, data, at, keyframe))
        self._batch_bytes += len(data)
        if (now - self._batch_since) * 1000 >= BATCH_MILLISECONDS:
            self._hand_off()

    def _hand_off(self) -> None:
        """Give the frames collected so far to the writer thread (one wakeup)."""
        batch, size = self._batch, self._batch_bytes
        self._batch, self._batch_bytes = [], 0
        if not batch:
            return
        with self._lock:
            full = self._queued_bytes + size > MAX_QUEUED_BYTES
            if not full:
                self._queued_bytes += size
        if full:
            self._fail("the disk does not keep up (write queue full)")
            return
        self._queue.put(batch)

    def new_publisher(self) -> None:
        """A replacement publisher: its video is recorded from its first keyframe."""
        self._waiting_for_keyframe = True

    def recording_ms(self, kind: str, pts: int) -> int | None:
        """Where relay timeline `pts` of `kind` is in the file, in ms from its start (None before it)."""
        offset = self._offsets.get(kind)
        if offset is None:
            return None
        return (pts + offset) * 1000 // self._codecs[kind].clock_rate

    def close(self) -> None:
        """Finish the file (trailer, index) in the writer thread; returns at once."""
        if not self.closed:
            if self.failed is None:
                self._hand_off()
            self.closed = True
            self._queue.put(_STOP)

    @property
    def writing(self) -> bool:
        """The writer thread is still running (it finishes the file after `close`)."""
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the writer thread to finish the file (tests, shutdown)."""
        self._thread.join(timeout)

    def _fail(self, reason: str) -> None:
        if self.failed is None:
            self.failed = reason
            self._batch, self._batch_bytes = [], 0
            self._queue.put(_STOP)
            self._on_error(self, reason)

    # The writer thread.

    def _run(self) -> None:
        muxer: _Muxer | None = None
        try:
            while True:
                batch = self._queue.get()
                if batch is None:
                    break
                with self._lock:
                    self._queued_bytes -= sum(len(frame.data) for frame in batch)
                for frame in batch:
                    if self.failed is not None:
                        break
                    if muxer is None:
                        self.path = _create_part(self.directory, self.show_id, self._format)
                        muxer = _Muxer(self.path, self._format, self._codecs, frame.data)
                    muxer.mux(frame)
                    self.frames_written += 1
                    self.bytes_written += len(frame.data)
        except Exception as exc:  # OSError (disk full, read-only), av.FFmpegError from the muxer
            self._fail_from_thread(f"{type(exc).__name__}: {exc}")
        finally:
            if muxer is not None:
                try:
                    muxer.close()
                except Exception as exc:
                    self._fail_from_thread(f"{type(exc).__name__} while finishing the file: {exc}")
            self._drain()

    def _fail_from_thread(self, reason: str) -> None:
        if self.failed is None:
            self.failed = reason
            self._on_error(self, reason)

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return


def _create_part(directory: Path, show_id: str, fmt: Format) -> Path:
    """Create the show's next free file: `<show_id>.webm`, else `<show_id>.2.webm`, ..."""
    directory.mkdir(parents=True, exist_ok=True)
    part = 1
    while True:
        name = f"{show_id}.{fmt.extension}" if part == 1 else f"{show_id}.{part}.{fmt.extension}"
        try:
            with open(directory / name, "xb"):
                return directory / name
        except FileExistsError:
            part += 1


class _Muxer:
    """PyAV's muxer over the recording's file, its streams described from the first keyframe."""

    def __init__(self, path: Path, fmt: Format, codecs: dict[str, MediaCodec], keyframe: bytes) -> None:
        video = codecs["video"]
        self._probe = _probe_video(video, keyframe)
        self._container: Any = av.open(str(path), "w", format=fmt.av_format, options=dict(fmt.options))
        try:
            self._streams: dict[str, Any] = {}
            self._time_bases: dict[str, Fraction] = {}
            self._streams["video"] = self._container.add_stream_from_template(self._probe.streams.video[0])
            self._time_bases["video"] = Fraction(1, video.clock_rate)
            if "audio" in codecs:
                audio: Any = self._container.add_stream("libopus", rate=OPUS_SAMPLE_RATE)
                audio.codec_context.extradata = OPUS_HEAD  # what OpusHead says, not what an encoder would
                self._streams["audio"] = audio
                self._time_bases["audio"] = Fraction(1, codecs["audio"].clock_rate)
        except BaseException:
            self.close()
            raise

    def mux(self, frame: _Frame) -> None:
        packet = av.Packet(frame.data)
        packet.stream = self._streams[frame.kind]
        packet.time_base = self._time_bases[frame.kind]
        packet.pts = packet.dts = frame.pts
        packet.is_keyframe = frame.keyframe or frame.kind == "audio"
        self._container.mux(packet)

    def close(self) -> None:
        try:
            self._container.close()
        finally:
            self._probe.close()


def _probe_video(codec: MediaCodec, keyframe: bytes) -> Any:
    """The keyframe as a one-frame input (IVF for VP8, Annex B for H.264), for FFmpeg to describe
    the stream: dimensions, and for H.264 the SPS/PPS that MP4 keeps in its header (avcC)."""
    if codec.mime_type.lower() == "video/vp8":
        width, height = _vp8_size(keyframe)
        header = b"DKIF" + struct.pack("<HH4sHHIIII", 0, 32, b"VP80", width, height, 90000, 1, 1, 0)
        data = header + struct.pack("<IQ", len(keyframe), 0) + keyframe
        return av.open(io.BytesIO(data), "r", format="ivf")
    return av.open(io.BytesIO(keyframe), "r", format="h264")


def _vp8_size(keyframe: bytes) -> tuple[int, int]:
    """Width and height from a VP8 keyframe header (RFC 6386 section 9.1)."""
    if len(keyframe) < 10 or keyframe[3:6] != b"\x9d\x01\x2a":
        raise ValueError("not a VP8 keyframe")
    width, height = struct.unpack("<HH", keyframe[6:10])
    return width & 0x3FFF, height & 0x3FFF


class Recordings:
    """Where this node records its shows: one file per show (a second part if the show's codecs change
    or the node restarts mid-show: `<show_id>.2.webm`, ...)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.errors = 0
        self._active: dict[str, Recording] = {}
        self._finishing: list[Recording] = []  # closed, the writer thread maybe still finishing the file

    @property
    def active(self) -> int:
        return sum(1 for recording in self._active.values() if recording.recording)

    def start(self, show_id: str, codecs: dict[str, MediaCodec]) -> Recording | None:
        """Start a show's recording (its file is created with the first keyframe, off the event loop),
        or None when its video codec has no recording format."""
        fmt = format_for(codecs)
        if fmt is None or not _SHOW_ID.match(show_id):
            log.warning("show %s: not recorded (video %s has no recording format)", show_id, codecs.get("video"))
            return None
        recording = Recording(show_id, self.directory, codecs, fmt, self._on_error)
        self._active[show_id] = recording
        return recording

    def parts(self, show_id: str) -> list[Path]:
        """A show's recorded files, in order (reads the directory: call it off the event loop)."""
        if not _SHOW_ID.match(show_id):
            return []
        found = [
            p
            for p in self.directory.glob(f"{show_id}.*")
            if p.suffix in (".webm", ".mp4") and re.fullmatch(rf"{re.escape(show_id)}(\.\d+)?\.(webm|mp4)", p.name)
        ]
        return sorted(found, key=lambda p: (len(p.name), p.name))

    def writing(self, show_id: str) -> bool:
        """A recording of the show is being written on this node (live, or its file being finished)."""
        return show_id in self._active or any(
            recording.show_id == show_id and recording.writing for recording in self._finishing
        )

    def stop(self, recording: Recording) -> None:
        recording.close()
        if self._active.get(recording.show_id) is recording:
            del self._active[recording.show_id]
        self._finishing = [r for r in self._finishing if r.writing] + [recording]

    def _on_error(self, recording: Recording, reason: str) -> None:
        self._count_error(recording.show_id, reason)

    def _count_error(self, show_id: str, reason: str) -> None:
        self.errors += 1  # may run on a writer thread: a lost increment only under a race of two failures
        log.warning("show %s: recording stopped, the show goes on: %s", show_id, reason)

    def close(self, timeout: float = 10.0) -> None:
        """Finish every open recording and wait for the files (node stopping; blocks: use a thread)."""
        recordings = list(self._active.values()) + self._finishing
        self._active.clear()
        self._finishing = []
        for recording in recordings:
            recording.close()
        deadline = time.monotonic() + timeout
        for recording in recordings:
            recording.join(max(0.0, deadline - time.monotonic()))


def observe_recordings(metrics: Metrics, recordings: Recordings) -> None:
    metrics.gauge("livecart_recordings_active", "Shows being recorded on this node.", lambda: recordings.active)
    metrics.counter(
        "livecart_recording_errors",
        "Recordings stopped early by a write error, a full disk or a disk too slow; the shows went on.",
        lambda: recordings.errors,
    )
