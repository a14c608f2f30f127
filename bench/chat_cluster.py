"""Chat capacity over several processes: one show, its viewers spread evenly over N livecart nodes
sharing one redis-server, the offered chat rate stepped up until the nodes saturate.

Topology per N (`--processes 1,2,3`):
- `processes`: N separate `livecart serve` processes on their own ports, one redis-server (store and
  Socket.IO fan-out). Receiver i connects to node i mod N.
- `workers` (`--modes processes,workers`): one `livecart serve --workers N` (SO_REUSEPORT); receivers
  connect to the shared port and the kernel spreads them, senders use each worker's direct port.

Load: receivers in `--receiver-processes` worker processes, and `--senders` sender connections
(default 6; sender i sends to node i mod N, so every node has its own senders) in one more process
(bench/chat_load.py); both the same for every N, so the load side does not change with N. One sender
alone is not enough: a connection's events are handled one after the other, each with a Redis round
trip for the mute check, so a single connection caps the rate before the node's CPU does.

The senders are **open-loop**: each step offers a target rate of chat messages per second for
`--step-s` seconds, on a fixed schedule that does not wait for the server. A closed loop (a window
of unacknowledged messages) would slow down with the server and report its throughput, but it hides
queueing: when the server falls behind, an open loop keeps offering and the backlog shows as
delivery latency and loss, which is what "saturated" means for a live chat. Latency is measured from
the time a message was *scheduled*, so a load generator that falls behind shows too (its lag is
reported).

Steps: first the fixed sub-saturation load (`--fixed-rate`, the same for every N: its p50/p99 are the
latency figures), then `--start-rate` × `--factor`^k until a step is saturated: deliveries lost
(> 0.1 % after a grace period), p99 above `--p99-limit-ms`, or the senders more than 100 ms behind
their schedule (the machine is full). A *delivery* is one chat message arriving at one receiver
(messages are batched into frames every `LIVECART_CHAT_FRAME_MS`; frames/s is reported too).

Per N it reports the deliveries/s at saturation (the most delivered per second in any step), the
CPU of each livecart process, of redis-server, of the senders and receivers (from /proc, cores =
CPU-seconds per second) and the machine's busy cores and load average, and `per_core_s`: deliveries
per livecart CPU-second, which shows what each process does with the CPU it gets even when the
machine is full.

`python -m bench chat-cluster [--processes 1,2,3] [--modes processes,workers] [--viewers N] [--quick]`
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.chat import post_json
from bench.harness import (
    CLOCK_TICKS,
    CpuMeter,
    Row,
    Server,
    format_table,
    free_port,
    machine,
    percentile,
    read_json_line,
    spawn_worker,
    start_server,
    stop_worker,
    write_results,
)

COLUMNS = (
    "variant",
    "nodes",
    "clients",
    "senders",
    "p50_ms",
    "p99_ms",
    "knee_rate",
    "limit",
    "deliveries_per_s",
    "frames_per_s",
    "per_core_s",
    "livecart_cores",
    "redis_cores",
    "senders_cores",
    "receivers_cores",
    "machine_cores",
    "other_cores",
    "load1",
)
STEP_COLUMNS = (
    "variant",
    "nodes",
    "offered",
    "sent_per_s",
    "deliveries_per_s",
    "frames_per_s",
    "p50_ms",
    "p99_ms",
    "lost_pct",
    "lag_ms",
    "per_core_s",
    "livecart_cores",
    "redis_cores",
    "senders_cores",
    "receivers_cores",
    "machine_cores",
    "other_cores",
    "saturated",
)
SENDER_LAG_LIMIT_MS = 100.0
LOSS_LIMIT = 0.001


@dataclass
class RedisProcess:
    url: str
    process: subprocess.Popen[bytes]
    directory: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_redis(appendfsync: str | None = None) -> RedisProcess:
    """A redis-server of our own on a free port: no persistence, or AOF with `appendfsync` (always,
    everysec, no) in a temporary directory."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (.ci/run installs it)")
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="livecart-bench-redis-"))
    aof = ["--appendonly", "no"] if appendfsync is None else ["--appendonly", "yes", "--appendfsync", appendfsync]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--save", "", *aof],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe = subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True, timeout=5)
        if probe.stdout.strip() == b"PONG":
            return RedisProcess(url=f"redis://127.0.0.1:{port}/0", process=process, directory=directory)
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


