"""`/metrics`: the Prometheus text format, from the counts the app keeps as plain numbers.

The request path only ever adds to integers (see `xqr.redirect.stats`, `xqr.ops.requests`,
`xqr.core.counters`); this collector turns them into metric families when scraped, so
metrics cost the redirect path nothing beyond the additions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from xqr.core.counters import QUOTA_REJECTIONS
from xqr.redirect.stats import LATENCY_BUCKETS
from xqr.webhooks.service import queue_depth

if TYPE_CHECKING:
    from xqr.context import AppContext
    from xqr.ops.requests import RequestCounts

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
QUERY_TIMEOUT = 2.0


class AppCollector(Collector):
    """Every metric of one app (one server process)."""

    def __init__(self, ctx: AppContext, requests: RequestCounts) -> None:
        self.ctx = ctx
        self.requests = requests
        self.webhook_queue: float | None = None  # refreshed before each scrape

    def collect(self) -> Iterator[Metric]:
        yield from self._requests()
        yield from self._scans()
        yield from self._webhooks()
        rejections = CounterMetricFamily(
            "xqr_quota_rejections",
            "API requests refused for a plan limit: the monthly quota or the burst limit.",
            labels=["limit"],
        )
        for limit, count in sorted(QUOTA_REJECTIONS.items()):
            rejections.add_metric([limit], count)
        yield rejections

    def _requests(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "xqr_http_requests",
            "Requests answered, by route group and status.",
            labels=["group", "status"],
        )
        for (group, status), count in sorted(self.requests.counts.items()):
            requests.add_metric([group, str(status)], count)
        stats = self.ctx.parts.redirect_handler.stats
        for status, count in sorted(stats.by_status.items()):
            requests.add_metric(["redirect", str(status)], count)
        yield requests
        buckets: list[tuple[str, float]] = []
        total = 0
        for bound, count in zip((*LATENCY_BUCKETS, float("inf")), stats.buckets, strict=True):
            total += count
            buckets.append((str(bound) if bound != float("inf") else "+Inf", total))
        latency = HistogramMetricFamily(
            "xqr_redirect_latency_seconds",
            "Time from a short-link request's headers to its answer being written.",
        )
        latency.add_metric([], buckets, stats.latency_sum)
        yield latency

    def _scans(self) -> Iterator[Metric]:
        parts = self.ctx.parts
        journal, writer, buffer = parts.scan_journal, parts.scan_writer, parts.scan_buffer
        for name, help_text, value in (
            ("xqr_scans_journaled", "Scans appended to the scan journal.", journal.appended),
            ("xqr_scans_stored", "Scans stored in the database (bots excluded).", writer.written),
            (
                "xqr_scans_dropped",
                "Scans answered but dropped: the scan journal was full or the disk refused them.",
                journal.dropped + buffer.dropped,
            ),
            ("xqr_scans_bots", "Bot requests redirected and not counted.", writer.skipped_bots),
            ("xqr_scan_writer_failures", "Scan transactions that failed.", writer.failures),
        ):
            yield CounterMetricFamily(name, help_text, value=value)
        gauges: tuple[tuple[str, str, float], ...] = (
            (
                "xqr_scan_writer_lag_seconds",
                "How long the oldest scan not yet stored has waited.",
                writer.lag_seconds,
            ),
            ("xqr_scan_writer_lag_scans", "Scans answered, not yet stored.", writer.lag_scans),
            (
                "xqr_scan_buffer_scans",
                "Scans waiting to be stored that are held in memory (the rest wait in the "
                "journal only; at most XQR_SCAN_BUFFER_MAX_SCANS).",
                buffer.in_memory,
            ),
            ("xqr_scan_journal_bytes", "Size of the scan journal on disk.", journal.bytes),
            (
                "xqr_scan_journal_max_bytes",
                "The scan journal's limit (XQR_SCAN_JOURNAL_MAX_BYTES).",
                journal.max_bytes,
            ),
        )
        for name, help_text, amount in gauges:
            yield GaugeMetricFamily(name, help_text, value=amount)

    def _webhooks(self) -> Iterator[Metric]:
        deliveries = CounterMetricFamily(
            "xqr_webhook_deliveries",
            "Webhook delivery attempts made by this process, by outcome.",
            labels=["outcome"],
        )
        dispatcher = self.ctx.parts.webhook_dispatcher
        outcomes = dispatcher.outcomes if dispatcher is not None else {}
        for outcome in ("succeeded", "http_error", "network_error"):
            deliveries.add_metric([outcome], outcomes.get(outcome, 0))
        yield deliveries
        if self.webhook_queue is not None:
            yield GaugeMetricFamily(
                "xqr_webhook_queue_depth",
                "Webhook deliveries waiting to be sent or being sent (all processes).",
                value=self.webhook_queue,
            )

    async def refresh(self) -> None:
        """Read what lives in the database (shown as absent when it cannot be read)."""
        try:
            async with asyncio.timeout(QUERY_TIMEOUT):
                async with self.ctx.read_sessionmaker() as session:
                    self.webhook_queue = await queue_depth(session)
        except Exception:
            self.webhook_queue = None


class AppMetrics:
    """The registry of one app, rendered for a scrape."""

    def __init__(self, ctx: AppContext, requests: RequestCounts) -> None:
        self.collector = AppCollector(ctx, requests)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)

    async def render(self) -> bytes:
        await self.collector.refresh()
        return generate_latest(self.registry)
