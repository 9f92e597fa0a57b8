"""Realistic synthetic scans for `xqr dev seed-scans`, the benchmarks and the tests.

Scans come as `RawScan`s, as the redirect path records them: real-looking public IPs (found
per country in the offline `iptocc` table, so enrichment gives back the intended country),
browser user agents with a realistic device mix, a few bots, referrers, `?qr=1` on about half.
Traffic is skewed like real campaigns: links by a Zipf-like law, countries and devices by
market share, hours by a daily curve, weekends quieter, a slow upward trend, and visitors that
come back within a day now and then. Everything is drawn from one seeded `random.Random`.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import iptocc

from xqr.scans.buffer import RawScan

# Share of scans per visitor country (roughly a global marketing audience).
COUNTRY_WEIGHTS: dict[str, float] = {
    "US": 28, "IN": 9, "GB": 7, "DE": 7, "BR": 5, "FR": 5, "CA": 4, "JP": 4, "ES": 3,
    "IT": 3, "MX": 3, "AU": 2.5, "NL": 2, "PL": 1.5, "TR": 1.5, "ID": 1.5, "KR": 1.2,
    "SE": 1, "CH": 1, "AR": 1, "ZA": 1, "CO": 1, "BE": 0.8, "AT": 0.8, "IE": 0.6,
    "PT": 0.6, "DK": 0.5, "NO": 0.5, "FI": 0.5, "SG": 0.5, "NZ": 0.4, "PH": 0.4,
    "VN": 0.4, "TH": 0.4, "EG": 0.3, "NG": 0.3, "KE": 0.2, "CL": 0.3, "PE": 0.2,
    "IL": 0.3, "AE": 0.3, "SA": 0.3, "CZ": 0.3, "RO": 0.3, "HU": 0.2, "GR": 0.2,
    "UA": 0.2, "MY": 0.2, "PK": 0.2, "BD": 0.1,
}  # fmt: skip

# (user agent, share): phones first, as QR codes are mostly scanned with them.
BROWSERS: tuple[tuple[str, float], ...] = (
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        26,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
        6,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.0.0 (iPhone15,2; iOS 17_4; en_US)",
        3,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.82 Mobile Safari/537.36",
        17,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.82 Mobile Safari/537.36",
        6,
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        5,
    ),
    ("Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", 1),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        4,
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.82 Safari/537.36",
        2,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36",
        12,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
        5,
    ),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", 2),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        4,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        3,
    ),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", 1),
)
BOTS: tuple[str, ...] = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "WhatsApp/2.23.20.0 A",
)
REFERRERS: tuple[tuple[str | None, float], ...] = (
    (None, 70),
    ("https://www.instagram.com/", 9),
    ("https://www.google.com/", 7),
    ("https://t.co/x1y2z3", 4),
    ("https://www.facebook.com/", 4),
    ("https://www.linkedin.com/feed/", 3),
    ("https://news.example.org/article/42", 3),
)
# Relative traffic per UTC hour: quiet at night in Europe/Americas, busy in the afternoon.
HOUR_WEIGHTS = (
    3, 2, 2, 2, 2, 3, 4, 6, 8, 9, 10, 11, 12, 13, 14, 15, 15, 14, 13, 12, 10, 8, 6, 4,
)  # fmt: skip


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    left = total - sum(counts)
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[:left]:
        counts[i] += 1
    return counts


class SyntheticTraffic:
    """Generates raw scans of a workspace's links (or other targets) in time order."""

    def __init__(
        self,
        workspace_id: uuid.UUID,
        target_ids: Sequence[uuid.UUID],
        *,
        seed: int = 0,
        kind: str = "link",
        parent_id: uuid.UUID | None = None,
        bot_share: float = 0.01,
        qr_share: float = 0.55,
        link_skew: float = 0.9,
        visitors: int = 50_000,
    ) -> None:
        if not target_ids:
            raise ValueError("no targets to scan")
        self.workspace_id = workspace_id
        self.target_ids = list(target_ids)
        self.kind = kind
        self.parent_id = parent_id
        self.bot_share = bot_share
        self.qr_share = qr_share
        self.random = random.Random(seed)
        self._target_cum = _cumulative(
            [1 / (rank + 1) ** link_skew for rank in range(len(target_ids))]
        )
        self._referrer_cum = _cumulative([w for _, w in REFERRERS])
        self._people = self._make_people(max(1, visitors))

    # --- visitors --------------------------------------------------------------------------

    def _country_prefixes(self) -> dict[str, list[str]]:
        """A few /24 networks per country, found by asking the offline table about random IPs."""
        wanted = set(COUNTRY_WEIGHTS)
        found: dict[str, list[str]] = {}
        rnd = self.random
        for _ in range(20):
            sample = [
                f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}"
                for _ in range(20_000)
            ]
            for prefix, code in zip(
                sample, iptocc.country_code([p + ".1" for p in sample]), strict=True
            ):
                if code in wanted and len(found.setdefault(code, [])) < 16:
                    found[code].append(prefix)
            if all(len(found.get(code, ())) >= 4 for code in wanted):
                break
        return {code: prefixes for code, prefixes in found.items() if prefixes}

    def _make_people(self, count: int) -> list[tuple[str, str]]:
        """(IP, user agent) of `count` visitors with a realistic country and device mix."""
        prefixes = self._country_prefixes()
        countries = [c for c in COUNTRY_WEIGHTS if c in prefixes]
        rnd = self.random
        homes = rnd.choices(countries, [COUNTRY_WEIGHTS[c] for c in countries], k=count)
        agents = rnd.choices([ua for ua, _ in BROWSERS], [w for _, w in BROWSERS], k=count)
        return [
            (f"{rnd.choice(prefixes[home])}.{rnd.randint(1, 254)}", agent)
            for home, agent in zip(homes, agents, strict=True)
        ]

    # --- scans -----------------------------------------------------------------------------

    def hourly_counts(
        self, count: int, start: datetime, end: datetime
    ) -> list[tuple[datetime, int]]:
        """How many of `count` scans fall in each hour-long slice of [start, end)."""
        slices: list[datetime] = []
        at = start
        while at < end:
            slices.append(at)
            at += timedelta(hours=1)
        span = max((end - start).total_seconds(), 1.0)
        weights = []
        for at in slices:
            weekend = 0.75 if at.weekday() >= 5 else 1.0
            trend = 0.7 + 0.6 * (at - start).total_seconds() / span
            length = min(end - at, timedelta(hours=1)).total_seconds() / 3600
            weights.append(HOUR_WEIGHTS[at.hour] * weekend * trend * length)
        return list(zip(slices, _apportion(count, weights), strict=True))

    def scans(
        self, count: int, start: datetime, end: datetime, *, chunk: int = 20_000
    ) -> Iterator[list[RawScan]]:
        """`count` raw scans between `start` and `end`, in time order, `chunk` at a time."""
        pending: list[RawScan] = []
        for at, n in self.hourly_counts(count, start, end):
            if not n:
                continue
            seconds = min(end - at, timedelta(hours=1)).total_seconds()
            offsets = sorted(self.random.random() * seconds for _ in range(n))
            pending.extend(self.at_times([at + timedelta(seconds=s) for s in offsets]))
            while len(pending) >= chunk:
                yield pending[:chunk]
                pending = pending[chunk:]
        if pending:
            yield pending

    def at_times(self, times: Sequence[datetime]) -> list[RawScan]:
        """One raw scan at each of `times`."""
        rnd = self.random
        n = len(times)
        targets = rnd.choices(self.target_ids, cum_weights=self._target_cum, k=n)
        people = rnd.choices(self._people, k=n)
        referrers = rnd.choices([r for r, _ in REFERRERS], cum_weights=self._referrer_cum, k=n)
        out: list[RawScan] = []
        for at, target, (ip, agent), referrer in zip(
            times, targets, people, referrers, strict=True
        ):
            if self.bot_share and rnd.random() < self.bot_share:
                agent = rnd.choice(BOTS)
            out.append(
                RawScan(
                    occurred_at=at,
                    workspace_id=self.workspace_id,
                    kind=self.kind,
                    target_id=target,
                    parent_id=self.parent_id,
                    ip=ip,
                    user_agent=agent,
                    referer=referrer,
                    country_header=None,
                    qr=rnd.random() < self.qr_share,
                )
            )
        return out
