"""Flash-sale checkout benchmark: K buyers at once for S units, then a sustained run.

The server runs in its own process (`livecart serve`, SQLite with synchronous=FULL, or Redis with
`--store redis://…`); the load comes from a separate worker process (`python -m bench.checkout
--worker`). Setup (accounts, products, carts) is not timed.

- flash: K buyers each with 1 unit in the cart check out at the same moment for a product with S
  units → checkouts/s over all K answers, p50/p99 latency, paid orders and `oversold` (paid − S,
  and any negative stock);
- sustained: B buyers with stock for all of them, `--concurrency` requests in flight at a time →
  paid checkouts/s and latency of the success path (claim, place order, charge, paid + ledger).

Stores compared in one run (`--store sqlite,redis`): `redis` starts a redis-server of its own with AOF
(`--aof everysec`, or `--aof always,everysec` side by side) and runs livecart with each `--workers`
count (one process, or `serve --workers N` on that one Redis). Server CPU per checkout is the CPU of
every livecart process (from /proc) over the requests answered; `redis_cpu_ms` is redis-server's.
`load_avg` is the machine's 1-minute load when the run started: on a shared machine compare ratios
within one run and CPU per checkout rather than throughput.

    python -m bench.checkout [--buyers 1000] [--stock 100] [--sustained 3000] [--concurrency 64]
                             [--store sqlite,redis|redis://HOST:PORT/0] [--aof everysec[,always]]
                             [--workers 1,2] [--repeats 3] [--quick] [--profile DIR]

Without `--store`, SQLite and a Redis of its own (when redis-server is installed) with 1 and 2 workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.chat_cluster import children, free_port_range, load_average, start_redis
from bench.harness import (
    ADMIN_TOKEN,
    CpuMeter,
    Row,
    Server,
    format_table,
    percentile,
    read_json_line,
    send_json_line,
    spawn_worker,
    spread,
    start_server,
    stop_worker,
)

SETUP_CONCURRENCY = 64
MEASURED = (
    "checkouts_per_s",
    "p50_ms",
    "p99_ms",
    "server_cpu_ms",
    "redis_cpu_ms",
    "server_cores",
    "client_cores",
    "server_waiting_for_cpu",
    "load_avg",
)
CARD_OK = "4242424242424242"
COLUMNS = (
    "variant",
    "workers",
    "phase",
    "buyers",
    "stock",
    "concurrency",
    "checkouts_per_s",
    "p50_ms",
    "p99_ms",
    "server_cpu_ms",
    "redis_cpu_ms",
    "server_cores",
    "client_cores",
    "server_waiting_for_cpu",
    "load_avg",
    "paid",
    "out_of_stock",
    "errors",
    "oversold",
)


def runqueue_wait_s(pid: int) -> float:
    """Seconds the process's threads spent runnable but waiting for a CPU (/proc/PID/task/*/schedstat).

    On a machine shared with other work this shows how much of the latency is the CPU being busy
    elsewhere rather than livecart.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def checkout_body() -> dict[str, Any]:
    return {
        "shipping": {
            "name": "Bench Buyer",
            "line1": "1 Main St",
            "city": "Lyon",
            "postal_code": "69001",
            "country": "FR",
        },
        "payment": {"method": "test", "card_number": CARD_OK},
    }