class MachineMeter:
    """Busy cores of the whole machine (all processes, from /proc/stat) between start() and stop()."""

    def __init__(self) -> None:
        self._busy = self._wall = 0.0
        self.cores = 0.0

    @staticmethod
    def _busy_seconds() -> float:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return (sum(fields[:8]) - idle) / CLOCK_TICKS

    def start(self) -> MachineMeter:
        self._busy, self._wall = self._busy_seconds(), time.perf_counter()
        return self

    def stop(self) -> MachineMeter:
        wall = time.perf_counter() - self._wall
        self.cores = (self._busy_seconds() - self._busy) / wall if wall else 0.0
        return self


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


def free_port_range(count: int) -> int:
    """The first of `count` consecutive free ports below the kernel's ephemeral range (where the load
    clients' own ports come from, so a port that is free now is not taken by a client meanwhile)."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(100):
        first = random.randrange(20000, low - count)
        with ExitStack() as stack:
            try:
                for port in range(first, first + count):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return first
    raise RuntimeError(f"no {count} consecutive free ports")


def healthy(url: str) -> bool:
    with suppress(OSError), urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
        return bool(response.status == 200)
    return False


@dataclass
class Cluster:
    """The livecart side of one measurement: where senders and receivers connect, which pids to meter."""

    sender_urls: list[str]
    receiver_urls: list[str]
    pids: list[int]
    servers: list[Server] = field(default_factory=list)

    def stop(self) -> None:
        with ThreadPoolExecutor(len(self.servers) or 1) as pool:
            list(pool.map(Server.stop, self.servers))
        # `--workers`: the supervisor stops its workers, but if it had to be killed they would outlive it
        for pid in set(self.pids) - {s.pid for s in self.servers}:
            reap(pid)


def reap(pid: int, timeout: float = 10.0) -> None:
    """Wait for a livecart process that is not our child to exit; SIGTERM, then SIGKILL it if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if b"livecart" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return  # gone (the pid may have been reused)
            except OSError:
                return
            time.sleep(0.1)
        print(f"bench: livecart worker {pid} outlived its supervisor; sending {sig.name}", file=sys.stderr, flush=True)
        with suppress(ProcessLookupError):
            os.kill(pid, sig)


def start_cluster(mode: str, nodes: int, redis_url: str, env: Mapping[str, str]) -> Cluster:
    if mode == "processes":
        with ThreadPoolExecutor(nodes) as pool:
            servers = list(pool.map(lambda _: start_server(redis_url, env), range(nodes)))
        urls = [s.url for s in servers]
        return Cluster(urls, urls, [s.pid for s in servers], servers)
    if nodes == 1:  # `--workers 1` is a plain process without a direct port
        server = start_server(redis_url, env, "--workers", "1")
        return Cluster([server.url], [server.url], [server.pid], [server])
    first_direct = free_port_range(nodes)
    server = start_server(redis_url, {**env, "LIVECART_WORKER_PORTS": str(first_direct)}, "--workers", str(nodes))
    direct = [f"http://127.0.0.1:{first_direct + i}" for i in range(nodes)]
    deadline = time.monotonic() + 30
    while not all(healthy(url) for url in direct):
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"workers did not all answer /healthz:\n{server.log.read_text()}")
        time.sleep(0.1)
    return Cluster(direct, [server.url], children(server.pid), [server])


class LoadProcess:
    """One bench.chat_load worker (receivers or senders) and its JSON-line commands."""

    def __init__(self, *args: str) -> None:
        self.process = spawn_worker("bench.chat_load", *args)

    @property
    def pid(self) -> int:
        return self.process.pid

    def ready(self) -> None:
        read_json_line(self.process, timeout=300)

    def ask(self, command: str, payload: Any = None) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(command + (" " + json.dumps(payload) if payload is not None else "") + "\n")
        self.process.stdin.flush()
        return read_json_line(self.process, timeout=300)

    def close(self) -> None:
        with suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
        stop_worker(self.process)


