"""Where an idle live viewer's memory goes: `livecart serve` under tracemalloc, N joined viewers, the
allocations they added grouped by source line (docs/live.md, "Memory per idle viewer").

`python -m bench.chat_memory --viewers 2000 [--top 25] [--traceback]`

The server runs in its own process with tracemalloc on (`serve` role, below) and writes a snapshot
when sent SIGUSR1: one after 20 warm-up viewers (lazy one-time allocations), one after N more joined
viewers (bench.chat_load's cheap clients, in another process), one after those N left (what stays:
dict and set capacity, not objects). Printed: RSS and traced bytes per viewer, then the largest
differences per viewer. tracemalloc inflates RSS; `python -m bench chat` measures RSS without it.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path
from typing import Any

from bench.chat import post_json
from bench.harness import ADMIN_TOKEN, ROOT, free_port, rss_bytes

SNAPSHOT_ENV = "LIVECART_BENCH_SNAPSHOT"


def serve(port: int) -> int:
    """The server role: livecart serve with tracemalloc, a snapshot to $LIVECART_BENCH_SNAPSHOT.N per SIGUSR1."""
    tracemalloc.start(8)
    taken = [0]
    target = os.environ[SNAPSHOT_ENV]

    def snapshot(*_: Any) -> None:
        gc.collect()
        taken[0] += 1
        tracemalloc.take_snapshot().dump(f"{target}.tmp")
        os.rename(f"{target}.tmp", f"{target}.{taken[0]}")

    signal.signal(signal.SIGUSR1, snapshot)
    from livecart.cli import main as livecart_main

    return livecart_main(["serve", "--port", str(port)])


def viewers(url: str, show_id: str, count: int) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "bench.chat_load", "--role", "receive", "--urls", url, "--show", show_id]
    process = subprocess.Popen(
        [*command, "--clients", str(count), "--sample-every", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    process.stdout.readline()  # {"ready": n}
    return process


def quit_viewers(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.write("quit\n")
    process.stdin.flush()
    process.wait(timeout=60)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.chat_memory", description=__doc__)
    parser.add_argument("--viewers", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25, help="largest differences shown")
    parser.add_argument("--traceback", action="store_true", help="group by 8-frame traceback, not by line")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the server role, on this port
    args = parser.parse_args(argv)
    if args.serve:
        sys.exit(serve(args.serve))
    workdir = Path(tempfile.mkdtemp(prefix="livecart-memory-"))
    snapshots = workdir / "snapshot"
    port = free_port()
    env = {
        **os.environ,
        "LIVECART_ADMIN_TOKEN": ADMIN_TOKEN,
        "LIVECART_STORE": f"sqlite:///{workdir / 'bench.db'}",
        "LIVECART_LOG_LEVEL": "WARNING",
        "LIVECART_MAX_SOCKETS": str(args.viewers + 100),
        SNAPSHOT_ENV: str(snapshots),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.chat_memory", "--serve", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"

    def take(n: int) -> tracemalloc.Snapshot:
        server.send_signal(signal.SIGUSR1)
        path = Path(f"{snapshots}.{n}")
        while not path.exists():
            time.sleep(0.2)
        return tracemalloc.Snapshot.load(str(path)).filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])

    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        host = post_json(f"{url}/api/hosts", {"name": "Bench Host"}, ADMIN_TOKEN)
        show = post_json(f"{url}/api/shows", {"title": "Bench show"}, host["token"])
        warm = viewers(url, show["id"], 20)
        time.sleep(1)
        before, rss_before = take(1), rss_bytes(server.pid)
        crowd = viewers(url, show["id"], args.viewers)
        time.sleep(2)
        during, rss_during = take(2), rss_bytes(server.pid)
        quit_viewers(crowd)
        time.sleep(5)
        after = take(3)
        quit_viewers(warm)
    finally:
        server.terminate()
        server.wait(timeout=30)
    n = args.viewers
    added = during.compare_to(before, "traceback" if args.traceback else "lineno")
    traced = sum(d.size_diff for d in added)
    print(f"{n} idle joined viewers: RSS +{(rss_during - rss_before) / n / 1024:.2f} KiB each (with tracemalloc on),")
    print(f"Python heap +{traced / n / 1024:.2f} KiB each; largest differences per viewer:")
    for diff in added[: args.top]:
        print(f"{diff.size_diff / n:9.0f} B {diff.count_diff / n:6.2f} blocks  {diff.traceback}")
        if args.traceback:
            for line in diff.traceback.format()[-12:]:
                print("        ", line)
    left = after.compare_to(before, "lineno")
    print(f"after they left: {sum(d.size_diff for d in left) / 1024:.0f} KiB more than before they came,")
    print(f"{sum(d.count_diff for d in left)} more blocks (capacity of dicts and sets, not objects, when ~0)")


if __name__ == "__main__":
    main()