# -- setup (in the bench process, not timed) --------------------------------------------------------
async def _call(session: aiohttp.ClientSession, method: str, url: str, token: str | None, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.request(method, url, json=body, headers=headers) as response:
        data = await response.json()
        if response.status >= 400:
            raise RuntimeError(f"{method} {url}: {response.status} {data}")
        return data


async def prepare(base: str, buyers: int, stock: int) -> dict[str, Any]:
    """A show with one pinned product of `stock` units and `buyers` viewers with one unit in their cart."""
    async with aiohttp.ClientSession(base_url=base) as session:
        brand = await _call(session, "POST", "/api/brands", ADMIN_TOKEN, {"name": "Bench Brand"})
        host = await _call(session, "POST", "/api/hosts", ADMIN_TOKEN, {"name": "Bench Host"})
        product = await _call(
            session,
            "POST",
            "/api/products",
            brand["token"],
            {
                "sku": f"B-{uuid.uuid4().hex[:8]}",
                "title": "Flash item",
                "price_cents": 1999,
                "currency": "EUR",
                "stock": stock,
                "commission_bps": 1500,
            },
        )
        show = await _call(session, "POST", "/api/shows", host["token"], {"title": "Flash sale"})
        await _call(session, "POST", f"/api/shows/{show['id']}/lineup", host["token"], {"product_id": product["id"]})
        await _call(session, "POST", f"/api/shows/{show['id']}/pins", host["token"], {"product_id": product["id"]})
        gate = asyncio.Semaphore(SETUP_CONCURRENCY)

        async def buyer(number: int) -> str:
            async with gate:
                viewer = await _call(session, "POST", "/api/viewers", None, {"name": f"Buyer {number}"})
                await _call(
                    session,
                    "POST",
                    f"/api/shows/{show['id']}/cart/items",
                    viewer["token"],
                    {"product_id": product["id"], "qty": 1},
                )
                return str(viewer["token"])

        tokens = await asyncio.gather(*(buyer(number) for number in range(buyers)))
    return {"show_id": show["id"], "product_id": product["id"], "tokens": tokens}


async def final_state(base: str, show_id: str, product_id: str) -> tuple[int, int]:
    async with aiohttp.ClientSession(base_url=base) as session:
        product = await _call(session, "GET", f"/api/products/{product_id}", None)
        stats = await _call(session, "GET", f"/api/shows/{show_id}/stats", ADMIN_TOKEN)
    row = next(row for row in stats["products"] if row["product_id"] == product_id)
    return int(product["stock"]), int(row["units"])


# -- the load worker (a separate process) ---------------------------------------------------------
async def fire(url: str, tokens: Sequence[str], concurrency: int) -> dict[str, Any]:
    """Check out every token with at most `concurrency` requests in flight; one connection each."""
    body = json.dumps(checkout_body())
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    codes: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(token: str) -> None:
            headers = {
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": str(uuid.uuid4()),
                "Content-Type": "application/json",
            }
            async with gate:
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        data = await response.json()
                        code = "paid" if response.status == 201 else data["error"]["code"]
                except (aiohttp.ClientError, OSError, KeyError, ValueError):
                    code = "transport_error"
                latencies.append(time.perf_counter() - started)
                codes[code] += 1

        started = time.perf_counter()
        await asyncio.gather(*(one(token) for token in tokens))
        wall = time.perf_counter() - started
    return {"wall_s": wall, "latencies": latencies, "codes": dict(codes)}


def worker() -> int:
    """Read `{url, tokens, concurrency}` lines on stdin, answer each with a result line."""
    for line in sys.stdin:
        task = json.loads(line)
        result = asyncio.run(fire(task["url"], task["tokens"], task["concurrency"]))
        print(json.dumps(result), flush=True)
    return 0


# -- one measurement ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Config:
    """One thing compared: a store, the redis-server's appendfsync (when the bench starts it) and workers."""

    store: str  # "sqlite", "redis" (a redis-server the bench starts) or a redis:// URL
    aof: str | None = None  # appendfsync of the bench's redis-server
    workers: int = 1

    @property
    def variant(self) -> str:
        if self.store == "sqlite":
            return "sqlite"
        name = "redis" if self.aof is None else f"redis aof={self.aof}"
        return f"{name} ×{self.workers}" if self.workers > 1 else name


@contextmanager
def serving(config: Config) -> Iterator[tuple[Server, list[int], int | None]]:
    """The livecart server of a configuration, the pids doing its work and redis-server's pid (if ours)."""
    # every bench buyer comes from 127.0.0.1: lift the per-address limits on new accounts and cart adds
    env = {
        "LIVECART_MAX_QTY_PER_BUYER": "5",
        "LIVECART_ACCOUNT_RATE": "1000000/1",
        "LIVECART_CART_ADD_RATE": "1000000/1",
    }
    redis = start_redis(config.aof) if config.store == "redis" else None
    url = None if config.store == "sqlite" else redis.url if redis is not None else config.store
    try:
        if config.workers == 1:
            with start_server(url, env) as server:
                yield server, [server.pid], redis.process.pid if redis else None
            return
        env["LIVECART_WORKER_PORTS"] = str(free_port_range(config.workers))
        with start_server(url, env, "--workers", str(config.workers)) as server:
            deadline = time.monotonic() + 30
            while len(workers := children(server.pid)) < config.workers and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)  # every worker listening on the shared port
            yield server, [server.pid, *workers], redis.process.pid if redis else None
    finally:
        if redis is not None:
            redis.stop()


