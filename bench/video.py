"""Video benchmark: server CPU per viewer for livecart's forwarding relay — with its C fast path
(`forward-native`) and with its pure-Python RTP writer (`forward-python`, LIVECART_MEDIA_FASTPATH=off),
side by side in one run — vs aiortc's stock MediaRelay (which re-encodes per viewer), viewers per core at
720p30 with the fps each viewer gets, a late joiner's time to first frame, and the send call's CPU per
packet per viewer on both paths (bench/video_send.py).

Every party has its own process: the server (`livecart serve`, or bench/video_reencode_server.py for
the stock fan-out), one publisher and the viewer crowds (bench/video_peers.py; viewers are dealt
round-robin over `--crowds` processes). The publisher loops a pre-encoded 720p VP8 clip with a
keyframe every 2 s and ignores PLI, as OBS does; viewers do not decode: they count the frames that
arrive complete (every RTP packet, after SRTP). Server CPU comes from /proc. Each forwarding row names
the RTP path the server reported on /metrics (`livecart_media_rtp_path`).

The forwarding server runs once per RTP path (`--paths native,python`) with recording off
(LIVECART_RECORDINGS empty), and once more on the first path recording the show to a WebM file
(`forward-native+rec`, livecart/media/recorder.py); `--recording off|on|both` picks them.

    python -m bench video [--quick] [--viewers 25,50,100,150] [--paths native,python] [--reencode-viewers 1,2]
                          [--seconds 6] [--crowds 2] [--recording both] [--send-frames 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from bench import video_send
from bench.harness import (
    ADMIN_TOKEN,
    CpuMeter,
    Row,
    format_table,
    free_port,
    percentile,
    read_json_line,
    send_json_line,
    spawn_worker,
    start_server,
    stop_worker,
)

WIDTH, HEIGHT, FPS = 1280, 720, 30
CLIP_FRAMES, GOP_FRAMES = 120, 60
SETTLE_SECONDS = 2.0
LATE_JOINERS = 10
JOIN_SPACING_SECONDS = 0.02  # viewers arrive 50 a second, not all in the same instant
COLUMNS = (
    "variant",
    "rtp_path",
    "viewers",
    "server_cores",
    "cores_per_viewer",
    "viewers_per_core",
    "fps_min",
    "fps_median",
    "incomplete_frames",
    "first_frame_ms_p95",
    "load_cores",
    "machine_load_1m",
    "recorded_mb",
    "frame_lag_ms_p95",
    "frames_shed",
    "viewers_lost",
    "saturated",
)
# A viewer's frames this much later than its earliest ones (the relay sheds its own past 250 ms): the
# step measured a starved process, not the relay (see `verdict`).
LATE_FRAME_MS = 250.0
LATE_LOOP_MS = 500.0  # aioice's consent checks give an answer 0.5 s


def _post_json(url: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def _ask(worker: subprocess.Popen[str], timeout: float = 300, **command: Any) -> Any:
    send_json_line(worker, command)
    answer = read_json_line(worker, timeout=timeout)
    if isinstance(answer, dict) and "error" in answer:
        raise RuntimeError(f"{command['cmd']}: {answer['error']}")
    return answer


class Scenario:
    """One server with one publisher and a growing crowd of viewers, measured step by step."""

    def __init__(
        self,
        variant: str,
        server_pid: int,
        whip_url: str,
        whep_url: str,
        token: str,
        seconds: float,
        crowds: int,
        rtp_path: str = "",
        metrics_url: str = "",
    ) -> None:
        self.variant = variant
        self.metrics_url = metrics_url
        self.rtp_path = rtp_path
        self.server_pid = server_pid
        self.whep_url = whep_url
        self.seconds = seconds
        self.publisher = spawn_worker("bench.video_peers")
        self.crowds = [spawn_worker("bench.video_peers") for _ in range(crowds)]
        self.per_crowd = [0] * crowds
        self.viewers = 0
        self.baseline = 0.0
        _ask(
            self.publisher,
            cmd="publish",
            url=whip_url,
            token=token,
            codec="vp8",
            width=WIDTH,
            height=HEIGHT,
            frames=CLIP_FRAMES,
            gop=GOP_FRAMES,
        )
        time.sleep(SETTLE_SECONDS)

    def measure(self, first_frame_ms: Sequence[float | None] = ()) -> Row:
        busy = [crowd for crowd, count in zip(self.crowds, self.per_crowd, strict=True) if count]
        server = CpuMeter(self.server_pid).start()
        loads = [CpuMeter(crowd.pid).start() for crowd in self.crowds]
        fps: list[float] = []
        incomplete = lost = 0
        frame_lag: list[float] = []
        loop_lag = 0.0
        shed_before = self._shed()
        if busy:
            for crowd in busy:
                send_json_line(crowd, {"cmd": "measure", "seconds": self.seconds})
            for crowd in busy:
                measured = read_json_line(crowd, timeout=self.seconds + 60)
                fps += measured["fps"]
                incomplete += measured["incomplete_frames"]
                lost += measured["lost"]
                frame_lag += measured["frame_lag_ms"]
                loop_lag = max(loop_lag, measured["loop_lag_ms_max"])
        else:
            time.sleep(self.seconds)
        server.stop()
        for meter in loads:
            meter.stop()
        if not self.viewers:
            self.baseline = server.cores
        added = server.cores - self.baseline
        arrived = [ms for ms in first_frame_ms if ms is not None]
        shed = self._shed() - shed_before if self.metrics_url else None
        lag_p95 = percentile(frame_lag, 95) if frame_lag else 0.0
        return {
            "frame_lag_ms_p95": round(lag_p95, 1),
            "loop_lag_ms_max": loop_lag,
            "viewers_lost": lost,
            "frames_shed": shed if shed is not None else "",
            "saturated": verdict(lag_p95, loop_lag, shed),
            "area": "video",
            "variant": self.variant,
            "rtp_path": self.rtp_path,
            "viewers": self.viewers,
            "server_cores": round(server.cores, 3),
            "cores_per_viewer": round(added / self.viewers, 4) if self.viewers else float("nan"),
            "viewers_per_core": round(self.viewers / server.cores, 1) if self.viewers else float("nan"),
            "fps_min": round(min(fps), 1) if fps else float("nan"),
            "fps_median": round(statistics.median(fps), 1) if fps else float("nan"),
            "first_frame_ms_p95": percentile(arrived, 95) if arrived else float("nan"),
            "never_got_a_frame": len(first_frame_ms) - len(arrived),
            "incomplete_frames": incomplete,
            "load_cores": round(sum(meter.cores for meter in loads), 3),
            "machine_load_1m": round(os.getloadavg()[0], 2),
            "width": WIDTH,
            "height": HEIGHT,
        }

    def _shed(self) -> int:
        """The server's livecart_media_frames_shed_total (0 for a server without it)."""
        if not self.metrics_url:
            return 0
        with urllib.request.urlopen(self.metrics_url, timeout=10) as response:
            found = re.search(r"^livecart_media_frames_shed_total (\S+)", response.read().decode(), re.MULTILINE)
        return int(float(found.group(1))) if found else 0

    def grow_to(self, viewers: int, spacing: float = 0.0) -> dict[str, list[float | None]]:
        """Add viewers one crowd process at a time, keeping the crowds even; the joins interleave."""
        counts = [0] * len(self.crowds)
        for index in range(self.viewers, viewers):
            counts[index % len(self.crowds)] += 1
        joining = [(crowd, count) for crowd, count in zip(self.crowds, counts, strict=True) if count]
        for crowd, count in joining:
            send_json_line(
                crowd, {"cmd": "join", "url": self.whep_url, "count": count, "spacing": spacing * len(joining)}
            )
        answer: dict[str, list[float | None]] = {"first_frame_ms": [], "after_connect_ms": []}
        for crowd, _ in joining:
            joined = read_json_line(crowd, timeout=300)
            if isinstance(joined, dict) and "error" in joined:
                raise RuntimeError(f"join: {joined['error']}")
            for key in answer:
                answer[key] += joined[key]
        self.per_crowd = [have + add for have, add in zip(self.per_crowd, counts, strict=True)]
        self.viewers = viewers
        time.sleep(SETTLE_SECONDS)
        return answer

    def close(self) -> None:
        for worker in (*self.crowds, self.publisher):
            with suppress(Exception):
                _ask(worker, timeout=30, cmd="stop")
            stop_worker(worker, timeout=10)


