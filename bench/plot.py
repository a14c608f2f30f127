"""One PNG next to the JSON: video viewers vs server cores, chat clients vs latency, chat capacity per
process count, checkout: checkouts per second and livecart CPU per checkout, flash and sustained side by
side for each store and worker count."""

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


RATIO_PREFIXES = ("python/", "summary")  # video's derived rows (a ratio, a summary): not a measured series


def _series(rows: Sequence[Row], area: str, x: str, y: str) -> dict[str, list[tuple[Any, float]]]:
    series: dict[str, list[tuple[Any, float]]] = defaultdict(list)
    for row in rows:
        if str(row.get("variant", "")).startswith(RATIO_PREFIXES):
            continue
        if row.get("area") == area and x in row and y in row:
            at = row[x] if isinstance(row[x], str) else _median(row[x])  # a category (checkout's phase) or a number
            series[str(row.get("variant", area))].append((at, _median(row[y])))
    return {name: sorted(points) for name, points in series.items()}


def _group_label(rows: Sequence[Row], variant: str) -> str:
    """`redis aof=everysec ×2` → two lines: the store, then "2 workers"."""
    workers = next((int(row.get("workers", 1)) for row in rows if row.get("variant") == variant), 1)
    store = variant.split(" ×")[0]
    return f"{store}\n{workers} worker{'s' if workers > 1 else ''}"


PHASE_COLOURS = {"flash": "#d95f02", "sustained": "#1b9e77"}


def _bars(axis: Any, rows: Sequence[Row], y: str) -> None:
    """Checkout: one group per store and worker count (the variant, e.g. `redis aof=everysec ×2`),
    flash and sustained side by side in it (one colour each, named in the legend), the median on each
    bar and the repeats' min–max as an error bar. The groups are categories, not an x scale."""
    checkout = [row for row in rows if row.get("area") == "checkout" and y in row]
    variants = list(dict.fromkeys(str(row.get("variant", "")) for row in checkout))
    phases = list(dict.fromkeys(str(row.get("phase", "")) for row in checkout))
    width = 0.8 / max(1, len(phases))
    for index, phase in enumerate(phases):
        xs, ys, low, high = [], [], [], []
        for position, variant in enumerate(variants):
            row = next((r for r in checkout if r.get("variant") == variant and r.get("phase") == phase), None)
            if row is None:
                continue
            value = row[y]
            median = _median(value)
            xs.append(position - 0.4 + width * (index + 0.5))
            ys.append(median)
            low.append(median - float(value["min"]) if isinstance(value, dict) else 0.0)
            high.append(float(value["max"]) - median if isinstance(value, dict) else 0.0)
        colour = PHASE_COLOURS.get(phase)
        bars = axis.bar(xs, ys, width, yerr=[low, high], capsize=3, label=phase, color=colour)
        axis.bar_label(bars, labels=[f"{v:.0f}" if v >= 100 else f"{v:.2f}" for v in ys], fontsize=8, padding=2)
    axis.set_xticks(range(len(variants)), [_group_label(checkout, variant) for variant in variants], fontsize=8)
    axis.set_xlabel("store, livecart processes")
    axis.margins(y=0.15)
    axis.grid(alpha=0.3, axis="y")
    axis.legend(fontsize=8, title="phase", title_fontsize=8)


TARGETS = {"server_cpu_ms": (0.5, "issue 21 target: 0.5 ms")}


def _single_x_bars(axis: Any, series: dict[str, list[tuple[Any, float]]], xlabel: str) -> None:
    """Every variant measured at one x (the quick chat run: one client count): a bar per variant, the x
    in the axis label, instead of dots stacked on one vertical line."""
    names = list(series)
    values = [series[name][0][1] for name in names]
    bars = axis.bar(range(len(names)), values, color=[f"C{index}" for index in range(len(names))])
    axis.bar_label(bars, labels=[f"{v:.0f}" if v >= 100 else f"{v:.1f}" for v in values], fontsize=8, padding=2)
    axis.set_xticks(range(len(names)), names, fontsize=8)
    x_value = series[names[0]][0][0]
    axis.set_xlabel(f"{xlabel}: {x_value:,.0f}" if isinstance(x_value, float | int) else xlabel)
    axis.margins(y=0.15)
    axis.grid(alpha=0.3, axis="y")


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
        ("checkout", "phase", "checkouts_per_s", "Checkout: checkouts per second", "", "checkouts/s"),
        ("checkout", "phase", "server_cpu_ms", "Checkout: livecart CPU per checkout", "", "ms of CPU"),
    ]
    present = [panel for panel in panels if _series(rows, panel[0], panel[1], panel[2])]
    if not present:
        return None
    columns = min(len(present), 4)
    lines = -(-len(present) // columns)
    figure, axes = plt.subplots(lines, columns, figsize=(5.5 * columns, 4.5 * lines), squeeze=False)
    for spare in axes.flat[len(present) :]:
        spare.set_visible(False)
    for axis, (area, x, y, title, xlabel, ylabel) in zip(axes.flat, present, strict=False):
        if area == "checkout":
            _bars(axis, rows, y)
            if y in TARGETS:
                level, label = TARGETS[y]
                axis.axhline(level, color="black", linestyle="--", linewidth=1, label=label)
                top = max(level, axis.get_ylim()[1])
                axis.set_ylim(0, top * 1.35)  # room above the bars and the line for the legend
                axis.legend(fontsize=8, title="phase", title_fontsize=8, loc="upper left", ncols=3)
            axis.set_title(title)
            axis.set_ylabel(ylabel)
            continue
        series = _series(rows, area, x, y)
        if len({points[0][0] for points in series.values()}) == 1 and all(len(p) == 1 for p in series.values()):
            _single_x_bars(axis, series, xlabel)
            axis.set_title(title)
            axis.set_ylabel(ylabel)
            continue
        for name, points in series.items():
            xs, ys = zip(*points, strict=True)
            axis.plot(xs, ys, marker="o", label=name)
        every_x = sorted({point[0] for points in series.values() for point in points})
        if len(every_x) <= 8 and max(every_x) <= 16 and all(float(value).is_integer() for value in every_x):
            axis.set_xticks(every_x)  # process counts, viewer steps: whole numbers, not 1.25
        axis.set_title(title)
        axis.set_xlabel(xlabel)
        axis.set_ylabel(ylabel)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