def start_profile(pid: int, out: Path) -> subprocess.Popen[bytes] | None:
    """py-spy sampling one livecart process (its GIL-holding stacks) into collapsed stacks; None without py-spy."""
    binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(binary).exists():
        print("bench: --profile needs py-spy (pip install py-spy)", file=sys.stderr)
        return None
    return subprocess.Popen(
        [
            binary,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--gil",
            "--nonblocking",
            "--rate",
            "250",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def profile_summary(path: Path, top: int = 25) -> str:
    """Where the sampled time went: share of samples per function on the stack (inclusive) and on top (self)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count, frames = int(count_text), stack.split(";")
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return f"{path}: no samples"
    lines = [f"{path.name}: {total} samples", "  self %   incl %  function"]
    for frame, count in own.most_common(top):
        lines.append(f"  {100 * count / total:6.1f}   {100 * inclusive[frame] / total:6.1f}  {frame}")
    return "\n".join(lines)


def measure(config: Config, phase: str, buyers: int, stock: int, concurrency: int, profile: Path | None = None) -> Row:
    with serving(config) as (server, pids, redis_pid):
        scene = asyncio.run(prepare(server.url, buyers, stock))
        load = spawn_worker("bench.checkout", "--worker")
        name = f"{config.variant.replace(' ', '_').replace('=', '-')}-{phase}.txt"
        spy = start_profile(pids[-1], profile / name) if profile else None
        try:
            url = f"{server.url}/api/shows/{scene['show_id']}/checkout"
            meters = [CpuMeter(pid).start() for pid in pids]
            client = CpuMeter(load.pid).start()
            redis_meter = CpuMeter(redis_pid).start() if redis_pid else None
            loadavg = load_average()
            waited = sum(runqueue_wait_s(pid) for pid in pids)
            send_json_line(load, {"url": url, "tokens": scene["tokens"], "concurrency": concurrency})
            result = read_json_line(load, timeout=600)
            for meter in meters:
                meter.stop()
            client.stop()
            if redis_meter:
                redis_meter.stop()
            waited = sum(runqueue_wait_s(pid) for pid in pids) - waited
        finally:
            stop_worker(load)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
                assert profile is not None
                print(profile_summary(profile / name), flush=True)
        final_stock, units_sold = asyncio.run(final_state(server.url, scene["show_id"], scene["product_id"]))
    codes = Counter(result["codes"])
    latencies_ms = [value * 1000 for value in result["latencies"]]
    answered = codes["paid"] if phase == "sustained" else sum(codes.values())
    requests = max(1, sum(codes.values()))
    server_cpu = sum(meter.cpu for meter in meters)
    wall = meters[0].wall
    return {
        "area": "checkout",
        "variant": config.variant,
        "store": "sqlite" if config.store == "sqlite" else "redis",
        "aof": config.aof or "",
        "workers": config.workers,
        "phase": phase,
        "buyers": buyers,
        "stock": stock,
        "concurrency": concurrency,
        "checkouts_per_s": answered / result["wall_s"],
        "p50_ms": percentile(latencies_ms, 50),
        "p99_ms": percentile(latencies_ms, 99),
        "server_cpu_ms": server_cpu * 1000 / requests,
        "redis_cpu_ms": redis_meter.cpu * 1000 / requests if redis_meter else float("nan"),
        "server_cores": server_cpu / wall if wall else 0.0,
        "client_cores": client.cores,
        "server_waiting_for_cpu": waited / wall if wall else 0.0,
        "load_avg": loadavg,
        "paid": codes["paid"],
        "out_of_stock": codes["out_of_stock"],
        "errors": sum(count for code, count in codes.items() if code not in ("paid", "out_of_stock")),
        "oversold": max(0, codes["paid"] - stock) + max(0, -final_stock) + abs(units_sold - codes["paid"]),
    }


def summarise(rows: list[Row]) -> Row:
    """Repeats of one configuration: rates and latencies as min/median/max, counts summed for oversell."""
    first = dict(rows[0])
    for column in MEASURED:
        first[column] = spread(row[column] for row in rows)
    for column in ("paid", "out_of_stock", "errors"):
        first[column] = rows[-1][column]
    first["oversold"] = sum(row["oversold"] for row in rows)
    first["repeats"] = len(rows)
    return first


def configs(stores: Sequence[str], aofs: Sequence[str], workers: Sequence[int]) -> list[Config]:
    """SQLite runs one process; each Redis store runs under every appendfsync and worker count asked."""
    found: list[Config] = []
    for store in stores:
        if store == "sqlite":
            found.append(Config("sqlite"))
        elif store == "redis":
            found += [Config("redis", aof, count) for aof in aofs for count in workers]
        elif store.startswith(("redis://", "rediss://", "unix://")):
            found += [Config(store, None, count) for count in workers]
        else:
            raise SystemExit(f"--store {store}: sqlite, redis or a redis:// URL")
    return found


def _listed(values: Sequence[str] | None, default: str) -> list[str]:
    return [item for value in (values or [default]) for item in value.split(",") if item]


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.checkout",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--buyers", type=int, default=1000, help="flash sale: buyers at once (K)")
    parser.add_argument("--stock", type=int, default=100, help="flash sale: units for sale (S)")
    parser.add_argument("--sustained", type=int, default=3000, help="sustained run: buyers (0: skip)")
    parser.add_argument("--concurrency", type=int, default=64, help="sustained run: requests in flight")
    parser.add_argument(
        "--store",
        action="append",
        default=None,
        help="sqlite, redis (a redis-server started by the bench) or a redis:// URL; comma-separated "
        "(default: sqlite,redis, or sqlite alone without redis-server)",
    )
    parser.add_argument(
        "--aof",
        default="everysec",
        help="appendfsync of the bench's redis-server: always, everysec, no (comma-separated)",
    )
    parser.add_argument("--workers", default="1,2", help="livecart processes on Redis (comma-separated)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one repeat, 1,000 sustained buyers")
    parser.add_argument("--profile", type=Path, help="py-spy each run's livecart process; collapsed stacks here")
    args = parser.parse_args(argv)
    if args.worker:
        raise SystemExit(worker())
    if args.quick:
        args.repeats, args.sustained = 1, min(args.sustained, 1000)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    plans = [("flash", args.buyers, args.stock, args.buyers)]
    if args.sustained:
        plans.append(("sustained", args.sustained, args.sustained, args.concurrency))
    default_stores = "sqlite,redis" if shutil.which("redis-server") else "sqlite"
    compared = configs(
        _listed(args.store, default_stores),
        _listed([args.aof], "everysec"),
        [int(count) for count in _listed([args.workers], "1")],
    )
    runs: dict[tuple[Config, str], list[Row]] = {}
    # Repeats go round every configuration in turn, so a burst of load elsewhere hurts them alike.
    for _ in range(args.repeats):
        for phase, buyers, stock, concurrency in plans:
            for config in compared:
                row = measure(config, phase, buyers, stock, concurrency, args.profile)
                runs.setdefault((config, phase), []).append(row)
    rows = [summarise(found) for found in runs.values()]
    print(format_table("checkout: flash sale and sustained checkouts", rows, COLUMNS), flush=True)
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
