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


def _series(rows: Sequence[Row], area: str, x: str, y: str) -> dict[str, list[tuple[float, float]]]:
    series: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        if row.get("area") == area and x in row and y in row:
            series[str(row.get("variant", area))].append((_median(row[x]), _median(row[y])))
    return {name: sorted(points) for name, points in series.items()}


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
        ("chat-cluster", "nodes", "deliveries_per_s", "Chat: deliveries/s at saturation", "livecart processes",
         "deliveries/s"),
        ("chat-cluster", "nodes", "per_core_s", "Chat: deliveries per livecart CPU-second", "livecart processes",
         "deliveries"),
        ("checkout", "buyers", "checkouts_per_s", "Checkout throughput", "concurrent buyers", "checkouts/s"),
    ]
    present = [panel for panel in panels if _series(rows, panel[0], panel[1], panel[2])]
    if not present:
        return None
    figure, axes = plt.subplots(1, len(present), figsize=(5 * len(present), 4), squeeze=False)
    for axis, (area, x, y, title, xlabel, ylabel) in zip(axes[0], present, strict=True):
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
