"""Routing rules: parse and validate them once, then pick a destination on every redirect.

A link's `routing_rules` is a list of at most 20 rules:

    {"destination": "https://example.de/promo",
     "priority": 1,
     "conditions": {"countries": ["DE", "AT"], "country_mode": "include",
                    "device_types": ["mobile"],
                    "hours": {"start": "09:00", "end": "17:00", "timezone": "Europe/Berlin"},
                    "percentage": 50,
                    "expires_at": "2026-12-31T23:00:00Z"}}

Rules are tried by ascending `priority` (a 32-bit integer, default 0; ties keep list order);
the first rule whose conditions all hold wins, and when none does the link's own URL is used.
A rule without conditions matches everyone. Unknown keys, in a rule, its conditions or its
hours, are errors, so typos never pass silently.

Canonical form (what `rules_to_json` returns and the API echoes):

- `timezone` lives in `conditions.hours.timezone`; it is also accepted at the rule's top level
  or as `conditions.timezone`. It only applies to `hours`, so giving it without `hours` is an
  error, and so is giving two different values.
- `expires_at` lives in `conditions.expires_at` (the API reference lists it among the
  conditions); it is also accepted at the rule's top level. It is written back as ISO 8601 UTC
  with a `Z`; naive timestamps are UTC. A past `expires_at` is accepted (stored rules expire
  over time); the rule is skipped from that instant on.
- `hours` are written back as `"HH:MM"` strings, whether given as 0–23 integers or as
  `"HH:MM"` (or `"H:MM"`); `end` is exclusive, `end < start` wraps past midnight, and
  `start == end` is an error (leave `hours` out to match all day).
- `countries` are upper-cased, de-duplicated and sorted; `country_mode` is always written
  (it is an error without `countries`). `device_types` are lower-cased and de-duplicated.
- Time zone names are matched case-insensitively against the IANA database (`tzdata`); the
  host's own `localtime` is refused because it differs between machines.
- `percentage` is a whole number 0–100 (50.0 is read as 50). Every rule of a link sees the
  same bucket for a visitor, sha256(link_id + ":" + visitor_id) % 100, so percentages act as
  cumulative thresholds: for a three-way split use 33, 67 and the link's own URL for the rest.
  Stickiness lasts as long as the visitor id does (the scan visitor hash rotates daily).
"""

from __future__ import annotations

import functools
import hashlib
import re
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from xqr.core.clock import isoformat, parse_datetime

DEVICE_TYPES = ("mobile", "tablet", "desktop")
COUNTRY_MODES = ("include", "exclude")
MAX_RULES = 20
PRIORITY_MIN = -(2**31)
PRIORITY_MAX = 2**31 - 1

RULE_KEYS = ("destination", "priority", "conditions", "timezone", "expires_at")
CONDITION_KEYS = (
    "countries",
    "country_mode",
    "device_types",
    "hours",
    "timezone",
    "percentage",
    "expires_at",
)
HOURS_KEYS = ("start", "end", "timezone")

_HHMM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_COUNTRY = re.compile(r"[A-Za-z]{2}")


