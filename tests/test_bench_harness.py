"""The benchmark harness's arithmetic and its view of a real process."""

from __future__ import annotations

import os

import pytest

from bench.harness import CpuMeter, format_table, percentile, rss_bytes, spread


@pytest.mark.parametrize(("pct", "expected"), [(50, 5), (90, 9), (99, 10), (100, 10), (1, 1)])
def test_nearest_rank_percentile(pct: float, expected: float) -> None:
    assert percentile(list(range(10, 0, -1)), pct) == expected


def test_spread_keeps_the_noise_visible() -> None:
    assert spread([3.0, 1.0, 2.0]) == {"min": 1.0, "median": 2.0, "max": 3.0}
    table = format_table("t", [{"x": spread([3.0, 1.0, 2.0])}], ["x"])
    assert "2.00 [1.00–3.00]" in table


def test_cpu_meter_sees_work_done_by_this_process() -> None:
    meter = CpuMeter(os.getpid()).start()
    sum(i * i for i in range(3_000_000))
    meter.stop()
    assert meter.cpu > 0
    assert 0 < meter.cores <= (os.cpu_count() or 1) + 0.5
    assert rss_bytes(os.getpid()) > 10_000_000
