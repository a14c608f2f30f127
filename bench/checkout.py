"""Flash-sale checkout benchmark: K buyers at once for S units, then a sustained run.

The server runs in its own process (`livecart serve`, SQLite with synchronous=FULL, or Redis with
`--store redis://…`); the load comes from a separate worker process (`python -m bench.checkout
--worker`). Setup (accounts, products, carts) is not timed.

- flash: K buyers each with 1 unit in the cart check out at the same moment for a product with S
  units → checkouts/s over all K answers, p50/p99 latency, paid orders and `oversold` (paid − S,
  and any negative stock);
- sustained: B buyers with stock for all of them, `--concurrency` requests in flight at a time →
  paid checkouts/s and latency of the success path (claim, place order, charge, paid + ledger).

    python -m bench.checkout [--buyers 1000] [--stock 100] [--sustained 3000] [--concurrency 64]
                             [--store sqlite|redis://HOST:PORT/0] [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

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
    "checkouts_per_s", "p50_ms", "p99_ms", "server_cpu_ms", "server_cores", "client_cores", "server_waiting_for_cpu",
)
CARD_OK = "4242424242424242"
COLUMNS = (
    "variant",
    "phase",
    "buyers",
    "stock",
    "concurrency",
    "checkouts_per_s",
    "p50_ms",
    "p99_ms",
    "server_cpu_ms",
    "server_cores",
    "client_cores",
    "server_waiting_for_cpu",
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
async def _call(
    session: aiohttp.ClientSession, method: str, url: str, token: str | None, body: Any = None
) -> Any:
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
        await _call(
            session, "POST", f"/api/shows/{show['id']}/lineup", host["token"], {"product_id": product["id"]}
        )
        await _call(
            session, "POST", f"/api/shows/{show['id']}/pins", host["token"], {"product_id": product["id"]}
        )
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
def measure(server: Server, variant: str, phase: str, buyers: int, stock: int, concurrency: int) -> Row:
    scene = asyncio.run(prepare(server.url, buyers, stock))
    load = spawn_worker("bench.checkout", "--worker")
    try:
        url = f"{server.url}/api/shows/{scene['show_id']}/checkout"
        meter, client = CpuMeter(server.pid).start(), CpuMeter(load.pid).start()
        waited = runqueue_wait_s(server.pid)
        send_json_line(load, {"url": url, "tokens": scene["tokens"], "concurrency": concurrency})
        result = read_json_line(load, timeout=600)
        meter.stop()
        client.stop()
        waited = runqueue_wait_s(server.pid) - waited
    finally:
        stop_worker(load)
    codes = Counter(result["codes"])
    final_stock, units_sold = asyncio.run(final_state(server.url, scene["show_id"], scene["product_id"]))
    latencies_ms = [value * 1000 for value in result["latencies"]]
    answered = codes["paid"] if phase == "sustained" else sum(codes.values())
    return {
        "area": "checkout",
        "variant": variant,
        "store": variant,
        "phase": phase,
        "buyers": buyers,
        "stock": stock,
        "concurrency": concurrency,
        "checkouts_per_s": answered / result["wall_s"],
        "p50_ms": percentile(latencies_ms, 50),
        "p99_ms": percentile(latencies_ms, 99),
        "server_cpu_ms": meter.cpu * 1000 / max(1, sum(codes.values())),
        "server_cores": meter.cores,
        "client_cores": client.cores,
        "server_waiting_for_cpu": waited / meter.wall if meter.wall else 0.0,
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
        "--store", action="append", default=None, help="sqlite (default) or a redis:// URL; repeat to compare"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one repeat, 1,000 sustained buyers")
    args = parser.parse_args(argv)
    if args.worker:
        raise SystemExit(worker())
    if args.quick:
        args.repeats, args.sustained = 1, min(args.sustained, 1000)
    rows: list[Row] = []
    for store in args.store or ["sqlite"]:
        variant = "sqlite" if store == "sqlite" else "redis"
        plans = [("flash", args.buyers, args.stock, args.buyers)]
        if args.sustained:
            plans.append(("sustained", args.sustained, args.sustained, args.concurrency))
        for phase, buyers, stock, concurrency in plans:
            runs = []
            for _ in range(args.repeats):
                with start_server(
                    None if store == "sqlite" else store, {"LIVECART_MAX_QTY_PER_BUYER": "5"}
                ) as server:
                    runs.append(measure(server, variant, phase, buyers, stock, concurrency))
            rows.append(summarise(runs))
    print(format_table("checkout: flash sale and sustained checkouts", rows, COLUMNS), flush=True)
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