@dataclass
class Meters:
    livecart: list[CpuMeter]
    redis: CpuMeter
    senders: CpuMeter
    receivers: list[CpuMeter]
    machine: MachineMeter = field(default_factory=MachineMeter)

    def all(self) -> list[CpuMeter]:
        return [*self.livecart, self.redis, self.senders, *self.receivers]

    def start(self) -> None:
        for meter in self.all():
            meter.start()
        self.machine.start()

    def stop(self) -> dict[str, Any]:
        for meter in self.all():
            meter.stop()
        self.machine.stop()
        livecart = [m.cores for m in self.livecart]
        ours = sum(m.cores for m in self.all())
        return {
            "livecart_cores": sum(livecart),
            "per_process_cores": livecart,
            "livecart_cpu_s": sum(m.cpu for m in self.livecart),
            "redis_cores": self.redis.cores,
            "senders_cores": self.senders.cores,
            "receivers_cores": sum(m.cores for m in self.receivers),
            "machine_cores": self.machine.cores,
            "other_cores": max(0.0, self.machine.cores - ours),  # everything else running on the machine
        }


@dataclass
class Load:
    receivers: list[LoadProcess]
    senders: LoadProcess
    clients: int

    def received(self) -> tuple[int, int]:
        statuses = [r.ask("status") for r in self.receivers]
        return sum(s["messages"] for s in statuses), sum(s["frames"] for s in statuses)

    def open_clients(self) -> int:
        return sum(r.ask("status")["open"] for r in self.receivers)


def run_step(load: Load, meters: Meters, rate: float, seconds: float, grace_s: float, p99_limit_ms: float) -> Row:
    for receiver in load.receivers:
        receiver.ask("reset")
    messages0, frames0 = load.received()
    meters.start()
    started = time.perf_counter()
    answer = load.senders.ask("send", {"rate": rate, "seconds": seconds})
    messages1, frames1 = load.received()
    window = time.perf_counter() - started
    cpu = meters.stop()
    expected = answer["sent"] * load.clients
    deadline = time.monotonic() + grace_s
    received = messages1 - messages0
    while received < expected and time.monotonic() < deadline:
        time.sleep(0.05)
        received = load.received()[0] - messages0
    latencies = [x for r in load.receivers for x in r.ask("latencies")["latencies_ms"]]
    delivered = messages1 - messages0
    lost = max(0, expected - received)
    p99 = percentile(latencies, 99)
    reasons = []
    if lost > LOSS_LIMIT * expected:
        reasons.append("loss")
    if p99 > p99_limit_ms:
        reasons.append("p99")
    if answer["lag_ms"] > SENDER_LAG_LIMIT_MS:
        reasons.append("senders behind")
    return {
        "offered": rate,
        "sent": answer["sent"],
        "sent_per_s": answer["sent"] / window,
        "expected": expected,
        "received": received,
        "lost": lost,
        "lost_pct": 100 * lost / expected if expected else 0.0,
        "deliveries_per_s": delivered / window,
        "frames_per_s": (frames1 - frames0) / window,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": p99,
        "lag_ms": answer["lag_ms"],
        "per_core_s": delivered / cpu["livecart_cpu_s"] if cpu["livecart_cpu_s"] else float("nan"),
        **cpu,
        "saturated": "+".join(reasons),
        "wall_s": window,
    }


@dataclass
class Options:
    viewers: int
    receiver_processes: int
    senders: int
    frame_ms: int
    fixed_rate: float
    start_rate: float
    factor: float
    max_rate: float
    step_s: float
    grace_s: float
    p99_limit_ms: float
    sample_every: int


