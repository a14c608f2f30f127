"""Chat fan-out: server CPU per delivered message, latency and memory per connection.

Variants, each measured with the same clients (in separate worker processes) in one run:
- `raw-ws`: aiohttp websockets, `await ws.send_bytes(frame)` per client in a loop — the floor;
- `socketio`: stock python-socketio `emit` to a room (AsyncManager);
- `fast-manager`: livecart's engine + `FastManager`, same emits as `socketio`;
- `livecart`: the real `livecart serve`: a viewer sends chat messages over Socket.IO, the room
  batches them into frames (LIVECART_CHAT_FRAME_MS) and fans them out to everyone who joined.
- `--mixed` adds `fast-mixed` and `livecart-mixed`: the same with half the clients on Socket.IO's
  default JSON parser and half on msgpack, so each frame is encoded twice (once per parser) and
  written as text to one half and binary to the other.
`deliveries` = frames the clients got, `received` = chat messages in them (a livecart frame may carry
several: fewer deliveries than clients × messages with `received` complete is batching, not loss).
`us_per_delivery` = server CPU-µs / (frames delivered to clients), `us_per_message` = server CPU-µs /
(chat messages received by clients; a livecart frame may carry several); `x_raw` compares
`us_per_delivery` with `raw-ws`.
Latency is from the sender's clock to the worker's receipt (same machine), so it includes batching
for `livecart` and the workers' own queueing.

`python -m bench chat [--viewers N] [--messages M] [--quick] [--mixed]`
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from bench.harness import (
    ROOT,
    CpuMeter,
    Row,
    format_table,
    free_port,
    percentile,
    read_json_line,
    rss_bytes,
    spawn_worker,
    start_server,
    stop_worker,
)

CLIENTS_PER_WORKER = 2500
COLUMNS = (
    "variant",
    "clients",
    "messages",
    "deliveries",
    "received",
    "us_per_delivery",
    "us_per_message",
    "x_raw",
    "p50_ms",
    "p99_ms",
    "rss_per_client_kb",
    "server_cpu_s",
    "client_cpu_s",
)


def post_json(url: str, body: Any, token: str | None = None, timeout: float = 120) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


class Workers:
    """Load worker processes (≤ CLIENTS_PER_WORKER clients each) for one server."""

    def __init__(
        self, url: str, mode: str, clients: int, show_id: str = "", sender_token: str = "", mixed: bool = False
    ) -> None:
        """`mixed`: half the clients (every other worker) use the JSON parser (`eio-json`)."""
        count = max(2 if mixed else 1, math.ceil(clients / CLIENTS_PER_WORKER))
        if mixed:
            count += count % 2
        sizes = [clients // count + (1 if i < clients % count else 0) for i in range(count)]
        self.processes = []
        for i, size in enumerate(sizes):
            worker_mode = "eio-json" if mixed and i % 2 else mode
            args = ["--url", url, "--mode", worker_mode, "--clients", str(size)]
            if show_id:
                args += ["--show", show_id]
            if sender_token and i == 0:
                args += ["--sender-token", sender_token]
            self.processes.append(spawn_worker("bench.chat_clients", *args))
        for process in self.processes:
            read_json_line(process, timeout=300)

    def ask(self, command: str, process_index: int | None = None) -> list[Any]:
        targets = self.processes if process_index is None else [self.processes[process_index]]
        for process in targets:
            assert process.stdin is not None
            process.stdin.write(command + "\n")
            process.stdin.flush()
        return [read_json_line(process, timeout=300) for process in targets]

    def wait_for_messages(self, expected: int, timeout_s: float) -> int:
        deadline = time.monotonic() + timeout_s
        received = 0
        while time.monotonic() < deadline:
            received = sum(s["messages"] for s in self.ask("status"))
            if received >= expected:
                break
            time.sleep(0.05)
        return received

    def close(self) -> None:
        for process in self.processes:
            with suppress(OSError):
                assert process.stdin is not None
                process.stdin.write("quit\n")
                process.stdin.flush()
        for process in self.processes:
            stop_worker(process)


def summarize(
    variant: str,
    clients: int,
    messages: int,
    meter: CpuMeter,
    reports: list[Any],
    rss_delta: int,
    raw_us: float | None,
    client_meters: Sequence[CpuMeter] = (),
) -> Row:
    frames = sum(r["frames"] for r in reports)
    received = sum(r["messages"] for r in reports)
    latencies = [lat for r in reports for lat in r["latencies_ms"]]
    us = meter.cpu * 1e6 / frames if frames else float("nan")
    return {
        "area": "chat",
        "variant": variant,
        "clients": clients,
        "messages": messages,
        "deliveries": frames,
        "received": received,
        "us_per_delivery": us,
        "us_per_message": meter.cpu * 1e6 / received if received else float("nan"),
        "x_raw": us / raw_us if raw_us else 1.0,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "rss_per_client_kb": rss_delta / clients / 1024,
        "server_cpu_s": meter.cpu,
        # the load generator's CPU over the same time: on one machine it competes with the server
        "client_cpu_s": sum(m.cpu for m in client_meters),
    }


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_bench_server(variant: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.chat_server", "--variant", variant, "--port", str(port)], cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with suppress(OSError), urllib.request.urlopen(f"{url}/healthz", timeout=1):
            return process, url
        time.sleep(0.1)
    stop(process)
    raise RuntimeError("bench server did not start")


def measure_emit_variant(
    variant: str,
    label: str,
    clients: int,
    messages: int,
    interval_ms: int,
    raw_us: float | None,
    mixed: bool = False,
) -> Row:
    process, url = start_bench_server(variant)
    try:
        rss_before = rss_bytes(process.pid)
        workers = Workers(url, "raw" if variant == "raw" else "eio", clients, show_id="bench", mixed=mixed)
        try:
            time.sleep(1.0)
            rss_delta = rss_bytes(process.pid) - rss_before
            meter = CpuMeter(process.pid).start()
            client_meters = [CpuMeter(p.pid).start() for p in workers.processes]
            post_json(f"{url}/emit?n={messages}&interval_ms={interval_ms}", {})
            workers.wait_for_messages(messages * clients, timeout_s=120)
            meter.stop()
            for client_meter in client_meters:
                client_meter.stop()
            reports = workers.ask("report")
        finally:
            workers.close()
    finally:
        stop(process)
    return summarize(label, clients, messages, meter, reports, rss_delta, raw_us, client_meters)


def measure_livecart(clients: int, messages: int, frame_ms: int, raw_us: float | None, mixed: bool = False) -> Row:
    env = {
        "LIVECART_CHAT_RATE": "100000/1",
        "LIVECART_CHAT_FRAME_MS": str(frame_ms),
        # the default socket cap (5,000 per process) would refuse a 10,000-viewer room with 503
        "LIVECART_MAX_SOCKETS": str(clients + 100),
    }
    with start_server(env=env) as server:
        admin = server.admin_token
        host = post_json(f"{server.url}/api/hosts", {"name": "Bench Host"}, admin)
        show = post_json(f"{server.url}/api/shows", {"title": "Bench show"}, host["token"])
        sender = post_json(f"{server.url}/api/viewers", {"name": "Bench"})
        rss_before = rss_bytes(server.pid)
        workers = Workers(server.url, "eio", clients, show_id=show["id"], sender_token=sender["token"], mixed=mixed)
        try:
            time.sleep(1.0)
            rss_delta = rss_bytes(server.pid) - rss_before
            meter = CpuMeter(server.pid).start()
            client_meters = [CpuMeter(p.pid).start() for p in workers.processes]
            # one message per frame interval: each frame carries about one message, as in the emit variants
            workers.ask("chat " + json.dumps({"count": messages, "interval_ms": frame_ms * 1.1}), 0)
            workers.wait_for_messages(messages * (clients + 1), timeout_s=120)
            meter.stop()
            for client_meter in client_meters:
                client_meter.stop()
            reports = workers.ask("report")
        finally:
            workers.close()
    label = "livecart-mixed" if mixed else "livecart"
    return summarize(label, clients, messages, meter, reports, rss_delta, raw_us, client_meters)


LARGE_ABOVE = 2000  # steps with more clients run only `--large-variants`


def measure_step(viewers: int, messages: int, frame_ms: int, wanted: list[str], *, mixed: bool) -> list[Row]:
    """Every wanted variant at one client count, the raw loop first (the others' `x_raw` divides by it)."""
    rows: list[Row] = []
    raw_us: float | None = None
    if "raw" in wanted:
        rows.append(measure_emit_variant("raw", "raw-ws", viewers, messages, frame_ms, None))
        raw_us = rows[-1]["us_per_delivery"]
    if "socketio" in wanted:
        rows.append(measure_emit_variant("socketio", "socketio", viewers, messages, frame_ms, raw_us))
    if "fast" in wanted:
        rows.append(measure_emit_variant("fast", "fast-manager", viewers, messages, frame_ms, raw_us))
    if "fast" in wanted and mixed:
        rows.append(measure_emit_variant("fast", "fast-mixed", viewers, messages, frame_ms, raw_us, mixed=True))
    if "livecart" in wanted:
        rows.append(measure_livecart(viewers, messages, frame_ms, raw_us))
        if mixed:
            rows.append(measure_livecart(viewers, messages, frame_ms, raw_us, mixed=True))
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(
        prog="python -m bench chat", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--viewers",
        default="2000,10000",
        help="connected clients per variant, comma-separated steps (default 2000,10000: issue 21's one room of "
        "10,000 viewers in one process)",
    )
    parser.add_argument("--messages", type=int, default=20, help="chat frames per variant (default 20)")
    parser.add_argument(
        "--frame-ms",
        type=int,
        default=200,
        help="time between frames: the emit interval, and livecart's chat frame interval",
    )
    parser.add_argument("--variants", default="raw,socketio,fast,livecart")
    parser.add_argument(
        "--large-variants",
        default="raw,livecart",
        help="variants measured at steps above 2,000 clients (stock python-socketio needs ~20 s of CPU per "
        "10,000-client frame run; the raw loop is the baseline, livecart the subject)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer messages")
    parser.add_argument(
        "--mixed", action="store_true", help="also fast-mixed and livecart-mixed: half JSON, half msgpack clients"
    )
    args = parser.parse_args(argv)
    messages = min(args.messages, 10) if args.quick else args.messages
    rows: list[Row] = []
    for viewers in (int(step) for step in str(args.viewers).split(",")):
        variants = args.variants if viewers <= LARGE_ABOVE else args.large_variants
        step = measure_step(viewers, messages, args.frame_ms, variants.split(","), mixed=args.mixed)
        print(format_table(f"chat fan-out, {viewers} clients, {messages} frames each", step, COLUMNS), flush=True)
        rows += step
    return rows


if __name__ == "__main__":
    main()
