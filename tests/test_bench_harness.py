"""The benchmark harness's arithmetic and its view of a real process."""

from __future__ import annotations

import os
from pathlib import Path

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


def test_the_plot_leaves_out_derived_video_rows_and_draws_every_area(tmp_path: Path) -> None:
    from bench.plot import _series, plot_results

    rows = [
        {"area": "video", "variant": "forward-native", "viewers": 50, "server_cores": 0.1},
        {"area": "video", "variant": "forward-native", "viewers": 100, "server_cores": 0.2},
        {"area": "video", "variant": "python/native", "viewers": 100, "server_cores": 1.4},  # a ratio
        {"area": "chat", "variant": "raw-ws", "clients": 2000, "p99_ms": 141, "us_per_delivery": 8.5},
        {"area": "chat", "variant": "livecart", "clients": 2000, "p99_ms": 120, "us_per_delivery": 9.4},
        {"area": "checkout", "variant": "sqlite", "workers": 1, "phase": "flash", "checkouts_per_s": 848,
         "server_cpu_ms": {"median": 0.5, "min": 0.48, "max": 0.52}},
        {"area": "checkout", "variant": "sqlite", "workers": 1, "phase": "sustained", "checkouts_per_s": 1555,
         "server_cpu_ms": {"median": 0.51, "min": 0.5, "max": 0.53}},
    ]  # fmt: skip

    assert set(_series(rows, "video", "viewers", "server_cores")) == {"forward-native"}
    path = plot_results(rows, tmp_path / "all.png")

    assert path is not None
    assert path.read_bytes().startswith(b"\x89PNG")
