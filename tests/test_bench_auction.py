"""The auction benchmark runs end to end on a small room (numbers are not checked: benchmarks never gate)."""

from __future__ import annotations

import pytest

from bench import auction
from tests.support import need_binary

pytestmark = pytest.mark.slow


def test_the_auction_benchmark_reports_rates_latency_and_cpu_per_bid() -> None:
    need_binary("node", "nodejs")
    [row] = auction.main(["--bidders", "40", "--processes", "2", "--spread", "1"])
    assert row["problems"] == "none"
    assert row["bids_sent"] >= 40
    assert row["p50_ms"] <= row["p99_ms"]
    assert row["cpu_us_per_bid"] > 0
