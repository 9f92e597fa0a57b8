"""Counts of the redirect path's answers and their latency (pure; read by `/metrics`).

Plain integers rather than the metrics library's objects: the redirect path must stay as fast
as it is, and a labelled counter takes a lock and a lookup per call. `/metrics` reads these
when it is scraped.
"""

from __future__ import annotations

from bisect import bisect_left

# Upper bounds of the latency buckets, in seconds (the time from the request's headers being
# parsed to its answer being handed to the socket).
LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5)


class RedirectStats:
    """Answers by status, and a latency histogram, of the redirect path."""

    __slots__ = ("buckets", "by_status", "latency_sum")

    def __init__(self) -> None:
        self.by_status: dict[int, int] = {}
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)  # the last: over the largest bound
        self.latency_sum = 0.0

    def observe(self, status: int, seconds: float) -> None:
        by_status = self.by_status
        by_status[status] = by_status.get(status, 0) + 1
        self.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.latency_sum += seconds
