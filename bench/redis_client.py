"""Redis client micro-benchmark: livecart CPU per command for each way of talking to one redis-server.

No HTTP, no store logic: each variant sends the same commands to a redis-server the bench starts (no
persistence) — a 10-field HGETALL (a product read) and an EVALSHA of a small script (a check and a
write, like the checkout's scripts) — with 1 and 64 requests in flight. `cpu_us` is this process's
CPU (user + system) per command, the cost of the client layer; redis-server's own CPU is not in it.

Variants:
- `redis-py blocking` — the store's client before issue 21: redis-py over a BlockingConnectionPool;
- `redis-py pool` — redis-py's ConnectionPool (non-blocking, fails past max_connections);
- `redis-py raw` — blocking pool with decode_responses off;
- `redis-py pipeline×4` — the blocking client, four commands per explicit pipeline (cost per command);
- `wire N` — livecart/store/redis/wire.py (the store's client since issue 21): N multiplexed
  connections used in turn, writes of one loop cycle in one send, hiredis's reader;
- `wire pipeline×4` — the same client, four commands per pipeline;
- `wire raw` — wire.py's connection alone, without redis-py's API around it (the floor for this design).

    python -m bench.redis_client [--commands 4000] [--concurrency 1 64] [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

import hiredis
from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis

from bench.chat_cluster import start_redis
from bench.harness import Row, format_table, spread
from livecart.redis_options import redis_options
from livecart.store.redis import NO_RETRY, endpoint_of, store_client
from livecart.store.redis.wire import WireClient, WireRedis

SCRIPT = """
local stock = tonumber(redis.call('HGET', KEYS[1], 'stock'))
if stock < tonumber(ARGV[1]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'sold', ARGV[1])
return 1
"""
PRODUCT = {f"field{n}": f"value {n}" for n in range(9)} | {"stock": "1000000000"}
COLUMNS = ("variant", "op", "concurrency", "commands", "cpu_us", "commands_per_s")
Make = Callable[[str], Redis]


def _redis_py(blocking: bool, decode: bool) -> Make:
    def make(url: str) -> Redis:
        options: dict[str, Any] = {"decode_responses": decode, "retry": NO_RETRY, "max_connections": 64}
        options |= redis_options(url, 5.0)
        if blocking:
            return Redis.from_pool(BlockingConnectionPool.from_url(url, timeout=20.0, **options))
        return Redis.from_pool(ConnectionPool.from_url(url, **options))

    return make


def _wire(shared: int) -> Make:
    def make(url: str) -> Redis:
        pool = BlockingConnectionPool.from_url(url, decode_responses=True, retry=NO_RETRY)
        client = WireClient(endpoint_of(url, 5.0), timeout_s=5.0, health_check_interval_s=30, shared=shared)
        return WireRedis.over(pool, client)

    return make


VARIANTS: dict[str, tuple[Make, int]] = {  # name → (client factory, commands per pipeline; 1: none)
    "redis-py blocking": (_redis_py(blocking=True, decode=True), 1),
    "redis-py pool": (_redis_py(blocking=False, decode=True), 1),
    "redis-py raw": (_redis_py(blocking=True, decode=False), 1),
    "redis-py pipeline×4": (_redis_py(blocking=True, decode=True), 4),
    "wire 1": (_wire(1), 1),
    "wire 2": (_wire(2), 1),
    "wire 4": (_wire(4), 1),
    "wire pipeline×4": (_wire(2), 4),
    "wire raw": (lambda url: store_client(url), 0),  # 0: WireClient.call_one directly
}


async def _measure(url: str, variant: str, op: str, concurrency: int, commands: int) -> tuple[float, float]:
    make, batch = VARIANTS[variant]
    redis = make(url)
    sha = await redis.script_load(SCRIPT)
    await redis.hset("bench:product", mapping=cast(Any, PRODUCT))
    args: tuple[Any, ...] = ("HGETALL", "bench:product") if op == "hgetall" else ("EVALSHA", sha, 1, "bench:product", 1)

    async def one_command() -> None:
        if op == "hgetall":
            await redis.hgetall("bench:product")
        else:
            await redis.evalsha(sha, 1, "bench:product", 1)

    async def four_in_a_pipeline() -> None:
        async with redis.pipeline(transaction=False) as pipe:
            for _ in range(4):
                pipe.execute_command(*args)
            await pipe.execute()

    packed = hiredis.pack_command(args)

    async def raw_call() -> None:
        assert isinstance(redis, WireRedis)
        await redis._wire.call_one(packed)

    step: Callable[[], Awaitable[None]] = {1: one_command, 4: four_in_a_pipeline, 0: raw_call}[batch]
    per_step = max(batch, 1)
    steps_per_task = max(1, commands // per_step // concurrency)

    async def task() -> None:
        for _ in range(steps_per_task):
            await step()

    await asyncio.gather(*(task() for _ in range(concurrency)))  # warm: connections open
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(task() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await redis.aclose()
    sent = steps_per_task * concurrency * per_step
    return cpu * 1e6 / sent, sent / wall


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.redis_client", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--commands", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, from: " + ", ".join(VARIANTS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one repeat of 2,000 commands")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.commands = 1, 2000
    variants = [name.strip() for name in args.variants.split(",") if name.strip()]
    redis = start_redis()
    results: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    try:
        for _ in range(args.repeats):  # variants interleaved: a busy moment hurts them alike
            for op in ("hgetall", "evalsha"):
                for concurrency in args.concurrency:
                    for variant in variants:
                        run = asyncio.run(_measure(redis.url, variant, op, concurrency, args.commands))
                        results.setdefault((variant, op, concurrency), []).append(run)
    finally:
        redis.stop()
    rows: list[Row] = [
        {
            "area": "redis-client",
            "variant": variant,
            "op": op,
            "concurrency": concurrency,
            "commands": args.commands,
            "cpu_us": spread(run[0] for run in runs),
            "commands_per_s": spread(run[1] for run in runs),
        }
        for (variant, op, concurrency), runs in results.items()
    ]
    print(format_table("redis client: livecart CPU per command (µs)", rows, COLUMNS), flush=True)
    return rows


if __name__ == "__main__":
    main()
