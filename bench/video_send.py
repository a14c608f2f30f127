"""Microbenchmark of the relay's per-viewer send call: CPU per packet per viewer of the native (C) and the
Python RTP writer, each writing the same frames to one real viewer (its DTLS keys, its ICE socket).

Everything runs in this process: a livecart app, a WHIP publisher and a WHEP viewer, which do nothing
while a writer runs (the event loop is busy with it): the viewer does not read, and the kernel drops
what overflows its buffer (the sender never waits). A "frame" is what the relay hands each viewer:
720p30 VP8 at ~1.5 Mbit/s is about 6.2 KB a frame (5 full packets and a shorter last one), Opus one
~120-byte packet every 20 ms. The CPU is this thread's (user + system, the kernel's send included),
the best of the repeats.

    python -m bench.video_send [--frames 2000] [--repeats 5] [--paths native,python]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.harness import ADMIN_TOKEN, Row, format_table, free_port
from livecart.app import create_app
from livecart.config import Settings
from livecart.keys import SERVICES
from livecart.media.aiortc_adapter import SenderTap
from livecart.media.clients import WhepViewer, WhipPublisher
from livecart.media.native_writer import NATIVE, PYTHON, NativeRtpWriter, native_available
from livecart.media.rtp_writer import OutFrame, RtpWriter, SendTime, ViewerWriter, WriteResult
from livecart.media.synthetic import EncodedLoopTrack, encode_clip

VIDEO_PACKETS = (1100,) * 5 + (700,)  # ~6.2 KB: one 720p frame at 1.5 Mbit/s, 30 fps
AUDIO_PACKETS = (120,)
VIDEO_FPS, AUDIO_FPS = 30, 50
COLUMNS = (
    "variant",
    "us_per_video_frame",
    "us_per_audio_frame",
    "us_per_packet",
    "send_cores_per_viewer",
    "viewers_per_core_send_only",
    "machine_load_1m",
)


async def _post(http: aiohttp.ClientSession, url: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    async with http.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) as response:
        response.raise_for_status()
        result: dict[str, Any] = await response.json()
        return result


def _frames(kind: str, sizes: Sequence[int], count: int, step: int) -> list[OutFrame]:
    distinct = [tuple(os.urandom(size) for size in sizes) for _ in range(8)]
    return [OutFrame(kind, distinct[i % len(distinct)], i * step, i == 0, sum(sizes)) for i in range(count)]


def _cpu_us_per_frame(writer: ViewerWriter, frames: Sequence[OutFrame], kind: str) -> float:
    """The writes run inside one C iterator per kind, so that under valgrind's callgrind the inclusive
    instruction count of `starmap_next` (video; divide by its calls) and of `functools_reduce` (audio;
    divide by the frames) is exactly the writer's work, repeatable on a loaded machine."""
    when = SendTime.now()  # read once per frame for all viewers by the relay: not a per-viewer cost
    calls = [(frame, when) for frame in frames]
    started = time.thread_time()
    if kind == "video":
        refused = sum(result is not WriteResult.SENT for result in list(itertools.starmap(writer.write, calls)))
    else:

        def write_one(refused: int, call: tuple[OutFrame, SendTime]) -> int:
            return refused + (writer.write(*call) is not WriteResult.SENT)

        refused = functools.reduce(write_one, calls, 0)
    cpu = time.thread_time() - started
    if refused:
        raise RuntimeError("the viewer's socket refused a frame: the measurement would be wrong")
    return cpu / len(frames) * 1e6


