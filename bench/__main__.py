"""`python -m bench all [--quick]` runs every area; `python -m bench AREA [ARGS]` runs one.

Each area module (bench/video.py, bench/chat.py, bench/chat_cluster.py, bench/checkout.py, bench/auction.py) has
`main(argv: list[str] | None) -> list[dict]`: it starts its own server and load processes, prints its
table and returns its rows. Results go to bench/results/<name>.json and .png.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Sequence

from bench.harness import Row, machine, write_results

AREAS = ("video", "chat", "chat-cluster", "checkout", "auction")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("area", choices=("all", *AREAS), help="what to measure")
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (all: < 10 min)")
    args, rest = parser.parse_known_args(argv)
    areas = AREAS if args.area == "all" else (args.area,)
    facts = machine()
    print(f"livecart bench · {facts['cores']} cores · python {facts['python']} · rev {facts['git_revision']}")
    rows: list[Row] = []
    for area in areas:
        module = importlib.import_module(f"bench.{area.replace('-', '_')}")
        started = time.monotonic()
        area_argv = [*(["--quick"] if args.quick else []), *rest]
        rows += module.main(area_argv)
        print(f"({area}: {time.monotonic() - started:.0f} s)\n", flush=True)
    path = write_results(args.area, rows)
    print(f"results: {path} (+ .png)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