def verdict(frame_lag_ms_p95: float, loop_lag_ms_max: float, frames_shed: int | None) -> str:
    """Who ran out of CPU in a step: "server" when the relay shed frames that reached it late (its
    socket held a backlog), "crowd" when the viewers' frames came late (or their loop ran late) while
    the relay kept up, "" when neither. A "crowd" step measures the machine, not the relay: its viewers'
    fps and, after 30 s, their connections (ICE consent answered late) are lost in the crowd processes."""
    if frames_shed:
        return "server"
    if frame_lag_ms_p95 > LATE_FRAME_MS or loop_lag_ms_max > LATE_LOOP_MS:
        return "crowd"
    return ""


def late_join(scenario: Scenario, count: int) -> Row:
    """Viewers joining one by one (0.3 s apart) while the publisher ignores PLI: the GOP cache's job."""
    joined = scenario.grow_to(scenario.viewers + count, spacing=0.3)
    arrived = [ms for ms in joined["first_frame_ms"] if ms is not None]
    after_connect = [ms for ms in joined["after_connect_ms"] if ms is not None]
    return {
        "area": "video",
        "variant": f"{scenario.variant}-late-join",
        "viewers": count,
        "first_frame_ms_p50": percentile(arrived, 50),
        "first_frame_ms_p95": percentile(arrived, 95),
        "after_connect_ms_p50": percentile(after_connect, 50),
        "after_connect_ms_p95": percentile(after_connect, 95),
        "never_got_a_frame": len(joined["first_frame_ms"]) - len(arrived),
    }


