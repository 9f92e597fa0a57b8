"""Turning a raw scan into the stored facts (pure apart from the cached lookups)."""

from __future__ import annotations

from datetime import date

from xqr.scans import enrichment
from xqr.scans.aggregate import EnrichedScan
from xqr.scans.buffer import RawScan


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
            occurred_at=raw.occurred_at,
            workspace_id=raw.workspace_id,
            kind=raw.kind,
            target_id=raw.target_id,
            parent_id=raw.parent_id,
            country=enrichment.country_for(raw.ip, raw.country_header),
            device_type=agent.device_type,
            browser=agent.browser[:64],
            os=agent.os[:64],
            referrer_host=enrichment.referrer_host(raw.referer),
            source="qr" if raw.qr else "direct",
            visitor_hash=enrichment.visitor_hash(
                raw.ip, raw.user_agent, self.salt(raw.occurred_at.date())
            ),
        )
