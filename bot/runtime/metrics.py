"""Every Prometheus metric Radar exports, and the one-line hooks the edges call to feed them.

The counters live in prometheus-client's process-wide registry: each replica reports its own work,
and Prometheus sums them. The outbox gauges are read from the database when /metrics is scraped
(see bot/runtime/ops_server.py), so they show the shared outbox whichever replica answers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta
from functools import cache
from typing import Protocol

from bot.core.models import CycleReport, Understanding

# Feeds answer in milliseconds to tens of seconds (the fetch timeout).
_NETWORK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The metric objects, registered in prometheus-client's default registry on first use: a
    command that never fetches or sends (`radar classify`) never pays for importing the client."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.polls = Counter(
            "radar_polls", "Feed polls by outcome (ok, not_modified, failed).", ["outcome"]
        )
        self.fetch_seconds = Histogram(
            "radar_fetch_seconds",
            "Time to fetch one feed, by fetch status (ok, not_modified, gone, error).",
            ["status"],
            buckets=_NETWORK_BUCKETS,
        )
        self.items = Counter("radar_items", "New items stored.")
        self.flagged_items = Counter(
            "radar_flagged_items", "New items flagged, by topic.", ["topic"]
        )
        self.stories = Counter("radar_stories", "New stories created (one per news event).")
        self.alerts_queued = Counter(
            "radar_alerts_queued", "Outbox rows written, by kind (alert, followup).", ["kind"]
        )
        self.alerts_sent = Counter(
            "radar_alerts_sent", "Alerts and follow-ups sent, by platform.", ["platform"]
        )
        self.alerts_failed = Counter(
            "radar_alerts_failed",
            "Failed send attempts (retried or given up), by platform.",
            ["platform"],
        )
        self.send_seconds = Histogram(
            "radar_send_seconds",
            "Time of one send through an output (the chat API calls for Slack and Discord).",
            ["platform"],
            buckets=_NETWORK_BUCKETS,
        )
        self.rate_limited = Counter(
            "radar_rate_limited",
            "Sends the platform refused for now with a retry-after (HTTP 429), by platform.",
            ["platform"],
        )
        self.cycle_seconds = Histogram(
            "radar_cycle_seconds",
            "Duration of one poll cycle (fetch, parse, understand, store).",
            buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
        )
        self.classify_seconds = Histogram(
            "radar_classify_seconds",
            "Time to understand one feed's new items (classify, move, summary) in this process.",
            buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
        )
        self.outbox_pending = Gauge(
            "radar_outbox_pending",
            "Outbox rows waiting to be sent (pending or sending), by platform.",
            ["platform"],
        )
        self.outbox_oldest_seconds = Gauge(
            "radar_outbox_oldest_pending_seconds",
            "Age of the oldest outbox row waiting to be sent (0 when the outbox is empty).",
        )
        self.database_up = Gauge(
            "radar_database_up", "1 when the last scrape could read the database."
        )
        for outcome in ("ok", "not_modified", "failed"):
            self.polls.labels(outcome)  # present at 0 from the start, so rate() sees the first


@cache
def get() -> Metrics:
    return Metrics()


class _Ingested(Protocol):
    """What the store says one feed's ingest did (bot.store.repository.IngestResult)."""

    @property
    def new_items(self) -> int: ...
    @property
    def new_stories(self) -> int: ...
    @property
    def alerts_queued(self) -> int: ...
    @property
    def followups_queued(self) -> int: ...


def platform_of(destination: str) -> str:
    """The platform part of a destination key: 'slack:C123' → 'slack', 'console' → 'console'."""
    return destination.partition(":")[0] or "unknown"


def fetched(status: str, started: float) -> None:
    get().fetch_seconds.labels(status).observe(time.perf_counter() - started)


def ingested(understood: Iterable[Understanding], result: _Ingested) -> None:
    m = get()
    m.items.inc(result.new_items)
    m.stories.inc(result.new_stories)
    m.alerts_queued.labels("alert").inc(result.alerts_queued)
    m.alerts_queued.labels("followup").inc(result.followups_queued)
    for understanding in understood:
        for topic in understanding.labels:
            m.flagged_items.labels(topic).inc()


def classified(started: float) -> None:
    get().classify_seconds.observe(time.perf_counter() - started)


def cycle_done(report: CycleReport, took: timedelta) -> None:
    m = get()
    m.polls.labels("ok").inc(report.polled)
    m.polls.labels("not_modified").inc(report.not_modified)
    m.polls.labels("failed").inc(report.failed)
    m.cycle_seconds.observe(max(0.0, took.total_seconds()))


def sent(destination: str, started: float) -> None:
    m, platform = get(), platform_of(destination)
    m.send_seconds.labels(platform).observe(time.perf_counter() - started)
    m.alerts_sent.labels(platform).inc()


def send_failed(
    destination: str, started: float, retry_after: float | None, needs_admin: bool
) -> None:
    m, platform = get(), platform_of(destination)
    m.send_seconds.labels(platform).observe(time.perf_counter() - started)
    m.alerts_failed.labels(platform).inc()
    # Outputs turn a 429 into a DeliveryError with the platform's retry-after; a problem an admin
    # must fix also waits (needs_admin), but is no rate limit.
    if retry_after is not None and not needs_admin:
        m.rate_limited.labels(platform).inc()