def run(scenario: Scenario, steps: Sequence[int], late_joiners: int) -> list[Row]:
    """Measure with no viewer, then at each step; late joiners are measured after the first step
    (a light load), and then count towards the next steps."""
    rows = [scenario.measure()]
    try:
        for index, viewers in enumerate(steps):
            if viewers > scenario.viewers:
                first_frames = scenario.grow_to(viewers, spacing=JOIN_SPACING_SECONDS)["first_frame_ms"]
                rows.append(scenario.measure(first_frames))
                print(format_table(f"step: {scenario.variant}", rows[-1:], COLUMNS), flush=True)
                if rows[-1]["saturated"]:
                    print(
                        f"{scenario.variant}: at {viewers} viewers the {rows[-1]['saturated']} ran out of CPU "
                        f"(frame lag p95 {rows[-1]['frame_lag_ms_p95']} ms, {rows[-1]['frames_shed']} frames shed "
                        f"by the relay): this step measures the machine, not the relay"
                    )
                if not rows[-1]["fps_min"] > 0:
                    print(f"{scenario.variant}: some viewers got no frames at {viewers} viewers; not growing further")
                    rows[-1]["collapsed"] = True
                    return rows
            if index == 0 and late_joiners:
                rows.append(late_join(scenario, late_joiners))
    except RuntimeError as error:
        print(f"{scenario.variant}: stopped: {error}")
        rows.append({"area": "video", "variant": scenario.variant, "viewers": scenario.viewers, "error": str(error)})
    finally:
        scenario.close()
    return rows