def measure(mode: str, nodes: int, opts: Options, log: Callable[[str], None] = print) -> Row:
    env = {
        "LIVECART_CHAT_RATE": "1000000/1",
        "LIVECART_CHAT_FRAME_MS": str(opts.frame_ms),
        "LIVECART_MAX_SOCKETS": str(opts.viewers + 100),  # a single node may hold every viewer
    }
    with ExitStack() as stack:
        redis = start_redis()
        stack.callback(redis.stop)
        cluster = start_cluster(mode, nodes, redis.url, env)
        stack.callback(cluster.stop)
        api = cluster.sender_urls[0]
        host = post_json(f"{api}/api/hosts", {"name": "Bench Host"}, cluster.servers[0].admin_token)
        show = post_json(f"{api}/api/shows", {"title": "Bench show"}, host["token"])
        senders = max(opts.senders, nodes)
        tokens = [post_json(f"{api}/api/viewers", {"name": f"Sender {i}"})["token"] for i in range(senders)]
        shares = [
            opts.viewers // opts.receiver_processes + (1 if i < opts.viewers % opts.receiver_processes else 0)
            for i in range(opts.receiver_processes)
        ]
        receivers: list[LoadProcess] = []
        for index, share in enumerate(shares):
            # rotate each process's URL list so that the clients of all processes together are even
            urls = cluster.receiver_urls
            offset = sum(shares[:index]) % len(urls)
            rotated = urls[offset:] + urls[:offset]
            process = LoadProcess(
                "--role",
                "receive",
                "--urls",
                ",".join(rotated),
                "--show",
                show["id"],
                "--clients",
                str(share),
                "--sample-every",
                str(opts.sample_every),
            )
            stack.callback(process.close)
            receivers.append(process)
        sender_urls = [cluster.sender_urls[i % nodes] for i in range(senders)]
        sender = LoadProcess(
            "--role", "send", "--urls", ",".join(sender_urls), "--show", show["id"], f"--tokens={','.join(tokens)}"
        )
        stack.callback(sender.close)
        for process in (*receivers, sender):
            process.ready()
        load = Load(receivers, sender, opts.viewers)
        time.sleep(0.5)
        meters = Meters(
            [CpuMeter(pid) for pid in cluster.pids],
            CpuMeter(redis.process.pid),
            CpuMeter(sender.pid),
            [CpuMeter(r.pid) for r in receivers],
        )
        load1 = load_average()
        steps: list[Row] = []
        rates = [opts.fixed_rate]
        rate = opts.start_rate
        while rate <= opts.max_rate:
            rates.append(rate)
            rate *= opts.factor
        for index, rate in enumerate(rates):
            step = {
                "variant": mode,
                "nodes": nodes,
                **run_step(load, meters, rate, opts.step_s, opts.grace_s, opts.p99_limit_ms),
            }
            steps.append(step)
            log(
                f"  {mode} ×{nodes} offered {rate:.0f}/s: {step['deliveries_per_s']:.0f} deliveries/s, "
                f"p99 {step['p99_ms']:.0f} ms, lost {step['lost_pct']:.2f} %, livecart "
                f"{'+'.join(f'{c:.2f}' for c in step['per_process_cores'])} cores, machine "
                f"{step['machine_cores']:.2f} {step['saturated']}"
            )
            if step["saturated"] and index > 0:
                break
        open_at_end = load.open_clients()
    fixed = steps[0]
    peak = max(steps, key=lambda s: s["deliveries_per_s"])
    good = [s for s in steps[1:] if not s["saturated"]]
    saturated = [s for s in steps[1:] if s["saturated"]]
    return {
        "area": "chat-cluster",
        "variant": mode,
        "nodes": nodes,
        "clients": opts.viewers,
        "senders": senders,
        "frame_ms": opts.frame_ms,
        "fixed_rate": opts.fixed_rate,
        "fixed_sent": fixed["sent"],
        "fixed_received": fixed["received"],
        "fixed_lost": fixed["lost"],
        "p50_ms": fixed["p50_ms"],
        "p99_ms": fixed["p99_ms"],
        "per_core_s_fixed": fixed["per_core_s"],
        "knee_rate": good[-1]["offered"] if good else float("nan"),
        "limit": saturated[0]["saturated"] if saturated else f"none up to {steps[-1]['offered']:.0f}/s",
        "deliveries_per_s": peak["deliveries_per_s"],
        "frames_per_s": peak["frames_per_s"],
        "per_core_s": peak["per_core_s"],
        "livecart_cores": peak["livecart_cores"],
        "per_process_cores": peak["per_process_cores"],
        "redis_cores": peak["redis_cores"],
        "senders_cores": peak["senders_cores"],
        "receivers_cores": peak["receivers_cores"],
        "machine_cores": peak["machine_cores"],
        "other_cores": peak["other_cores"],
        "load1": load1,
        "clients_open_at_end": open_at_end,
        "steps": steps,
    }


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(
        prog="python -m bench chat-cluster", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", default="1,2,3", help="node counts to measure (default 1,2,3)")
    parser.add_argument("--modes", default="processes", help="processes and/or workers (comma-separated)")
    parser.add_argument("--viewers", type=int, default=1000, help="receiving clients in the show, over all nodes")
    parser.add_argument("--receiver-processes", type=int, default=2, help="load processes holding the receivers")
    parser.add_argument(
        "--senders",
        type=int,
        default=6,
        help="sender connections over all nodes, spread evenly (at least one per node)",
    )
    parser.add_argument("--frame-ms", type=int, default=50, help="LIVECART_CHAT_FRAME_MS of every node")
    parser.add_argument("--fixed-rate", type=float, default=20, help="the sub-saturation load for latency (msgs/s)")
    parser.add_argument("--start-rate", type=float, default=100, help="first rate of the ladder (msgs/s)")
    parser.add_argument("--factor", type=float, default=2.0, help="each step offers this much more")
    parser.add_argument("--max-rate", type=float, default=12800, help="stop the ladder here")
    parser.add_argument("--step-s", type=float, default=5.0, help="seconds per step")
    parser.add_argument("--grace-s", type=float, default=3.0, help="wait this long for late deliveries")
    parser.add_argument("--p99-limit-ms", type=float, default=500.0, help="a step above this p99 is saturated")
    parser.add_argument("--sample-every", type=int, default=10, help="every K-th receiver records latency")
    parser.add_argument(
        "--quick", action="store_true", help="400 receivers, 1 s steps from 200 msgs/s (under a minute for 1,2,3)"
    )
    args = parser.parse_args(argv)
    opts = Options(
        viewers=min(args.viewers, 400) if args.quick else args.viewers,
        receiver_processes=args.receiver_processes,
        senders=args.senders,
        frame_ms=args.frame_ms,
        fixed_rate=args.fixed_rate,
        start_rate=max(args.start_rate, 200) if args.quick else args.start_rate,
        factor=args.factor,
        max_rate=args.max_rate,
        step_s=min(args.step_s, 1.0) if args.quick else args.step_s,
        grace_s=min(args.grace_s, 1.0) if args.quick else args.grace_s,
        p99_limit_ms=args.p99_limit_ms,
        sample_every=args.sample_every,
    )
    counts = [int(p) for p in args.processes.split(",")]
    modes = args.modes.split(",")
    print(
        f"chat capacity over several nodes: {opts.viewers} receivers, frames every {opts.frame_ms} ms, "
        f"{os.cpu_count()} cores, load average {load_average():.2f}",
        flush=True,
    )
    rows = [measure(mode, n, opts, lambda line: print(line, flush=True)) for mode in modes for n in counts]
    steps = [step for row in rows for step in row["steps"]]
    print(format_table("steps (cores = CPU-seconds per second of each party)", steps, STEP_COLUMNS))
    print(
        format_table(
            f"chat capacity, {opts.viewers} receivers, p50/p99 at {opts.fixed_rate:.0f} msgs/s, {os.cpu_count()} cores",
            rows,
            COLUMNS,
        ),
        flush=True,
    )
    return rows


if __name__ == "__main__":
    rows = main()
    facts = machine()
    print(f"rev {facts['git_revision']} · results: {write_results('chat_cluster', rows)}")
