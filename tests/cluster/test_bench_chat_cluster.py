"""The multi-process chat capacity benchmark runs end to end on a tiny room (speeds are not checked,
but every message must reach every receiver, whichever node it is on)."""

from __future__ import annotations

import pytest

from bench import chat_cluster

pytestmark = [pytest.mark.slow, pytest.mark.redis]

TINY = [
    "--viewers",
    "20",
    "--senders",
    "2",
    "--fixed-rate",
    "10",
    "--start-rate",
    "40",
    "--max-rate",
    "40",
    "--step-s",
    "1",
    "--grace-s",
    "5",
    "--p99-limit-ms",
    "60000",
]


def check_row(row: dict[str, object], nodes: int) -> None:
    steps = row["steps"]
    assert isinstance(steps, list)
    assert [step["offered"] for step in steps] == [10, 40]
    assert row["fixed_sent"] == 10
    assert row["fixed_received"] == 10 * 20  # each of the 20 receivers got each message
    assert row["fixed_lost"] == 0
    assert row["senders"] == max(2, nodes)
    per_process = row["per_process_cores"]
    assert isinstance(per_process, list)
    assert len(per_process) == nodes
    assert row["clients_open_at_end"] == 20


def test_separate_processes_share_one_show_through_redis() -> None:
    rows = chat_cluster.main(["--processes", "1,2", *TINY])
    assert [(row["variant"], row["nodes"]) for row in rows] == [("processes", 1), ("processes", 2)]
    for row in rows:
        check_row(row, int(str(row["nodes"])))


def test_serve_workers_mode_is_measured_per_worker() -> None:
    [row] = chat_cluster.main(["--processes", "2", "--modes", "workers", *TINY])
    check_row(row, 2)