def rtp_path_of(server_url: str) -> str:
    """The RTP path a server says it uses, from its /metrics (`livecart_media_rtp_path{path="..."} 1`)."""
    with urllib.request.urlopen(f"{server_url}/metrics", timeout=10) as response:
        text = response.read().decode()
    found = re.search(r'^livecart_media_rtp_path\{path="(\w+)"\} 1', text, re.MULTILINE)
    return found.group(1) if found else "unknown"


def forward(
    steps: Sequence[int], seconds: float, crowds: int, recording: bool = False, path: str = "native"
) -> list[Row]:
    """The forwarding relay with its C fast path (`native`) or its Python writer (`python`); with
    `recording`, the show is also recorded (beside the bench database)."""
    env = {
        "LIVECART_MAX_VIEWERS": "100000",
        # every viewer of the crowd comes from 127.0.0.1: the per-address WHEP offer limit would 429 them
        "LIVECART_WHEP_OFFER_RATE": "1000000/1",
        "LIVECART_PUBLISHER_GRACE_SECONDS": "60",
        "LIVECART_RECORDINGS": "recordings" if recording else "",
        "LIVECART_MEDIA_FASTPATH": "auto" if path == "native" else "off",
    }
    variant = f"forward-{path}" + ("+rec" if recording else "")
    with start_server(env=env) as server:
        reported = rtp_path_of(server.url)
        if reported != path:
            print(f"{variant}: the server runs the {reported} RTP path (is the C fast path built?); skipped")
            return []
        host = _post_json(f"{server.url}/api/hosts", {"name": "Bench Host"}, ADMIN_TOKEN)
        show = _post_json(f"{server.url}/api/shows", {"title": "Bench show"}, host["token"])
        scenario = Scenario(
            variant,
            server.pid,
            f"{server.url}/whip/{show['id']}",
            f"{server.url}/whep/{show['id']}",
            host["token"],
            seconds,
            crowds,
            rtp_path=reported,
            metrics_url=f"{server.url}/metrics",
        )
        rows = run(scenario, steps, LATE_JOINERS if not recording else 0)
        if recording:
            files = sorted((server.workdir / "recordings").glob(f"{show['id']}*"))
            written = sum(path.stat().st_size for path in files)
            for row in rows:
                row["recorded_mb"] = round(written / 1e6, 1)
            if not files:
                print(f"{variant}: no recording was written (see the server log)")
        return rows


def reencode(steps: Sequence[int], seconds: float, crowds: int) -> list[Row]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.video_reencode_server", str(port)])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with suppress(OSError), urllib.request.urlopen(f"{url}/healthz", timeout=1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the re-encoding reference server did not start")
            time.sleep(0.1)
        scenario = Scenario("reencode", process.pid, f"{url}/whip/x", f"{url}/whep/x", "-", seconds, crowds)
        return run(scenario, steps, late_joiners=0)
    finally:
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        if process.poll() is None:
            process.kill()


HEALTHY_FPS = 29.0


