"""The multi-process chat benchmark runs end to end on a tiny room (numbers are not checked)."""

from __future__ import annotations

import pytest

from bench import chat_cluster

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def test_the_cluster_chat_benchmark_measures_each_process_count() -> None:
    rows = chat_cluster.main(["--processes", "1,2", "--viewers", "20", "--messages", "3", "--frame-ms", "50"])
    assert [row["processes"] for row in rows] == [1, 2]
    for row in rows:
        assert row["lost"] == 0
        assert row["received"] == 21 * 3  # every client got every message, whichever process it is on
        assert row["redis_cpu_s"] >= 0
