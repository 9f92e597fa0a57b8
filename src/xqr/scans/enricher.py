"""Turning a raw scan into the stored facts (pure apart from the cached lookups)."""

from __future__ import annotations

import functools
from datetime import date

from xqr.core.memo import BoundedMemo
from xqr.scans import enrichment
from xqr.scans.aggregate import EnrichedScan
from xqr.scans.buffer import RawScan

# Referrers repeat far more than user agents do; the parse is pure, so cache it too.
_referrer_host = functools.lru_cache(maxsize=4096)(enrichment.referrer_host)


# An EnrichedScan's fields as a tuple, without the Python-level `__new__` of a named tuple.
_new_scan = tuple.__new__

VISITOR_MEMO = 100_000  # (address, user agent) pairs remembered for the day


class Enricher:
    """Turns raw scans into stored facts; bots come back as None.

    A visitor's hash and address country are remembered for the day: repeat scans of one
    visitor (the common case on a busy link) then cost a dictionary lookup instead of a
    SHA-256 and an address-table search.
    """

    def __init__(self, secret: bytes, *, memo_size: int = VISITOR_MEMO) -> None:
        self._secret = secret
        self._salts: BoundedMemo[date, bytes] = BoundedMemo(5)
        self._memo_day: date | None = None
        self._memo: BoundedMemo[tuple[str, str], tuple[str, str]] = BoundedMemo(memo_size)

    def salt(self, day: date) -> bytes:
        salt = self._salts.get(day)
        if salt is None:
            salt = self._salts[day] = enrichment.daily_salt(self._secret, day)
        return salt

    def visitor(self, ip: str, user_agent: str, day: date) -> tuple[str, str]:
        """(country by address, visitor hash) of a visitor on a UTC day."""
        if day != self._memo_day:
            self._memo_day = day
            self._memo.clear()
        key = (ip, user_agent)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = (
                enrichment.country_for(ip),
                enrichment.visitor_hash(ip, user_agent, self.salt(day)),
            )
        return found

    def enrich(self, raw: RawScan) -> EnrichedScan | None:
        agent = enrichment.parse_user_agent(raw.user_agent)
        if agent.is_bot:
            return None
        country, visitor = self.visitor(raw.ip, raw.user_agent, raw.occurred_at.date())
        if raw.country_header:
            country = enrichment.country_for(raw.ip, raw.country_header)
        return _new_scan(
            EnrichedScan,
            (
                raw.occurred_at,
                raw.workspace_id,
                raw.kind,
                raw.target_id,
                raw.parent_id,
                country,
                agent.device_type,
                agent.browser[:64],
                agent.os[:64],
                _referrer_host(raw.referer) if raw.referer else None,
                "qr" if raw.qr else "direct",
                visitor,
            ),
        )
