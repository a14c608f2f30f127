"""Prometheus metrics, one registry per application (so several apps can live in one test process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "livecart_http_requests",
            "HTTP requests handled, by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "livecart_http_request_duration_seconds",
            "Time to handle an HTTP request.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )

        self.checkouts = Counter(
            "livecart_checkouts",
            "Checkout requests answered, by HTTP status, and whether the answer was a replay.",
            ["status", "replayed"],
            registry=self.registry,
        )

    def gauge(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """A gauge read from the application when scraped (no bookkeeping on the hot path)."""
        self.registry.register(_Read(name, documentation, read, GaugeMetricFamily))

    def counter(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """A counter read when scraped; `read` must never go down (name without `_total`)."""
        self.registry.register(_Read(name, documentation, read, CounterMetricFamily))

    def info(self, name: str, documentation: str, labels: dict[str, str]) -> None:
        """A constant gauge of 1 whose labels say something about this process (Prometheus' info pattern)."""
        family = GaugeMetricFamily(name, documentation, labels=list(labels))
        family.add_metric(list(labels.values()), 1)
        self.registry.register(_Constant(family))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Constant(Collector):
    def __init__(self, family: Metric) -> None:
        self._family = family

    def collect(self) -> Iterator[Metric]:
        yield self._family


class _Read(Collector):
    def __init__(
        self,
        name: str,
        documentation: str,
        read: Callable[[], float],
        family: type[GaugeMetricFamily] | type[CounterMetricFamily],
    ) -> None:
        self._name, self._documentation, self._read, self._family = name, documentation, read, family

    def collect(self) -> Iterator[Metric]:
        yield self._family(self._name, self._documentation, value=self._read())
