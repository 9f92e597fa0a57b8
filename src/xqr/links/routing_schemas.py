"""Routing rules as the API reads them (`RoutingRule`) and as it stores and answers them
(`RoutingRuleOut`, the form `xqr.links.routing` evaluates).

`RoutingRule` is lenient where people are: hours as integers or "HH:MM", time zones in any
case and in three places, `expires_at` in two. Its errors are worded as the routing-rules
guide is and name the field at fault, e.g. `routing_rules[1].conditions.hours.start`.
"""

from __future__ import annotations

import functools
import itertools
import re
import zoneinfo
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BeforeValidator,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from xqr.core.clock import parse_datetime
from xqr.core.schemas import RequestModel, ResponseModel, Timestamp, omitted_when_none
from xqr.links.routing import (
    COUNTRY_MODES,
    DEVICE_TYPES,
    MAX_LANGUAGES,
    MAX_RULES,
    OPERATING_SYSTEMS,
    PRIORITY_MAX,
    PRIORITY_MIN,
)

ROUTING_RULES_EXAMPLE = [
    {
        "destination": "https://example.de/promo",
        "priority": 1,
        "conditions": {"countries": ["DE", "AT", "CH"], "country_mode": "include"},
    }
]

# --- routing rules: field rules ------------------------------------------------------------------

_HHMM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
HHMM_PATTERN = r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"


def _rule_error(message: str) -> PydanticCustomError:
    return PydanticCustomError("routing_rule", "{message}", {"message": message})


def _error_at(title: str, loc: tuple[str, ...], message: str, value: Any) -> ValidationError:
    """An error about a field other than the one being validated (a cross-field rule)."""
    detail = InitErrorDetails(type=_rule_error(message), loc=loc, input=value)
    return ValidationError.from_exception_data(title, [detail])


def _destination(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise _rule_error("Required: the URL this rule sends visitors to.")
    return value


def _priority(value: Any) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not PRIORITY_MIN <= value <= PRIORITY_MAX
    ):
        raise _rule_error("Must be an integer (lower runs first).")
    return value


def _country_list(value: Any) -> Any:
    if value is not None and (not isinstance(value, list) or not value):
        raise _rule_error("Must be a non-empty list of ISO country codes.")
    return value


def _country(value: Any) -> str:
    if not isinstance(value, str) or not _COUNTRY.fullmatch(value):
        raise _rule_error(
            f"{value!r} is not a two-letter ISO 3166-1 alpha-2 code such as DE or US."
        )
    return value.upper()


def _country_mode(value: Any) -> Any:
    if value is not None and value not in COUNTRY_MODES:
        raise _rule_error('Must be "include" or "exclude".')
    return value


def _device_type_list(value: Any) -> Any:
    if value is not None and (not isinstance(value, list) or not value):
        raise _rule_error(f"Must be a non-empty list of: {', '.join(DEVICE_TYPES)}.")
    return value


def _device_type(value: Any) -> str:
    kind = value.lower() if isinstance(value, str) else value
    if kind not in DEVICE_TYPES:
        raise _rule_error(
            f"{value!r} is not a device type; expected one of: {', '.join(DEVICE_TYPES)}."
        )
    return str(kind)


def _os_list(value: Any) -> Any:
    if value is not None and (not isinstance(value, list) or not value):
        raise _rule_error(f"Must be a non-empty list of: {', '.join(OPERATING_SYSTEMS)}.")
    return value


def _os(value: Any) -> str:
    kind = value.lower() if isinstance(value, str) else value
    if kind not in OPERATING_SYSTEMS:
        raise _rule_error(
            f"{value!r} is not an operating system; expected one of: "
            f"{', '.join(OPERATING_SYSTEMS)}."
        )
    return str(kind)


_LANGUAGE = re.compile(r"([A-Za-z]{2,3})(?:-([A-Za-z]{2}|[0-9]{3}))?")


def _language_list(value: Any) -> Any:
    if value is not None and (not isinstance(value, list) or not value):
        raise _rule_error("Must be a non-empty list of language tags such as de or pt-BR.")
    if isinstance(value, list) and len(value) > MAX_LANGUAGES:
        raise _rule_error(f"At most {MAX_LANGUAGES} languages.")
    return value


