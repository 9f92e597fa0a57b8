"""Bulk rollup rows with the layout `N` scans leave, for benchmarks of the analytics pages.

The real ingest (`xqr dev seed-scans`) writes ~1,500 scans/s on a busy shared machine, so 10
million scans would take hours. The analytics pages never read raw events: they read the
rollups (`xqr.scans.models`), whose size grows with links × hours, not with scans. This writes
those rows directly, in bulk, as a stream of scans spread over `days` days and `links` links
would have left them:

- `scan_totals`: one row per link and hour (scans ~ N / (links × hours), skewed by link and by
  hour of day; new visitors 90% of scans), plus its UTC days and ISO weeks;
- `scan_dimensions`: the workspace's scans per hour and day for every value of every dimension
  (total, visitors, 40 countries, 3 devices, 10 browsers, 6 systems, 2 sources);
- `scan_breakdowns`: per link and UTC day, 8 countries, 3 devices, 5 browsers, 4 systems and
  2 sources;
- `scan_rollups`: one facts row per link and hour (the hours at a period's edges of one link
  are read from it).

Not written: `scan_events` (raw events, read only by pruning) and `scan_visitors` (read only
by the writer). Counts are consistent: every dimension of every bucket sums to its total.
SQLite gets its rows through `sqlite3` (in SQLAlchemy's storage form), PostgreSQL through COPY.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

COUNTRIES = [
    "US", "IN", "DE", "GB", "FR", "CA", "JP", "AU", "BR", "IT", "ES", "NL", "MX", "KR", "SE",
    "PL", "TR", "ID", "CH", "BE", "AT", "NO", "DK", "FI", "IE", "PT", "CZ", "AR", "CL", "CO",
    "ZA", "NG", "EG", "SA", "AE", "SG", "MY", "TH", "PH", "VN",
]  # fmt: skip
DEVICES = ["mobile", "desktop", "tablet"]
BROWSERS = [
    "Mobile Safari", "Chrome Mobile", "Chrome", "Edge", "Samsung Internet", "Safari",
    "Firefox", "Instagram", "Firefox Mobile", "Opera",
]  # fmt: skip
SYSTEMS = ["iOS", "Android", "Windows", "Mac OS X", "Linux", "Chrome OS"]
SOURCES = ["qr", "direct"]


def _split(total: int, values: list[str], rnd: random.Random, skew: float) -> dict[str, int]:
    """`total` over the values, the first ones most (a Zipf-like share), summing exactly."""
    weights = [1 / (i + 1) ** skew for i in range(len(values))]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in rnd.sample(range(len(values)), total - sum(counts)):
        counts[i] += 1
    return {v: n for v, n in zip(values, counts, strict=True) if n}


class Layout:
    """The rows of `scans` scans over `days` days up to `end`, across the given links."""

    def __init__(
        self,
        workspace_id: uuid.UUID,
        link_ids: list[uuid.UUID],
        scans: int,
        days: int,
        end: datetime,
        seed: int = 1,
    ) -> None:
        self.workspace_id = workspace_id
        self.link_ids = link_ids
        self.days = days
        last_hour = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        self.hours = [last_hour - timedelta(hours=h) for h in range(days * 24 - 1, -1, -1)]
        self.seed = seed
        self.rnd = random.Random(seed)
        # a busy hour of the day gets 3× a quiet one; a busy link 50× a quiet one
        day_shape = [1 + 2 * max(0.0, 1 - abs(h - 14) / 9) for h in range(24)]
        self.per_hour = _integers(scans, [day_shape[h.hour] for h in self.hours], self.rnd)
        shape = [1 / (i + 1) ** 0.6 for i in range(len(link_ids))]
        self.link_shares = [w / sum(shape) for w in shape]

    def cells(self) -> Iterator[tuple[int, int, int]]:
        """(hour index, link index, scans) of every link-hour with scans; the same every time
        (computed again rather than held: millions of them)."""
        rnd = random.Random(self.seed)
        for hi, n in enumerate(self.per_hour):
            for li, share in enumerate(self.link_shares):
                exact = n * share
                count = int(exact) + (1 if rnd.random() < exact - int(exact) else 0)
                if count:
                    yield hi, li, count

    def totals(self) -> Iterator[tuple[Any, ...]]:
        """scan_totals rows: (workspace, kind, grain, bucket, target, parent, scans, visitors)."""
        days: dict[tuple[int, date], list[int]] = {}
        weeks: dict[tuple[int, date], list[int]] = {}
        for hi, li, n in self.cells():
            hour = self.hours[hi]
            visitors = max(1, n * 9 // 10)
            yield (self.workspace_id, "link", "h", hour, self.link_ids[li], None, n, visitors)
            day = hour.date()
            week = day - timedelta(days=day.weekday())
            for store, key in ((days, (li, day)), (weeks, (li, week))):
                row = store.setdefault(key, [0, 0])
                row[0] += n
                row[1] += visitors
        for grain, store in (("d", days), ("w", weeks)):
            for (li, bucket), (n, v) in store.items():
                at = datetime(bucket.year, bucket.month, bucket.day, tzinfo=UTC)
                yield (self.workspace_id, "link", grain, at, self.link_ids[li], None, n, v)

    def dimensions(self) -> Iterator[tuple[Any, ...]]:
        """scan_dimensions rows: (workspace, kind, dim, grain, bucket, value, scans)."""
        per_hour = [0] * len(self.hours)
        for hi, _, n in self.cells():
            per_hour[hi] += n
        daily: dict[tuple[str, date, str], int] = {}
        for hi, n in enumerate(per_hour):
            if not n:
                continue
            hour = self.hours[hi]
            values = {"total": {"": n}, "visitors": {"": max(1, n * 9 // 10)}}
            values["country"] = _split(n, COUNTRIES, self.rnd, 1.1)
            values["device"] = _split(n, DEVICES, self.rnd, 1.5)
            values["browser"] = _split(n, BROWSERS, self.rnd, 1.2)
            values["os"] = _split(n, SYSTEMS, self.rnd, 1.3)
            values["source"] = _split(n, SOURCES, self.rnd, 0.3)
            for dim, counts in values.items():
                for value, count in counts.items():
                    yield (self.workspace_id, "link", dim, "h", hour, value, count)
                    key = (dim, hour.date(), value)
                    daily[key] = daily.get(key, 0) + count
        for (dim, day, value), count in daily.items():
            at = datetime(day.year, day.month, day.day, tzinfo=UTC)
            yield (self.workspace_id, "link", dim, "d", at, value, count)

    def breakdowns(self) -> Iterator[tuple[Any, ...]]:
        """scan_breakdowns rows: (target, day, dim, value, scans)."""
        per_day: dict[tuple[int, date], int] = {}
        for hi, li, n in self.cells():
            key = (li, self.hours[hi].date())
            per_day[key] = per_day.get(key, 0) + n
        for (li, day), n in per_day.items():
            target = self.link_ids[li]
            for dim, values, skew in (
                ("country", COUNTRIES[:8], 1.1),
                ("device", DEVICES, 1.5),
                ("browser", BROWSERS[:5], 1.2),
                ("os", SYSTEMS[:4], 1.3),
                ("source", SOURCES, 0.3),
            ):
                for value, count in _split(n, values, self.rnd, skew).items():
                    yield (target, day, dim, value, count)

    def facts(self) -> Iterator[tuple[Any, ...]]:
        """scan_rollups rows: (target, hour, country, device, browser, os, source, workspace,
        kind, scans): one combination per link and hour."""
        for hi, li, n in self.cells():
            yield (
                self.link_ids[li],
                self.hours[hi],
                COUNTRIES[li % 8],
                DEVICES[li % 3],
                BROWSERS[li % 5],
                SYSTEMS[li % 4],
                SOURCES[li % 2],
                self.workspace_id,
                "link",
                n,
            )


def _integers(total: int, weights: list[float], rnd: random.Random) -> list[int]:
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in rnd.sample(range(len(weights)), total - sum(counts)):
        counts[i] += 1
    return counts


TABLES = {
    "scan_totals": (
        "totals",
        ["workspace_id", "kind", "grain", "bucket", "target_id", "parent_id", "scans", "visitors"],
    ),
    "scan_dimensions": (
        "dimensions",
        ["workspace_id", "kind", "dim", "grain", "bucket", "value", "scans"],
    ),
    "scan_breakdowns": ("breakdowns", ["target_id", "day", "dim", "value", "scans"]),
    "scan_rollups": (
        "facts",
        [
            "target_id",
            "hour",
            "country",
            "device_type",
            "browser",
            "os",
            "source",
            "workspace_id",
            "kind",
            "scans",
        ],
    ),
}


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.000000")
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_sqlite(path: str, layout: Layout) -> dict[str, int]:
    """Write the layout into the SQLite file at `path` (the app must not be writing)."""
    written: dict[str, int] = {}
    db = sqlite3.connect(path)
    try:
        for table, (method, columns) in TABLES.items():
            marks = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            count = 0
            batch: list[tuple[Any, ...]] = []
            for row in getattr(layout, method)():
                batch.append(tuple(_sqlite_value(v) for v in row))
                if len(batch) == 50_000:
                    db.executemany(statement, batch)
                    count += len(batch)
                    batch.clear()
            db.executemany(statement, batch)
            written[table] = count + len(batch)
            db.commit()
        db.execute("ANALYZE")
        db.commit()
    finally:
        db.close()
    return written


async def write_postgres(engine: Any, layout: Layout) -> dict[str, int]:
    """Write the layout with COPY (asyncpg), then ANALYZE."""
    written: dict[str, int] = {}
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        for table, (method, columns) in TABLES.items():
            count = 0

            def rows(method: str = method) -> Iterator[tuple[Any, ...]]:
                nonlocal count
                for row in getattr(layout, method)():
                    count += 1
                    yield row

            await raw.copy_records_to_table(table, records=rows(), columns=columns)
            written[table] = count
        await raw.execute("ANALYZE")
    return written
