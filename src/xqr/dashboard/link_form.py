"""The link editor's form: what the browser sent, as the API's link body, and back.

The form is the source of truth while a person edits (rules may be added, moved or removed
before anything is saved), so it is parsed into plain values, shown again as they were typed,
and turned into the same JSON body the API takes. Errors from the links service name API
fields (`routing_rules[1].conditions.hours.start`); `form_field` maps them to the form's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

DEVICE_TYPES = ("mobile", "tablet", "desktop")
MAX_RULE_CARDS = 20
_RULE_FIELD = re.compile(r"rules-(\d{1,2})-([a-z_]+)")
_API_RULE = re.compile(r"routing_rules\[(\d+)\](?:\.(.*))?")
_CONDITION_FIELDS = {
    "destination": "destination",
    "conditions.countries": "countries",
    "conditions.country_mode": "country_mode",
    "conditions.device_types": "device_types",
    "conditions.hours.start": "hours_start",
    "conditions.hours.end": "hours_end",
    "conditions.hours.timezone": "timezone",
    "conditions.hours": "hours_start",
    "conditions.percentage": "percentage",
    "conditions.expires_at": "expires_at",
    "expires_at": "expires_at",
}


@dataclass
class RuleCard:
    destination: str = ""
    countries: str = ""  # comma-separated, as typed
    country_mode: str = "include"
    device_types: list[str] = field(default_factory=list)
    hours_start: str = ""
    hours_end: str = ""
    timezone: str = ""
    percentage: str = ""
    expires_at: str = ""  # datetime-local value, in the workspace's zone

    @classmethod
    def from_stored(cls, rule: dict[str, Any], zone: str) -> RuleCard:
        conditions = rule.get("conditions") or {}
        hours = conditions.get("hours") or {}
        expiry = conditions.get("expires_at") or rule.get("expires_at")
        return cls(
            destination=str(rule.get("destination", "")),
            countries=", ".join(conditions.get("countries") or []),
            country_mode=str(conditions.get("country_mode") or "include"),
            device_types=list(conditions.get("device_types") or []),
            hours_start=_hhmm(hours.get("start")),
            hours_end=_hhmm(hours.get("end")),
            timezone=str(hours.get("timezone") or ""),
            percentage=""
            if conditions.get("percentage") is None
            else str(conditions["percentage"]),
            expires_at=local_input(expiry, zone),
        )

    def as_api(self, priority: int, zone: str) -> dict[str, Any]:
        conditions: dict[str, Any] = {}
        countries = [c.strip() for c in re.split(r"[,\s]+", self.countries) if c.strip()]
        if countries:
            conditions["countries"] = countries
            conditions["country_mode"] = self.country_mode
        if self.device_types:
            conditions["device_types"] = self.device_types
        if self.hours_start or self.hours_end:
            hours: dict[str, Any] = {
                "start": self.hours_start or None,
                "end": self.hours_end or None,
            }
            if self.timezone:
                hours["timezone"] = self.timezone
            conditions["hours"] = hours
        if self.percentage.strip():
            conditions["percentage"] = _number(self.percentage)
        if self.expires_at:
            conditions["expires_at"] = utc_from_input(self.expires_at, zone)
        return {
            "destination": self.destination.strip(),
            "priority": priority,
            "conditions": conditions,
        }


@dataclass
class LinkForm:
    url: str = ""
    custom_slug: str = ""
    labels: str = ""  # comma-separated, as typed
    expires_at: str = ""
    enabled: bool = True
    rules: list[RuleCard] = field(default_factory=list)

    @classmethod
    def from_link(cls, link: Any, zone: str) -> LinkForm:
        """The form of a saved link (the API's link object)."""
        return cls(
            url=link.destination,
            custom_slug=link.short_code,
            labels=", ".join(link.labels),
            expires_at=local_input(link.expires_at, zone),
            enabled=bool(link.enabled),
            rules=[
                RuleCard.from_stored(rule.model_dump(mode="json"), zone)
                for rule in link.routing_rules
            ],
        )

    @classmethod
    def parse(cls, form: FormData) -> LinkForm:
        def value(name: str, limit: int = 2048) -> str:
            raw = form.get(name)
            return raw[:limit] if isinstance(raw, str) else ""

        cards: dict[int, RuleCard] = {}
        for key in form:
            found = _RULE_FIELD.fullmatch(key)
            if found is None or int(found[1]) >= MAX_RULE_CARDS * 2:
                continue
            card = cards.setdefault(int(found[1]), RuleCard())
            name = found[2]
            if name == "device_types":
                card.device_types = [
                    d for d in form.getlist(key) if isinstance(d, str) and d in DEVICE_TYPES
                ]
            elif name in RuleCard.__dataclass_fields__:
                setattr(card, name, value(key, 400))
        return cls(
            url=value("url").strip(),
            custom_slug=value("custom_slug", 100).strip(),
            labels=value("labels", 1000),
            expires_at=value("expires_at", 40),
            enabled=form.get("enabled") == "on",
            rules=[cards[i] for i in sorted(cards)],
        )

    def label_list(self) -> list[str]:
        return [label.strip() for label in self.labels.split(",") if label.strip()]

    def apply(self, action: str) -> bool:
        """Add, remove or move a rule card (`add`, `remove:2`, `up:1`, `down:0`); whether the
        action was one of these (the page is then shown again, nothing saved)."""
        verb, _, raw = action.partition(":")
        index = int(raw) if raw.isdigit() else -1
        if verb == "add" and len(self.rules) < MAX_RULE_CARDS:
            self.rules.append(RuleCard())
        elif verb == "remove" and 0 <= index < len(self.rules):
            del self.rules[index]
        elif verb == "up" and 0 < index < len(self.rules):
            self.rules[index - 1], self.rules[index] = self.rules[index], self.rules[index - 1]
        elif verb == "down" and 0 <= index < len(self.rules) - 1:
            self.rules[index + 1], self.rules[index] = self.rules[index], self.rules[index + 1]
        else:
            return verb in ("add", "remove", "up", "down")
        return True

    def as_api(self, zone: str, *, with_slug: bool = True) -> dict[str, Any]:
        """The link as the API's create/update body. Priorities follow the cards' order."""
        body: dict[str, Any] = {
            "url": self.url,
            "labels": self.label_list(),
            "routing_rules": [
                card.as_api(priority, zone) for priority, card in enumerate(self.rules, start=1)
            ],
            "expires_at": utc_from_input(self.expires_at, zone) if self.expires_at else None,
        }
        if with_slug and self.custom_slug:
            body["custom_slug"] = self.custom_slug
        return body


def form_field(api_field: str) -> str:
    """The form field an API error's field path belongs to."""
    found = _API_RULE.fullmatch(api_field)
    if found is None:
        return api_field.split("[", 1)[0].split(".", 1)[0]
    index, rest = found[1], found[2] or ""
    rest = re.sub(r"\[\d+\]", "", rest)
    name = _CONDITION_FIELDS.get(rest)
    return f"rules-{index}-{name}" if name else f"rules-{index}"


def local_input(value: str | datetime | None, zone: str) -> str:
    """An instant as a `datetime-local` input's value in `zone`."""
    if not value:
        return ""
    moment = (
        value
        if isinstance(value, datetime)
        else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def utc_from_input(value: str, zone: str) -> str | Any:
    """A `datetime-local` value in `zone` as ISO 8601 UTC; anything else as typed, so the
    service's own validation names it."""
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        return value
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _hhmm(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:02d}:00"
    return str(value)


def _number(value: str) -> Any:
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        return text  # refused by the service with its own message