class RuleError(ValueError):
    """A malformed rule; `index` is its position in the list (None for list-level errors)."""

    def __init__(self, index: int | None, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.index = index
        self.field = field
        self.message = message


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
        return rule.destination
    return default_url


def parse_rules(raw: object, *, check_destination: Callable[[str], str]) -> list[Rule]:
    """Validate raw rules (a JSON list) into `Rule`s sorted in evaluation order.

    Raises `RuleError` naming the first bad rule and field. `check_destination` validates a
    URL and returns its normalised form, or raises ValueError with a user-facing message.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RuleError(None, "routing_rules", "Must be a list of rules.")
    if len(raw) > MAX_RULES:
        raise RuleError(
            MAX_RULES,
            "routing_rules",
            f"At most {MAX_RULES} rules are allowed; got {len(raw)}.",
        )
    rules = [_parse_rule(i, item, check_destination) for i, item in enumerate(raw)]
    rules.sort(key=lambda rule: (rule.priority, rule.index))
    return rules


def rules_to_json(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """The canonical JSON form of rules, in the order they were given."""
    return [_rule_to_json(rule) for rule in sorted(rules, key=lambda rule: rule.index)]


def _rule_to_json(rule: Rule) -> dict[str, Any]:
    conditions: dict[str, Any] = {}
    if rule.countries is not None:
        conditions["countries"] = sorted(rule.countries)
        conditions["country_mode"] = "exclude" if rule.exclude_countries else "include"
    if rule.device_types is not None:
        conditions["device_types"] = [d for d in DEVICE_TYPES if d in rule.device_types]
    if rule.hours is not None:
        hours: dict[str, Any] = {
            "start": _format_minute(rule.hours.start),
            "end": _format_minute(rule.hours.end),
        }
        if rule.hours.timezone is not None:
            hours["timezone"] = rule.hours.timezone.key
        conditions["hours"] = hours
    if rule.percentage is not None:
        conditions["percentage"] = rule.percentage
    if rule.expires_at is not None:
        conditions["expires_at"] = isoformat(rule.expires_at)
    return {"destination": rule.destination, "priority": rule.priority, "conditions": conditions}


def _format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class _RuleParser:
    """Parses one rule, building field paths for its errors."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.prefix = f"routing_rules[{index}]"

    def error(self, path: str, message: str) -> RuleError:
        field = f"{self.prefix}.{path}" if path else self.prefix
        return RuleError(self.index, field, message)

    def reject_unknown(self, data: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
        for key in data:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                raise self.error(
                    where, f"Unknown field {key!r}; expected one of: {', '.join(allowed)}."
                )


def _parse_rule(index: int, item: object, check_destination: Callable[[str], str]) -> Rule:
    p = _RuleParser(index)
    if not isinstance(item, dict):
        raise p.error("", "Must be an object with a destination.")
    p.reject_unknown(item, RULE_KEYS, "")

    destination = item.get("destination")
    if not isinstance(destination, str) or not destination:
        raise p.error("destination", "Required: the URL this rule sends visitors to.")
    try:
        destination = check_destination(destination)
    except ValueError as exc:
        raise p.error("destination", str(exc)) from None

    priority = item.get("priority", 0)
    if (
        isinstance(priority, bool)
        or not isinstance(priority, int)
        or not PRIORITY_MIN <= priority <= PRIORITY_MAX
    ):
        raise p.error("priority", "Must be an integer (lower runs first).")

    conditions = item.get("conditions")
    if conditions is None:
        conditions = {}
    if not isinstance(conditions, dict):
        raise p.error("conditions", "Must be an object.")
    p.reject_unknown(conditions, CONDITION_KEYS, "conditions")

    countries, exclude = _parse_countries(p, conditions)
    device_types = _parse_device_types(p, conditions.get("device_types"))
    zone = _parse_timezone(p, item, conditions)
    hours = _parse_hours(p, conditions.get("hours"), zone)
    percentage = _parse_percentage(p, conditions.get("percentage"))
    expires_at = _parse_expires_at(p, item, conditions)

    return Rule(
        destination=destination,
        priority=priority,
        index=index,
        countries=countries,
        exclude_countries=exclude,
        device_types=device_types,
        hours=hours,
        percentage=percentage,
        expires_at=expires_at,
    )


def _parse_countries(
    p: _RuleParser, conditions: Mapping[str, Any]
) -> tuple[frozenset[str] | None, bool]:
    mode = conditions.get("country_mode")
    raw = conditions.get("countries")
    if mode is not None and mode not in COUNTRY_MODES:
        raise p.error("conditions.country_mode", 'Must be "include" or "exclude".')
    if raw is None:
        if mode is not None:
            raise p.error("conditions.country_mode", "Only applies together with countries.")
        return None, False
    if not isinstance(raw, list) or not raw:
        raise p.error("conditions.countries", "Must be a non-empty list of ISO country codes.")
    codes = set()
    for i, code in enumerate(raw):
        if not isinstance(code, str) or not _COUNTRY.fullmatch(code):
            raise p.error(
                f"conditions.countries[{i}]",
                f"{code!r} is not a two-letter ISO 3166-1 alpha-2 code such as DE or US.",
            )
        codes.add(code.upper())
    return frozenset(codes), mode == "exclude"


def _parse_device_types(p: _RuleParser, raw: object) -> frozenset[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw:
        raise p.error(
            "conditions.device_types",
            f"Must be a non-empty list of: {', '.join(DEVICE_TYPES)}.",
        )
    found = set()
    for i, value in enumerate(raw):
        kind = value.lower() if isinstance(value, str) else value
        if kind not in DEVICE_TYPES:
            raise p.error(
                f"conditions.device_types[{i}]",
                f"{value!r} is not a device type; expected one of: {', '.join(DEVICE_TYPES)}.",
            )
        found.add(kind)
    return frozenset(found)


def _parse_timezone(
    p: _RuleParser, item: Mapping[str, Any], conditions: Mapping[str, Any]
) -> ZoneInfo | None:
    hours = conditions.get("hours")
    given = [
        (path, value)
        for path, value in (
            ("timezone", item.get("timezone")),
            ("conditions.timezone", conditions.get("timezone")),
            (
                "conditions.hours.timezone",
                hours.get("timezone") if isinstance(hours, dict) else None,
            ),
        )
        if value is not None
    ]
    if not given:
        return None
    zone: ZoneInfo | None = None
    for path, value in given:
        if not isinstance(value, str) or not value:
            raise p.error(path, "Must be an IANA time zone name such as Europe/Berlin.")
        key = _time_zone_names().get(value.lower())
        if key is None:
            raise p.error(
                path, f"Unknown time zone {value!r}; use an IANA name such as Europe/Berlin."
            )
        parsed = ZoneInfo(key)
        if zone is not None and parsed.key != zone.key:
            raise p.error(path, "Conflicts with the time zone given elsewhere in this rule.")
        zone = parsed
    if hours is None:
        raise p.error(given[0][0], "Only applies to hours; add conditions.hours or remove it.")
    return zone


@functools.cache
def _time_zone_names() -> dict[str, str]:
    """IANA names by their lower-case form; the host's `localtime` is not a portable name."""
    names = zoneinfo.available_timezones() - {"localtime", "Factory"}
    return {name.lower(): name for name in names}


def _parse_hours(p: _RuleParser, raw: object, zone: ZoneInfo | None) -> Hours | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise p.error("conditions.hours", 'Must be an object {"start": ..., "end": ...}.')
    p.reject_unknown(raw, HOURS_KEYS, "conditions.hours")
    start = _parse_time(p, raw.get("start"), "conditions.hours.start")
    end = _parse_time(p, raw.get("end"), "conditions.hours.end")
    if start == end:
        raise p.error(
            "conditions.hours",
            "start and end must differ (end is exclusive); leave out hours to match all day.",
        )
    return Hours(start, end, zone)


def _parse_time(p: _RuleParser, value: object, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 23:
        return value * 60
    if isinstance(value, str) and (match := _HHMM.fullmatch(value)):
        return int(match[1]) * 60 + int(match[2])
    if value is None:
        raise p.error(path, 'Required: an hour 0–23 or a time "HH:MM" (24h).')
    raise p.error(path, f'{value!r} is not an hour 0–23 or a time "HH:MM" (24h).')


def _parse_percentage(p: _RuleParser, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise p.error("conditions.percentage", "Must be a whole number from 0 to 100.")
    return value


def _parse_expires_at(
    p: _RuleParser, item: Mapping[str, Any], conditions: Mapping[str, Any]
) -> datetime | None:
    result: datetime | None = None
    for path, value in (
        ("expires_at", item.get("expires_at")),
        ("conditions.expires_at", conditions.get("expires_at")),
    ):
        if value is None:
            continue
        if not isinstance(value, str):
            raise p.error(path, "Must be an ISO 8601 date-time such as 2026-12-31T23:59:00Z.")
        try:
            parsed = parse_datetime(value)
        except (ValueError, OverflowError):
            raise p.error(
                path, f"{value!r} is not an ISO 8601 date-time such as 2026-12-31T23:59:00Z."
            ) from None
        if result is not None and parsed != result:
            raise p.error(path, "Conflicts with the expires_at given elsewhere in this rule.")
        result = parsed
    return result
