"""The chat benchmark runs end to end on a small room (numbers are not checked: benchmarks never gate)."""

from __future__ import annotations

import pytest

from bench import chat

pytestmark = pytest.mark.slow


def test_the_chat_benchmark_measures_every_variant() -> None:
    rows = chat.main(["--viewers", "30", "--messages", "3", "--frame-ms", "50"])
    assert [row["variant"] for row in rows] == ["raw-ws", "socketio", "fast-manager", "livecart"]
    for row in rows[:3]:
        assert row["received"] == 30 * 3
        assert row["deliveries"] == 30 * 3
    assert rows[3]["received"] == 31 * 3  # the sender gets its own messages too
    for row in rows:
        assert row["p50_ms"] <= row["p99_ms"]
        assert row["server_cpu_s"] >= 0


def test_steps_above_two_thousand_clients_measure_only_the_large_variants() -> None:
    steps = ["--viewers", "20,2001", "--variants", "raw,livecart", "--large-variants", "livecart"]
    rows = chat.main([*steps, "--messages", "2", "--frame-ms", "50"])
    assert [(row["variant"], row["clients"]) for row in rows] == [
        ("raw-ws", 20),
        ("livecart", 20),
        ("livecart", 2001),
    ]
    assert rows[2]["received"] == 2002 * 2  # every member got every message, the sender included
