"""Prometheus metrics, labelled by route template (never by raw path, which carries ids)."""

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

LABELS = ("route", "method", "status")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "beneficiary_http_requests_total",
            "HTTP requests handled.",
            LABELS,
            registry=self.registry,
        )
        self.latency = Histogram(
            "beneficiary_http_request_duration_seconds",
            "Time to produce a response.",
            LABELS,
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )

    def observe(self, *, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method, str(status)).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        # Several workers write to PROMETHEUS_MULTIPROC_DIR; one scrape then sums them all.
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
