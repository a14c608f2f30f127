"""The SQLite store alone under checkout load, with and without group commit (an A/B of db.MAX_BATCH).

No HTTP: `buyers` checkouts run through the store calls a checkout makes (claim, cart, pricing reads,
place_order, mark_order_paid) with `concurrency` in flight, in this process. Runs alternate between
the batch sizes so a busy machine hurts both alike.

    python -m bench.checkout_store [--buyers 2000] [--concurrency 64] [--max-batch 1 256] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.harness import Row, format_table, spread
from livecart.clock import SystemClock
from livecart.domain.cart import CartRules, price_order
from livecart.domain.ids import new_id
from livecart.domain.ledger import sale_entries
from livecart.domain.models import ProductDraft, Role, utcnow
from livecart.store.sqlite import SqliteStore
from livecart.store.sqlite import db as sqlite_db

RULES = CartRules(max_qty_per_buyer=5)
COLUMNS = ("variant", "max_batch", "buyers", "concurrency", "checkouts_per_s", "cpu_ms", "commits")


async def run_once(buyers: int, concurrency: int) -> tuple[float, float, int]:
    """(checkouts per second, process CPU ms per checkout, COMMITs) for one fresh database."""
    with tempfile.TemporaryDirectory(prefix="livecart-bench-store-") as workdir:
        store = await SqliteStore.open(str(Path(workdir) / "bench.db"), clock=SystemClock())
        brand, _ = await store.create_account(Role.BRAND, "Brand")
        host, _ = await store.create_account(Role.HOST, "Host")
        product = await store.create_product(brand.id, ProductDraft("SKU", "Item", 1999, "EUR", buyers, 1500))
        show = await store.create_show(host.id, "Show", None)
        await store.add_to_lineup(show.id, product.id)
        await store.pin_product(show.id, product.id)
        viewers = [
            account
            for account, _ in await asyncio.gather(
                *(store.create_account(Role.VIEWER, f"Buyer {n}") for n in range(buyers))
            )
        ]
        await asyncio.gather(*(store.add_to_cart(show.id, viewer.id, product.id, 1, 5) for viewer in viewers))
        gate = asyncio.Semaphore(concurrency)

        async def checkout(number: int) -> None:
            viewer = viewers[number]
            async with gate:
                await store.claim_idempotency_key(viewer.id, "key", "hash")
                cart = await store.cart(show.id, viewer.id)
                found, pinned, bought = await asyncio.gather(
                    store.get_product(product.id),
                    store.pinned_during(show.id),
                    store.units_bought(viewer.id, [product.id]),
                )
                assert found is not None
                order = price_order(
                    order_id=new_id("ord"),
                    show=show,
                    buyer=viewer,
                    cart=cart,
                    products={product.id: found},
                    pinned=pinned,
                    bought=bought,
                    rules=RULES,
                    shipping={},
                    idempotency_key="key",
                    now=utcnow(),
                )
                await store.place_order(order, RULES.max_qty_per_buyer)
                await store.mark_order_paid(order.id, "ch_bench", utcnow(), sale_entries(order, utcnow()), None)

        commits_before = store._db.batches
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(checkout(number) for number in range(buyers)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        commits = store._db.batches - commits_before
        await store.close()
    return buyers / wall, cpu * 1000 / buyers, commits


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.checkout_store", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--max-batch", type=int, nargs="+", default=[1, sqlite_db.MAX_BATCH])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one repeat of 500 buyers")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.buyers = 1, 500
    default_batch = sqlite_db.MAX_BATCH
    results: dict[int, list[tuple[float, float, int]]] = {size: [] for size in args.max_batch}
    try:
        for _ in range(args.repeats):
            for size in args.max_batch:
                sqlite_db.MAX_BATCH = size
                results[size].append(asyncio.run(run_once(args.buyers, args.concurrency)))
    finally:
        sqlite_db.MAX_BATCH = default_batch
    rows: list[Row] = [
        {
            "area": "checkout",
            "variant": "sqlite-store",
            "max_batch": size,
            "buyers": args.buyers,
            "concurrency": args.concurrency,
            "checkouts_per_s": spread(run[0] for run in runs),
            "cpu_ms": spread(run[1] for run in runs),
            "commits": runs[-1][2],
        }
        for size, runs in results.items()
    ]
    print(format_table("checkout store calls without HTTP: group commit A/B", rows, COLUMNS), flush=True)
    return rows


if __name__ == "__main__":
    main()