def summary(rows: Sequence[Row]) -> list[Row]:
    """Per forwarding path: the per-viewer cost at its largest healthy step (every viewer >= 29 fps) and
    how many times cheaper than re-encoding (with the recording overhead on the native path); and the
    Python path's server cores over the native path's at each step both measured."""

    def largest(variant: str) -> Row | None:
        healthy = [
            r
            for r in rows
            if r["variant"] == variant
            and r.get("viewers")
            and r.get("fps_min", 0) >= HEALTHY_FPS
            and r.get("cores_per_viewer", 0) > 0
        ]
        return max(healthy, key=lambda r: r["viewers"]) if healthy else None

    enc = largest("reencode")
    results: list[Row] = []
    for path in ("native", "python"):
        fwd = largest(f"forward-{path}")
        result: Row = {"area": "video", "variant": f"summary-{path}", "rtp_path": path}
        overheads = recording_overheads(rows, path)
        if overheads:
            result["recording_overhead_pct"] = overheads
        if fwd and enc and fwd["cores_per_viewer"] > 0:
            result["reencode_over_forward"] = round(enc["cores_per_viewer"] / fwd["cores_per_viewer"], 1)
        if fwd:
            result["forward_healthy_viewers"] = fwd["viewers"]
            result["forward_viewers_per_core"] = fwd["viewers_per_core"]
            result["forward_viewers_per_added_core"] = round(1 / fwd["cores_per_viewer"], 1)
            result["forward_fps_min"] = fwd["fps_min"]
        results.append(result)
    native = {r["viewers"]: r for r in rows if r["variant"] == "forward-native" and r.get("viewers")}
    for row in rows:
        twin = native.get(row.get("viewers", 0)) if row["variant"] == "forward-python" else None
        if twin is not None and twin.get("server_cores", 0) > 0 and "server_cores" in row:
            results.append(
                {
                    "area": "video",
                    "variant": "python/native",
                    "viewers": row["viewers"],
                    "server_cores": round(row["server_cores"] / twin["server_cores"], 2),
                }
            )
    return results