async def measure(paths: Sequence[str], frames: int, repeats: int) -> list[Row]:
    workdir = Path(tempfile.mkdtemp(prefix="livecart-send-"))
    app = create_app(Settings(store=f"sqlite:///{workdir / 'bench.db'}", admin_token=ADMIN_TOKEN, max_viewers=10))
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            host = await _post(http, f"{base}/api/hosts", {"name": "Send Bench"}, ADMIN_TOKEN)
            show = await _post(http, f"{base}/api/shows", {"title": "Send bench"}, host["token"])
            clip = encode_clip("vp8", 320, 240, 30, gop=30)
            publisher = await WhipPublisher.start(
                http, f"{base}/whip/{show['id']}", host["token"], EncodedLoopTrack(clip)
            )
            viewer = await WhepViewer.start(http, f"{base}/whep/{show['id']}", decode=False)
            deadline = time.monotonic() + 20
            while viewer.stats.video_frames == 0:
                if time.monotonic() > deadline:
                    raise RuntimeError("the viewer got no video")
                await asyncio.sleep(0.1)
            broadcast = app[SERVICES].media.broadcast(show["id"])
            assert broadcast is not None
            tap = next(t for v in broadcast.viewers.values() for t in v.tracks if t.kind == "video")._tap
            assert tap is not None
            video = _frames("video", VIDEO_PACKETS, frames, 3000)
            audio = _frames("audio", AUDIO_PACKETS, frames, 960)
            best: dict[str, tuple[float, float]] = {}
            # one writer per path for all repeats: pylibsrtp refuses sequence numbers far behind its last
            writers = {path: _writer(path, tap) for path in paths}
            for _ in range(repeats):
                for path, writer in writers.items():
                    result = (_cpu_us_per_frame(writer, video, "video"), _cpu_us_per_frame(writer, audio, "audio"))
                    await asyncio.sleep(0.05)  # let the viewer's loop read what its buffer kept
                    best[path] = min(best.get(path, result), result)
            for writer in writers.values():
                writer.close()
            await viewer.stop()
            await publisher.stop()
    finally:
        await runner.cleanup()
    return [_row(path, *best[path]) for path in paths]


def _writer(path: str, tap: SenderTap) -> ViewerWriter:
    return NativeRtpWriter(tap) if path == NATIVE else RtpWriter(tap)


def _row(path: str, video_us: float, audio_us: float) -> Row:
    per_second_us = VIDEO_FPS * video_us + AUDIO_FPS * audio_us
    packets_per_second = VIDEO_FPS * len(VIDEO_PACKETS) + AUDIO_FPS * len(AUDIO_PACKETS)
    return {
        "area": "video",
        "variant": f"send-{path}",
        "rtp_path": path,
        "us_per_video_frame": round(video_us, 2),
        "us_per_audio_frame": round(audio_us, 2),
        "us_per_packet": round(per_second_us / packets_per_second, 2),
        "send_cores_per_viewer": round(per_second_us / 1e6, 5),
        "viewers_per_core_send_only": round(1e6 / per_second_us),
        "machine_load_1m": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.video_send", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=2000, help="frames per measurement (default 2000)")
    parser.add_argument("--repeats", type=int, default=5, help="measurements per path; the best counts (default 5)")
    parser.add_argument("--paths", default="native,python", help="native,python (default both)")
    args = parser.parse_args(argv)
    paths = [p for p in args.paths.split(",") if p]
    if NATIVE in paths and not native_available():
        print("send call: the C fast path is not built here; measuring the Python path only")
        paths = [p for p in paths if p != NATIVE]
    unknown = set(paths) - {NATIVE, PYTHON}
    if unknown:
        parser.error(f"unknown paths: {', '.join(sorted(unknown))}")
    rows = asyncio.run(measure(paths, args.frames, args.repeats))
    by_path = {row["rtp_path"]: row for row in rows}
    if NATIVE in by_path and PYTHON in by_path:
        rows.append(
            {
                "area": "video",
                "variant": "send-python/native",
                "us_per_packet": round(by_path[PYTHON]["us_per_packet"] / by_path[NATIVE]["us_per_packet"], 1),
            }
        )
    print(format_table("send call: CPU per viewer (720p30 VP8 6 packets/frame + Opus; best of repeats)", rows, COLUMNS))
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