def _language(value: Any) -> str:
    match = _LANGUAGE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _rule_error(
            f"{value!r} is not a language tag such as de, en or pt-BR "
            "(a language, optionally a region)."
        )
    language, region = match[1].lower(), match[2]
    return f"{language}-{region.upper()}" if region else language


@functools.cache
def _time_zone_names() -> dict[str, str]:
    """IANA names by their lower-case form; the host's `localtime` is not a portable name."""
    names = zoneinfo.available_timezones() - {"localtime", "Factory"}
    return {name.lower(): name for name in names}


def _time_zone(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _rule_error("Must be an IANA time zone name such as Europe/Berlin.")
    key = _time_zone_names().get(value.lower())
    if key is None:
        raise _rule_error(f"Unknown time zone {value!r}; use an IANA name such as Europe/Berlin.")
    return key


def _clock_time(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 23:
        return f"{value:02d}:00"
    if isinstance(value, str) and (match := _HHMM.fullmatch(value)):
        return f"{int(match[1]):02d}:{match[2]}"
    if value is None:
        raise _rule_error('Required: an hour 0–23 or a time "HH:MM" (24h).')
    raise _rule_error(f'{value!r} is not an hour 0–23 or a time "HH:MM" (24h).')


def _percentage(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise _rule_error("Must be a whole number from 0 to 100.")
    return value


def _expiry(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not isinstance(value, str):
        raise _rule_error("Must be an ISO 8601 date-time such as 2026-12-31T23:59:00Z.")
    try:
        return parse_datetime(value)
    except (ValueError, OverflowError):
        raise _rule_error(
            f"{value!r} is not an ISO 8601 date-time such as 2026-12-31T23:59:00Z."
        ) from None


Priority = Annotated[int, BeforeValidator(_priority), Field(ge=PRIORITY_MIN, le=PRIORITY_MAX)]
CountryCode = Annotated[
    str, BeforeValidator(_country), Field(pattern=r"^[A-Za-z]{2}$", examples=["DE"])
]
DeviceType = Annotated[Literal["mobile", "tablet", "desktop"], BeforeValidator(_device_type)]
OperatingSystem = Annotated[
    Literal["ios", "android", "windows", "macos", "linux", "other"], BeforeValidator(_os)
]
LanguageTag = Annotated[
    str,
    BeforeValidator(_language),
    Field(pattern=r"^[a-z]{2,3}(-([A-Z]{2}|[0-9]{3}))?$", examples=["pt-BR"]),
]
TimeZoneName = Annotated[
    str,
    BeforeValidator(_time_zone),
    Field(min_length=1, description="IANA time zone name.", examples=["Europe/Berlin"]),
]
ClockTime = Annotated[
    str,
    BeforeValidator(_clock_time),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 23},
                {"type": "string", "pattern": HHMM_PATTERN},
            ],
            "description": 'An hour 0–23 or a time "HH:MM" (24h).',
        }
    ),
]
RuleExpiry = Annotated[
    datetime,
    BeforeValidator(_expiry),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


# --- routing rules: structure --------------------------------------------------------------------


class _RulePart(RequestModel):
    """A part of a rule: its structural errors (not an object, a missing or unknown field) are
    worded like its field errors, and list the fields it takes."""

    _not_an_object: ClassVar[str] = "Must be an object."
    _required: ClassVar[dict[str, str]] = {}

    @model_validator(mode="wrap")
    @classmethod
    def _word_structural_errors(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        if not isinstance(data, dict | cls):
            raise _rule_error(cls._not_an_object)
        try:
            return handler(data)
        except ValidationError as exc:
            raise cls._reworded(exc) from None

    @classmethod
    def _reworded(cls, exc: ValidationError) -> ValidationError:
        expected = ", ".join(cls.model_fields)
        details: list[InitErrorDetails] = []
        for error in exc.errors():
            loc, message = error["loc"], error["msg"]
            if len(loc) == 1 and error["type"] == "missing":
                message = cls._required.get(str(loc[0]), message)
            elif len(loc) == 1 and error["type"] == "extra_forbidden":
                message = f"Unknown field {loc[0]!r}; expected one of: {expected}."
            details.append(
                InitErrorDetails(type=_rule_error(message), loc=loc, input=error.get("input"))
            )
        return ValidationError.from_exception_data(cls.__name__, details)


class RuleHours(_RulePart):
    """A daily window: `end` is exclusive; `end < start` wraps past midnight."""

    _not_an_object: ClassVar[str] = 'Must be an object {"start": ..., "end": ...}.'
    _required: ClassVar[dict[str, str]] = {
        "start": 'Required: an hour 0–23 or a time "HH:MM" (24h).',
        "end": 'Required: an hour 0–23 or a time "HH:MM" (24h).',
    }

    start: ClockTime
    end: ClockTime
    timezone: TimeZoneName | None = Field(
        None, description="IANA time zone the hours are in; UTC when left out."
    )

    @model_validator(mode="after")
    def _not_empty(self) -> RuleHours:
        if self.start == self.end:
            raise _rule_error(
                "start and end must differ (end is exclusive); leave out hours to match all day."
            )
        return self


class RuleConditions(_RulePart):
    """Every condition given must hold; none given matches everyone."""

    countries: Annotated[
        Annotated[list[CountryCode], Field(min_length=1)] | None,
        BeforeValidator(_country_list),
        Field(description="ISO 3166-1 alpha-2 codes, any case; XX is unknown."),
    ] = None
    country_mode: Annotated[
        Literal["include", "exclude"] | None,
        BeforeValidator(_country_mode),
        Field(description="`include` (default) or `exclude` the countries."),
    ] = None
    device_types: Annotated[
        Annotated[list[DeviceType], Field(min_length=1)] | None,
        BeforeValidator(_device_type_list),
        Field(description="Any of mobile, tablet, desktop."),
    ] = None
    os: Annotated[
        Annotated[list[OperatingSystem], Field(min_length=1)] | None,
        BeforeValidator(_os_list),
        Field(description="Any of ios, android, windows, macos, linux, other."),
    ] = None
    languages: Annotated[
        Annotated[list[LanguageTag], Field(min_length=1, max_length=MAX_LANGUAGES)] | None,
        BeforeValidator(_language_list),
        Field(
            description="Language tags (de, pt-BR) matched against the visitor's most "
            "preferred Accept-Language."
        ),
    ] = None
    hours: RuleHours | None = None
    timezone: TimeZoneName | None = Field(
        None, description="Also accepted here; stored as `hours.timezone`."
    )
    percentage: Annotated[
        Annotated[int, Field(ge=0, le=100)] | None,
        BeforeValidator(_percentage),
        Field(description="Share of visitors 0–100, sticky per visitor."),
    ] = None
    expires_at: RuleExpiry | None = Field(None, description="The rule is skipped from then on.")

    @model_validator(mode="after")
    def _mode_needs_countries(self) -> RuleConditions:
        if self.country_mode is not None and self.countries is None:
            raise _error_at(
                "RuleConditions",
                ("country_mode",),
                "Only applies together with countries.",
                self.country_mode,
            )
        return self


class RoutingRule(_RulePart):
    """One routing rule, as a request gives it."""

    _not_an_object: ClassVar[str] = "Must be an object with a destination."
    _required: ClassVar[dict[str, str]] = {
        "destination": "Required: the URL this rule sends visitors to."
    }

    destination: Annotated[
        str,
        BeforeValidator(_destination),
        Field(min_length=1, description="Where the rule sends visitors; same rules as `url`."),
    ]
    priority: Priority = Field(0, description="Lower runs first; ties keep list order.")
    conditions: RuleConditions | None = None
    timezone: TimeZoneName | None = Field(
        None, description="Also accepted here; stored as `conditions.hours.timezone`."
    )
    expires_at: RuleExpiry | None = Field(
        None, description="Also accepted here; stored as `conditions.expires_at`."
    )

    @model_validator(mode="after")
    def _one_time_zone_and_expiry(self) -> RoutingRule:
        conditions = self.conditions or RuleConditions()
        hours = conditions.hours
        zones = [
            (loc, value)
            for loc, value in (
                (("timezone",), self.timezone),
                (("conditions", "timezone"), conditions.timezone),
                (("conditions", "hours", "timezone"), hours.timezone if hours else None),
            )
            if value is not None
        ]
        for (_, previous), (loc, value) in itertools.pairwise(zones):
            if value != previous:
                message = "Conflicts with the time zone given elsewhere in this rule."
                raise _error_at("RoutingRule", loc, message, value)
        if zones and hours is None:
            message = "Only applies to hours; add conditions.hours or remove it."
            raise _error_at("RoutingRule", zones[0][0], message, zones[0][1])
        if (
            self.expires_at is not None
            and conditions.expires_at is not None
            and self.expires_at != conditions.expires_at
        ):
            message = "Conflicts with the expires_at given elsewhere in this rule."
            raise _error_at(
                "RoutingRule", ("conditions", "expires_at"), message, conditions.expires_at
            )
        return self

    def stored(self, destination: str) -> RoutingRuleOut:
        """The canonical form of the rule, with its destination as checked by the service."""
        conditions = self.conditions or RuleConditions()
        hours = None
        if conditions.hours is not None:
            zone = self.timezone or conditions.timezone or conditions.hours.timezone
            hours = HoursOut(start=conditions.hours.start, end=conditions.hours.end, timezone=zone)
        countries = sorted(set(conditions.countries)) if conditions.countries else None
        device_types = (
            [kind for kind in DEVICE_TYPES if kind in conditions.device_types]
            if conditions.device_types
            else None
        )
        operating_systems = (
            [kind for kind in OPERATING_SYSTEMS if kind in conditions.os] if conditions.os else None
        )
        languages = list(dict.fromkeys(conditions.languages)) if conditions.languages else None
        return RoutingRuleOut(
            destination=destination,
            priority=self.priority,
            conditions=ConditionsOut(
                countries=countries,
                country_mode=(conditions.country_mode or "include") if countries else None,
                device_types=device_types,
                os=operating_systems,
                languages=languages,
                hours=hours,
                percentage=conditions.percentage,
                expires_at=self.expires_at or conditions.expires_at,
            ),
        )


def _at_most_max_rules(value: Any) -> Any:
    if isinstance(value, list) and len(value) > MAX_RULES:
        raise PydanticCustomError("too_long", "at most {limit} rules", {"limit": MAX_RULES})
    return value


RoutingRules = Annotated[
    list[RoutingRule],
    BeforeValidator(_at_most_max_rules),
    Field(
        max_length=MAX_RULES,
        description=f"Conditional routing rules (at most {MAX_RULES}); see the routing guide.",
        examples=[ROUTING_RULES_EXAMPLE],
    ),
]


# --- routing rules: the stored and answered form -------------------------------------------------


class HoursOut(ResponseModel):
    start: str = Field(pattern=HHMM_PATTERN, examples=["09:00"])
    end: str = Field(pattern=HHMM_PATTERN, description="Exclusive.", examples=["17:00"])
    timezone: str | None = Field(
        None, exclude_if=omitted_when_none, description="IANA name; absent means UTC."
    )


class ConditionsOut(ResponseModel):
    """Only the conditions the rule has are present."""

    countries: list[str] | None = Field(
        None, exclude_if=omitted_when_none, description="Upper-case, sorted."
    )
    country_mode: Literal["include", "exclude"] | None = Field(None, exclude_if=omitted_when_none)
    device_types: list[Literal["mobile", "tablet", "desktop"]] | None = Field(
        None, exclude_if=omitted_when_none
    )
    os: list[Literal["ios", "android", "windows", "macos", "linux", "other"]] | None = Field(
        None, exclude_if=omitted_when_none
    )
    languages: list[str] | None = Field(
        None, exclude_if=omitted_when_none, description="Language tags as given, de-duplicated."
    )
    hours: HoursOut | None = Field(None, exclude_if=omitted_when_none)
    percentage: int | None = Field(None, ge=0, le=100, exclude_if=omitted_when_none)
    expires_at: Timestamp | None = Field(None, exclude_if=omitted_when_none)


class RoutingRuleOut(ResponseModel):
    destination: str
    priority: int
    conditions: ConditionsOut
