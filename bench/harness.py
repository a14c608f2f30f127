"""What every benchmark shares: a livecart server in its own process, CPU and memory read from /proc,
separate load-generator processes, summaries, the results table and the JSON file.

Conventions for result rows (dicts), so the table, JSON and plot treat all areas alike:
- every row has `area` ("video" | "chat" | "chat-cluster" | "checkout") and `variant` (what is compared, e.g.
  "forward-native", "forward-python", "reencode", "livecart", "socketio", "raw-ws", "sqlite", "redis");
- video rows: `viewers`, `server_cores` (CPU-seconds per second of the server process),
  `fps_min`, `fps_median`, `first_frame_ms_p95` …;
- chat rows: `clients`, `us_per_delivery`, `p50_ms`, `p99_ms`, `rss_per_client_kb` …;
- chat-cluster rows (variant "processes" | "workers"): `nodes`, `deliveries_per_s`, `per_core_s`,
  cores of each party, and the ladder's `steps`;
- checkout rows: `store`, `buyers`, `stock`, `checkouts_per_s`, `p50_ms`, `p99_ms`, `oversold`.
Repeats are summarised as `{"min": …, "median": …, "max": …}` dicts so noisy runs stay visible.
"""

from __future__ import annotations

import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
ADMIN_TOKEN = "bench-admin-token-0123456789"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

Row = dict[str, Any]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@dataclass
class CpuMeter:
    """CPU-seconds a process spends between start() and stop(), and the wall time it took."""

    pid: int
    _cpu: float = 0.0
    _wall: float = 0.0
    cpu: float = 0.0
    wall: float = 0.0

    def start(self) -> CpuMeter:
        self._cpu, self._wall = cpu_seconds(self.pid), time.perf_counter()
        return self

    def stop(self) -> CpuMeter:
        self.cpu = cpu_seconds(self.pid) - self._cpu
        self.wall = time.perf_counter() - self._wall
        return self

    @property
    def cores(self) -> float:
        """Average cores used over the interval (CPU-seconds per second)."""
        return self.cpu / self.wall if self.wall else 0.0


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    admin_token: str = ADMIN_TOKEN
    workdir: Path = field(default_factory=Path)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_server(store: str | None = None, env: Mapping[str, str] | None = None, *args: str) -> Server:
    """`python -m livecart serve` on a free port in its own process; returns once /healthz answers.

    `store` defaults to a fresh SQLite file in a temporary directory.
    """
    workdir = Path(tempfile.mkdtemp(prefix="livecart-bench-"))
    port = free_port()
    log = workdir / "server.log"
    full_env = {
        **os.environ,
        "LIVECART_ADMIN_TOKEN": ADMIN_TOKEN,
        "LIVECART_STORE": store or f"sqlite:///{workdir / 'bench.db'}",
        "LIVECART_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "livecart", "serve", "--port", str(port), *args],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    server = Server(url=f"http://127.0.0.1:{port}", port=port, process=process, log=log, workdir=workdir)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        with suppress(OSError), urllib.request.urlopen(f"{server.url}/healthz", timeout=1) as response:
            if response.status == 200:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not answer /healthz:\n{log.read_text()}")


def spawn_worker(module: str, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    """A load generator `python -m MODULE ARGS` in its own process, speaking JSON lines on stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def stop_worker(process: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """Close a worker's pipes (EOF on its stdin) and wait for it, killing it when it does not exit."""
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with suppress(OSError):
                pipe.close()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def read_json_line(process: subprocess.Popen[str], timeout: float = 120) -> Any:
    """The next JSON line a worker prints (lines that are not JSON are passed through to stderr)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker exited with {process.wait()}")
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            sys.stderr.write(line)
    raise TimeoutError("worker did not answer")


def send_json_line(process: subprocess.Popen[str], message: Any) -> None:
    assert process.stdin is not None
    process.stdin.write(json.dumps(message) + "\n")
    process.stdin.flush()


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0–100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def spread(values: Iterable[float]) -> dict[str, float]:
    """min / median / max over repeats, so a noisy run shows as a wide spread."""
    items = list(values)
    if not items:
        return {"min": float("nan"), "median": float("nan"), "max": float("nan")}
    return {"min": min(items), "median": statistics.median(items), "max": max(items)}


def _cell(value: Any) -> str:
    if isinstance(value, dict) and {"min", "median", "max"} <= value.keys():
        return f"{_cell(value['median'])} [{_cell(value['min'])}–{_cell(value['max'])}]"
    if isinstance(value, float):
        if value != value:
            return "–"
        magnitude = abs(value)
        return f"{value:.0f}" if magnitude >= 100 else f"{value:.2f}" if magnitude >= 1 else f"{value:.3f}"
    return str(value)


def format_table(title: str, rows: Sequence[Row], columns: Sequence[str]) -> str:
    """A plain-text table of the given columns (medians with [min–max] for repeated measurements)."""
    cells = [[_cell(row.get(column, "")) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    lines = [title, "  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(lines)


def git_revision() -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        )
    except OSError:
        return "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=5)
    return result.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "") if result.returncode == 0 else "unknown"


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_revision": git_revision(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_results(name: str, rows: Sequence[Row], out_dir: Path = RESULTS_DIR) -> Path:
    """Write `<name>.json` (machine facts + rows) and, when matplotlib is there, `<name>.png`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), "rows": list(rows)}, indent=2, default=str))
    from bench.plot import plot_results

    plot_results(rows, out_dir / f"{name}.png")
    return path
