"""Auction benchmark: 1,000 bidders on one auction, at once, over Socket.IO (bench/auction_load.py).

The server runs in its own process (`livecart serve`, SQLite by default, `--store redis://…` for
Redis, `--nodes 2` for two processes on one Redis); the bidders are the stock Node socket.io-client in
`--processes` separate processes, each bidding once within `--spread` seconds (and once more when
refused as too low). Reported: bids sent and accepted per second, ack p50/p99 (client side, every bid)
and the server's CPU per bid (CPU-seconds of the server processes over the bidding / bids). The
outcome is checked as the tests do (`problems`): a benchmark that breaks the rules says so.

    python -m bench auction [--bidders 1000] [--processes 4] [--spread 5] [--store sqlite|redis://…]
                            [--nodes 1] [--repeats 1]
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bench.auction_load import problems, run_auction
from bench.harness import ADMIN_TOKEN, Row, format_table, spread, start_server

COLUMNS = (
    "variant",
    "nodes",
    "bidders",
    "bids_sent",
    "accepted",
    "bids_per_s",
    "accepted_per_s",
    "p50_ms",
    "p99_ms",
    "cpu_us_per_bid",
    "problems",
)
# No publisher here: the look for orphaned shows after start-up must not end the show. The bidders come
# from one address: the per-address limits are raised as for a crowd behind one NAT.
ENV = {
    "LIVECART_AUCTION_EXTEND_S": "2",
    "LIVECART_PUBLISHER_GRACE_SECONDS": "600",
    "LIVECART_ACCOUNT_RATE": "100000/1",
    "LIVECART_CART_ADD_RATE": "100000/1",
}


def measure(store: str | None, nodes: int, bidders: int, processes: int, spread_s: float) -> Row:
    servers = [start_server(store, ENV)]
    try:
        servers += [start_server(store, ENV) for _ in range(nodes - 1)]
        store_url = store or f"sqlite:///{servers[0].workdir / 'bench.db'}"
        run = asyncio.run(
            run_auction(
                [s.url for s in servers],
                store_url,
                ADMIN_TOKEN,
                [s.pid for s in servers],
                bidders=bidders,
                processes=processes,
                spread_s=spread_s,
                duration_s=8,
            )
        )
    finally:
        for server in servers:
            server.stop()
    found = problems(run)
    return {
        "area": "auction",
        "variant": "sqlite" if store is None else "redis",
        "nodes": nodes,
        **run.summary(),
        "problems": "; ".join(found) or "none",
    }


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(
        prog="python -m bench auction", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bidders", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4, help="Node bidder processes")
    parser.add_argument("--spread", type=float, default=5.0, help="seconds over which the bids start")
    parser.add_argument("--store", default=None, help="sqlite (default) or a redis:// URL")
    parser.add_argument("--nodes", type=int, default=1, help="server processes (more than 1 needs Redis)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="one repeat")
    args = parser.parse_args(argv)
    store = None if args.store in (None, "sqlite") else args.store
    if args.nodes > 1 and store is None:
        parser.error("--nodes above 1 needs --store redis://…")
    runs = [
        measure(store, args.nodes, args.bidders, args.processes, args.spread)
        for _ in range(1 if args.quick else args.repeats)
    ]
    row = dict(runs[0])
    if len(runs) > 1:
        for key in ("bids_per_s", "accepted_per_s", "p50_ms", "p99_ms", "cpu_us_per_bid"):
            row[key] = spread(run[key] for run in runs)
    print(format_table("auction: concurrent bidders over Socket.IO", [row], COLUMNS), flush=True)
    return [row]


if __name__ == "__main__":
    main(sys.argv[1:])
