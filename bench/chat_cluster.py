"""Chat fan-out over several processes: one show, its viewers spread over P `livecart serve` processes
sharing one redis-server (store and fan-out), for P = 1, 2, ...

One viewer on the first process sends chat as fast as `--send-ms` allows; every process batches the
messages into frames (`LIVECART_CHAT_FRAME_MS`) for its own members. Per P it reports:
- `msgs_per_s`: chat messages received by clients per second of the run (each client counts each
  message it got), and `deliveries_per_s`: websocket frames received per second (a frame may carry
  several messages; under load the frames grow rather than multiply);
- `livecart_cpu_s` (all P processes), `redis_cpu_s` (the redis-server, which carries the fan-out
  and the stores' writes) and `us_per_msg` = (livecart + redis CPU-µs) / messages received;
- `cores`: the average cores livecart + redis used during the run; `clients_cores`: the same for the
  load clients, which run on the same machine (as many client processes for every P, spread over the
  P servers). On a small machine the clients compete with the servers, so read the curve with the
  machine's core count in mind.

`python -m bench.chat_cluster [--processes 1,2,3] [--viewers N] [--messages M] [--quick]`
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.chat import Workers, post_json
from bench.harness import CpuMeter, Row, Server, format_table, free_port, machine, start_server, write_results

COLUMNS = (
    "processes",
    "clients",
    "messages",
    "msgs_per_s",
    "deliveries_per_s",
    "us_per_msg",
    "livecart_cpu_s",
    "redis_cpu_s",
    "cores",
    "clients_cores",
    "wall_s",
)


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


def start_redis() -> RedisProcess:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (.ci/run installs it)")
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="livecart-bench-redis-"))
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe = subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True, timeout=5)
        if probe.stdout.strip() == b"PONG":
            return RedisProcess(url=f"redis://127.0.0.1:{port}/0", process=process, directory=directory)
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


def measure(processes: int, groups: int, clients: int, messages: int, frame_ms: int, send_ms: float) -> Row:
    redis = start_redis()
    env = {"LIVECART_CHAT_RATE": "100000/1", "LIVECART_CHAT_FRAME_MS": str(frame_ms)}
    with ExitStack() as stack:
        stack.callback(redis.stop)
        servers: list[Server] = []
        for _ in range(processes):
            servers.append(stack.enter_context(start_server(redis.url, env)))
        first = servers[0]
        host = post_json(f"{first.url}/api/hosts", {"name": "Bench Host"}, first.admin_token)
        show = post_json(f"{first.url}/api/shows", {"title": "Bench show"}, host["token"])
        sender = post_json(f"{first.url}/api/viewers", {"name": "Bench"})
        # the same number of client groups (processes) whatever P, so the load side is the same
        shares = [clients // groups + (1 if i < clients % groups else 0) for i in range(groups)]
        loads = []
        for i, share in enumerate(shares):
            token = sender["token"] if i == 0 else ""
            workers = Workers(servers[i % processes].url, "eio", share, show_id=show["id"], sender_token=token)
            stack.callback(workers.close)
            loads.append(workers)
        time.sleep(1.0)
        meters = [CpuMeter(server.pid).start() for server in servers]
        redis_meter = CpuMeter(redis.process.pid).start()
        client_meters = [CpuMeter(p.pid).start() for w in loads for p in w.processes]
        loads[0].ask("chat " + json.dumps({"count": messages, "interval_ms": send_ms}), 0)
        expected = messages * (clients + 1)  # the sender gets its own messages too
        deadline = time.monotonic() + 180
        received = 0
        while time.monotonic() < deadline and received < expected:
            received = sum(status["messages"] for w in loads for status in w.ask("status"))
            time.sleep(0.05)
        for meter in (*meters, redis_meter, *client_meters):
            meter.stop()
        reports = [report for w in loads for report in w.ask("report")]
    frames = sum(r["frames"] for r in reports)
    got = sum(r["messages"] for r in reports)
    wall = redis_meter.wall
    livecart_cpu = sum(m.cpu for m in meters)
    return {
        "area": "chat-cluster",
        "processes": processes,
        "clients": clients,
        "messages": messages,
        "received": got,
        "lost": expected - got,
        "msgs_per_s": got / wall,
        "deliveries_per_s": frames / wall,
        "us_per_msg": (livecart_cpu + redis_meter.cpu) * 1e6 / got if got else float("nan"),
        "livecart_cpu_s": livecart_cpu,
        "redis_cpu_s": redis_meter.cpu,
        "cores": (livecart_cpu + redis_meter.cpu) / wall,
        "clients_cores": sum(m.cpu for m in client_meters) / wall,
        "wall_s": wall,
    }


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chat_cluster", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", default="1,2,3", help="process counts to measure (default 1,2,3)")
    parser.add_argument("--viewers", type=int, default=3000, help="clients in the show, over all processes")
    parser.add_argument("--messages", type=int, default=300, help="chat messages the sender sends")
    parser.add_argument("--frame-ms", type=int, default=50, help="LIVECART_CHAT_FRAME_MS of every process")
    parser.add_argument("--send-ms", type=float, default=5.0, help="time between the sender's messages")
    parser.add_argument("--quick", action="store_true", help="fewer viewers and messages")
    args = parser.parse_args(argv)
    viewers, messages = args.viewers, args.messages
    if args.quick:
        viewers, messages = min(viewers, 600), min(messages, 60)
    counts = [int(p) for p in args.processes.split(",")]
    rows = [measure(p, max(counts), viewers, messages, args.frame_ms, args.send_ms) for p in counts]
    print(format_table(f"chat over several processes, {viewers} clients, {messages} messages, "
                       f"{os.cpu_count()} cores", rows, COLUMNS), flush=True)
    return rows


if __name__ == "__main__":
    rows = main()
    facts = machine()
    print(f"rev {facts['git_revision']} · results: {write_results('chat_cluster', rows)}")
