"""One PNG next to the JSON: video viewers vs server cores, chat clients vs latency, chat capacity per
process count, checkout throughput."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

Row = dict[str, Any]


def _median(value: Any) -> float:
    if isinstance(value, dict):
        return float(value.get("median", float("nan")))
    return float(value)


def _series(rows: Sequence[Row], area: str, x: str, y: str) -> dict[str, list[tuple[Any, float]]]:
    series: dict[str, list[tuple[Any, float]]] = defaultdict(list)
    for row in rows:
        if row.get("area") == area and x in row and y in row:
            at = row[x] if isinstance(row[x], str) else _median(row[x])  # a category (checkout's phase) or a number
            series[str(row.get("variant", area))].append((at, _median(row[y])))
    return {name: sorted(points) for name, points in series.items()}


def _bars(axis: Any, rows: Sequence[Row], y: str) -> None:
    """Checkout: one group of bars per phase (flash, sustained), one bar per store variant, the median's
    value on it and the repeats' min–max as an error bar: the phases are categories, not an x scale."""
    checkout = [row for row in rows if row.get("area") == "checkout" and y in row]
    phases = list(dict.fromkeys(str(row.get("phase", "")) for row in checkout))
    variants = list(dict.fromkeys(str(row.get("variant", "")) for row in checkout))
    width = 0.8 / max(1, len(variants))
    for index, variant in enumerate(variants):
        xs, ys, low, high = [], [], [], []
        for position, phase in enumerate(phases):
            row = next((r for r in checkout if r.get("variant") == variant and r.get("phase") == phase), None)
            if row is None:
                continue
            value = row[y]
            median = _median(value)
            xs.append(position - 0.4 + width * (index + 0.5))
            ys.append(median)
            low.append(median - float(value["min"]) if isinstance(value, dict) else 0.0)
            high.append(float(value["max"]) - median if isinstance(value, dict) else 0.0)
        bars = axis.bar(xs, ys, width, yerr=[low, high], capsize=3, label=variant)
        axis.bar_label(bars, fmt="%.3g", fontsize=7)
    axis.set_xticks(range(len(phases)), phases)
    axis.grid(alpha=0.3, axis="y")
    axis.legend(fontsize=8)


def plot_results(rows: Sequence[Row], path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    panels = [
        ("video", "viewers", "server_cores", "Video: server cores used", "viewers", "cores"),
        ("chat", "clients", "p99_ms", "Chat: p99 delivery latency", "connected clients", "ms"),
        ("chat", "clients", "us_per_delivery", "Chat: server CPU per delivery", "connected clients", "µs"),
        (
            "chat-cluster",
            "nodes",
            "deliveries_per_s",
            "Chat: deliveries/s at saturation",
            "livecart processes",
            "deliveries/s",
        ),
        (
            "chat-cluster",
            "nodes",
            "per_core_s",
            "Chat: deliveries per livecart CPU-second",
            "livecart processes",
            "deliveries",
        ),
        ("checkout", "phase", "checkouts_per_s", "Checkout throughput", "", "checkouts/s"),
        ("checkout", "phase", "server_cpu_ms", "Checkout: server CPU per checkout", "", "ms"),
    ]
    present = [panel for panel in panels if _series(rows, panel[0], panel[1], panel[2])]
    if not present:
        return None
    figure, axes = plt.subplots(1, len(present), figsize=(5 * len(present), 4), squeeze=False)
    for axis, (area, x, y, title, xlabel, ylabel) in zip(axes[0], present, strict=True):
        if area == "checkout":
            _bars(axis, rows, y)
            axis.set_title(title)
            axis.set_ylabel(ylabel)
            continue
        for name, points in _series(rows, area, x, y).items():
            xs, ys = zip(*points, strict=True)
            axis.plot(xs, ys, marker="o", label=name)
        axis.set_title(title)
        axis.set_xlabel(xlabel)
        axis.set_ylabel(ylabel)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
