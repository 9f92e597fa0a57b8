"""Turning a raw scan into the stored facts (pure apart from the cached lookups)."""

from __future__ import annotations

import functools
from datetime import date

from xqr.scans import enrichment
from xqr.scans.aggregate import EnrichedScan
from xqr.scans.buffer import RawScan

# Referrers repeat far more than user agents do; the parse is pure, so cache it too.
_referrer_host = functools.lru_cache(maxsize=4096)(enrichment.referrer_host)


class Enricher:
    """Turns raw scans into stored facts; bots come back as None."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._salts: dict[date, bytes] = {}

    def salt(self, day: date) -> bytes:
        salt = self._salts.get(day)
        if salt is None:
            if len(self._salts) > 4:
                self._salts.clear()
            salt = self._salts[day] = enrichment.daily_salt(self._secret, day)
        return salt

    def enrich(self, raw: RawScan) -> EnrichedScan | None:
        agent = enrichment.parse_user_agent(raw.user_agent)
        if agent.is_bot:
            return None
        return EnrichedScan(
            raw.occurred_at,
            raw.workspace_id,
            raw.kind,
            raw.target_id,
            raw.parent_id,
            enrichment.country_for(raw.ip, raw.country_header),
            agent.device_type,
            agent.browser[:64],
            agent.os[:64],
            _referrer_host(raw.referer) if raw.referer else None,
            "qr" if raw.qr else "direct",
            enrichment.visitor_hash(raw.ip, raw.user_agent, self.salt(raw.occurred_at.date())),
        )
