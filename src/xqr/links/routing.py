"""Routing rules: pick a link's destination for a visitor on every redirect (pure).

A link's `routing_rules` are stored in the canonical form that
`xqr.links.routing_schemas.RoutingRuleOut` describes (the API reads a request's rules with
`RoutingRule`, which validates them and writes them in that form):

    {"destination": "https://example.de/promo",
     "priority": 1,
     "conditions": {"countries": ["AT", "DE"], "country_mode": "include",
                    "device_types": ["mobile"],
                    "hours": {"start": "09:00", "end": "17:00", "timezone": "Europe/Berlin"},
                    "percentage": 50,
                    "expires_at": "2026-12-31T23:00:00.000Z"}}

`parse_rules` turns that form into `Rule`s once (when a link is loaded into the redirect
cache), and `resolve_destination` evaluates them for each visitor. Rules are tried by
ascending `priority` (ties keep list order); the first rule whose conditions all hold wins,
and when none does the link's own URL is used. A rule without conditions matches everyone.

- `hours` are a window of minutes since midnight: `end` is exclusive and `end < start` wraps
  past midnight; they are read in the rule's time zone (UTC without one).
- A rule is skipped from its `expires_at` on.
- `percentage` compares the visitor's bucket, sha256(link_id + ":" + visitor_id) % 100, with
  the threshold; every rule of a link sees the same bucket for a visitor, so percentages act
  as cumulative thresholds (for a three-way split use 33, 67 and the link's own URL for the
  rest). Stickiness lasts as long as the visitor id does (the scan visitor hash rotates daily).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from xqr.core.clock import parse_datetime

DEVICE_TYPES = ("mobile", "tablet", "desktop")
COUNTRY_MODES = ("include", "exclude")
MAX_RULES = 20
PRIORITY_MIN = -(2**31)
PRIORITY_MAX = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Visitor:
    """What routing may know about the visitor of one redirect."""

    country: str  # ISO alpha-2, upper-case; "XX" when unknown
    device_type: str  # mobile | tablet | desktop
    visitor_id: str  # stable per-visitor hash (hex)
    now: datetime  # aware, UTC


@dataclass(frozen=True, slots=True)
class Hours:
    """A daily window in minutes since midnight, `end` exclusive, wrapping when end < start."""

    start: int
    end: int
    timezone: ZoneInfo | None  # None: UTC

    def contains(self, minute: int) -> bool:
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed rule, with its conditions precomputed for the redirect path."""

    destination: str
    priority: int
    index: int  # position in the list as given
    countries: frozenset[str] | None = None
    exclude_countries: bool = False
    device_types: frozenset[str] | None = None
    hours: Hours | None = None
    percentage: int | None = None
    expires_at: datetime | None = None


def percentage_bucket(link_id: str, visitor_id: str) -> int:
    """The visitor's sticky bucket 0–99 for a link."""
    digest = hashlib.sha256(f"{link_id}:{visitor_id}".encode()).digest()
    return int.from_bytes(digest, "big") % 100


def resolve_destination(
    default_url: str, rules: Sequence[Rule], visitor: Visitor, *, link_id: str
) -> str:
    """The destination for this visitor: the first matching rule's, else `default_url`.

    `rules` must be in evaluation order, as `parse_rules` returns them.
    """
    if not rules:
        return default_url
    rule = matching_rule(rules, visitor, link_id=link_id)
    return default_url if rule is None else rule.destination


def matching_rule(rules: Sequence[Rule], visitor: Visitor, *, link_id: str) -> Rule | None:
    """The first rule whose conditions all hold for this visitor, or None."""
    now = visitor.now
    country = visitor.country
    device_type = visitor.device_type
    utc_minute = -1
    bucket = -1
    for rule in rules:
        if rule.expires_at is not None and now >= rule.expires_at:
            continue
        if rule.countries is not None and (country in rule.countries) is rule.exclude_countries:
            continue
        if rule.device_types is not None and device_type not in rule.device_types:
            continue
        hours = rule.hours
        if hours is not None:
            if hours.timezone is None:
                if utc_minute < 0:
                    utc = now.astimezone(UTC)
                    utc_minute = utc.hour * 60 + utc.minute
                minute = utc_minute
            else:
                local = now.astimezone(hours.timezone)
                minute = local.hour * 60 + local.minute
            if not hours.contains(minute):
                continue
        if rule.percentage is not None:
            if bucket < 0:
                bucket = percentage_bucket(link_id, visitor.visitor_id)
            if bucket >= rule.percentage:
                continue
        return rule
    return None


def parse_rules(
    stored: Sequence[Mapping[str, Any]] | None,
    *,
    check_destination: Callable[[str], str] = str,
) -> list[Rule]:
    """`Rule`s in evaluation order from the stored (canonical, already validated) form.

    `check_destination` maps each destination (the identity by default).
    """
    if not stored:
        return []
    rules = [_compile(index, item, check_destination) for index, item in enumerate(stored)]
    rules.sort(key=lambda rule: (rule.priority, rule.index))
    return rules


def _compile(index: int, item: Mapping[str, Any], check_destination: Callable[[str], str]) -> Rule:
    conditions: Mapping[str, Any] = item.get("conditions") or {}
    countries = conditions.get("countries")
    device_types = conditions.get("device_types")
    hours = conditions.get("hours")
    expires_at = conditions.get("expires_at")
    return Rule(
        destination=check_destination(item["destination"]),
        priority=item.get("priority", 0),
        index=index,
        countries=None if countries is None else frozenset(countries),
        exclude_countries=conditions.get("country_mode") == "exclude",
        device_types=None if device_types is None else frozenset(device_types),
        hours=None if hours is None else _hours(hours),
        percentage=conditions.get("percentage"),
        expires_at=None if expires_at is None else parse_datetime(expires_at),
    )


def _hours(hours: Mapping[str, Any]) -> Hours:
    zone = hours.get("timezone")
    return Hours(
        _minute(hours["start"]), _minute(hours["end"]), None if zone is None else ZoneInfo(zone)
    )


def _minute(clock_time: str) -> int:
    """Minutes since midnight of an "HH:MM" time."""
    hour, minute = clock_time.split(":")
    return int(hour) * 60 + int(minute)