def recorder_alone(seconds: float = 20.0) -> Row:
    """The recorder without the network: `seconds` of the 720p clip plus Opus-sized audio frames queued
    and muxed to a WebM file in a temporary directory; CPU of the whole process (loop side and writer
    thread) per frame. Far below what one server-process measurement can resolve on a busy machine."""
    from livecart.media.recorder import Recordings
    from livecart.media.sdp import MediaCodec
    from livecart.media.synthetic import encode_clip

    clip = encode_clip("vp8", WIDTH, HEIGHT, CLIP_FRAMES, gop=GOP_FRAMES)
    codecs = {
        "video": MediaCodec(kind="video", mime_type="video/VP8", clock_rate=90000),
        "audio": MediaCodec(kind="audio", mime_type="audio/opus", clock_rate=48000, channels=2),
    }
    audio = os.urandom(120)  # ~48 kbit/s Opus
    with tempfile.TemporaryDirectory(prefix="livecart-bench-rec-") as directory:
        recordings = Recordings(Path(directory))
        recording = recordings.start("bench", codecs)
        assert recording is not None
        started = time.process_time()
        for index in range(int(seconds * FPS)):
            recording.write("video", clip[index % len(clip)], index * 3000, index % GOP_FRAMES == 0)
            for step in range(index * 5 // 3, (index + 1) * 5 // 3):  # 50 audio frames a second
                recording.write("audio", audio, step * 960, True)
        recordings.stop(recording)
        recording.join()
        cpu = time.process_time() - started
    per_frame_us = cpu * 1e6 / max(1, recording.frames_written)
    return {
        "area": "video",
        "variant": "recorder-alone",
        "frames": recording.frames_written,
        "recorded_mb": round(recording.bytes_written / 1e6, 1),
        "cpu_us_per_frame": round(per_frame_us, 1),
        "cores_at_30fps_with_audio": round(per_frame_us * (FPS + 50) / 1e6, 5),
        "failed": recording.failed or "",
    }


def recording_overheads(rows: Sequence[Row], path: str = "native") -> dict[int, float]:
    """How much more server CPU recording took, in percent, at each viewer count both variants ran."""

    def cores(variant: str) -> dict[int, float]:
        return {r["viewers"]: r["server_cores"] for r in rows if r["variant"] == variant and "server_cores" in r}

    off, on = cores(f"forward-{path}"), cores(f"forward-{path}+rec")
    return {
        viewers: round(100 * (on[viewers] - off[viewers]) / off[viewers], 1)
        for viewers in sorted(off.keys() & on.keys())
        if off[viewers] > 0
    }


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(
        prog="python -m bench video", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer viewers, shorter windows")
    parser.add_argument("--viewers", help="forwarding steps, comma-separated (default 25,50,100,150; quick 25,50)")
    parser.add_argument("--reencode-viewers", default="1,2", help="re-encode steps (default 1,2)")
    parser.add_argument("--seconds", type=float, help="measuring window per step (default 6; quick 4)")
    parser.add_argument("--crowds", type=int, default=2, help="viewer processes (default 2)")
    parser.add_argument(
        "--recording",
        choices=("off", "on", "both"),
        default="both",
        help="forward without recording, with it (forward-native+rec), or both side by side (default)",
    )
    parser.add_argument(
        "--paths",
        default="native,python",
        help="forwarding RTP paths to measure, in this order (default native,python)",
    )
    parser.add_argument(
        "--send-frames",
        type=int,
        default=2000,
        help="frames per send-call measurement (bench/video_send.py; 0: skip it)",
    )
    args = parser.parse_args(argv)
    paths = [p for p in args.paths.split(",") if p]
    if not paths or set(paths) - {"native", "python"}:
        parser.error("--paths takes native and/or python")
    steps = [int(n) for n in (args.viewers or ("25,50" if args.quick else "25,50,100,150")).split(",")]
    reencode_steps = [int(n) for n in args.reencode_viewers.split(",") if n]
    seconds = args.seconds or (4.0 if args.quick else 6.0)
    print(f"video: {WIDTH}x{HEIGHT}@{FPS} VP8, keyframe every {GOP_FRAMES} frames; {seconds:.0f} s per step")
    rows: list[Row] = []
    if args.recording in ("off", "both"):
        for path in paths:
            rows += forward(steps, seconds, args.crowds, path=path)
    if args.recording in ("on", "both"):
        rows += forward(steps, seconds, args.crowds, recording=True, path=paths[0])
        rows.append(recorder_alone())
    if reencode_steps:
        rows += reencode(reencode_steps, seconds, args.crowds)
    summaries = summary(rows)
    side_by_side = sorted(
        (r for r in rows if r["variant"].startswith("forward-") and "server_cores" in r),
        key=lambda r: (r["viewers"], r["variant"]),
    )
    print(
        format_table(
            "video: forwarding relay, native vs Python RTP path (and recording), side by side", side_by_side, COLUMNS
        )
    )
    reencoded = [r for r in rows if r["variant"] == "reencode"]
    if reencoded:
        print(format_table("video: stock MediaRelay re-encode", reencoded, COLUMNS))
    ratios = [r for r in summaries if r["variant"] == "python/native"]
    if ratios:
        print(
            format_table(
                "server cores, Python path over native path, same viewers",
                ratios,
                ("variant", "viewers", "server_cores"),
            )
        )
    alone = [r for r in rows if r["variant"] == "recorder-alone"]
    if alone:
        print(
            format_table(
                "the recorder alone (no network; process CPU per recorded frame)",
                alone,
                ("frames", "recorded_mb", "cpu_us_per_frame", "cores_at_30fps_with_audio", "failed"),
            )
        )
    late = [r for r in rows if r["variant"].endswith("late-join")]
    if late:
        print(
            format_table(
                "late joiners (publisher ignores PLI; GOP cache)",
                late,
                (
                    "variant",
                    "viewers",
                    "first_frame_ms_p50",
                    "first_frame_ms_p95",
                    "after_connect_ms_p50",
                    "after_connect_ms_p95",
                    "never_got_a_frame",
                ),
            )
        )
    print(
        format_table(
            "summary (largest step where every viewer got >= 29 fps)",
            [r for r in summaries if r["variant"].startswith("summary-")],
            (
                "variant",
                "reencode_over_forward",
                "forward_healthy_viewers",
                "forward_viewers_per_core",
                "forward_viewers_per_added_core",
                "forward_fps_min",
                "recording_overhead_pct",
            ),
        )
    )
    rows += summaries
    if args.send_frames > 0:
        rows += video_send.main(["--frames", str(args.send_frames), "--paths", ",".join(paths)])
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
