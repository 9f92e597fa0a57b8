"""Routing rules: how the API reads them (`xqr.links.routing_schemas.RoutingRule`), the form
they are stored in, and how `xqr.links.routing` evaluates that form for each visitor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from xqr.core.errors import ApiError, validation_failed
from xqr.links.routing import (
    MAX_RULES,
    Rule,
    Visitor,
    parse_rules,
    percentage_bucket,
    resolve_destination,
)
from xqr.links.routing_schemas import RoutingRuleOut
from xqr.links.schemas import LinkCreate
from xqr.links.service import LinkRules

DEFAULT = "https://example.com/default"
LINK_ID = "0190f1e2-0000-7000-8000-000000000001"
NOON = datetime(2026, 3, 21, 12, 0, tzinfo=UTC)

LINK_RULES = LinkRules(short_base="https://xqr.co", blocked_hosts=frozenset({"xqr.co"}))


def store(raw: Any) -> list[dict[str, Any]]:
    """What the API stores for a request's `routing_rules` (raises as the API would)."""
    body = LinkCreate.model_validate({"url": "https://example.com", "routing_rules": raw})
    return [
        rule.stored(
            LINK_RULES.destination(rule.destination, f"routing_rules[{index}].destination")
        ).model_dump(mode="json")
        for index, rule in enumerate(body.routing_rules or [])
    ]


def parse(raw: Any) -> list[Rule]:
    return parse_rules(store(raw))


def visitor(
    country: str = "US",
    device_type: str = "desktop",
    visitor_id: str = "a" * 64,
    now: datetime = NOON,
) -> Visitor:
    return Visitor(country=country, device_type=device_type, visitor_id=visitor_id, now=now)


def route(raw: list[dict[str, Any]], v: Visitor | None = None, link_id: str = LINK_ID) -> str:
    return resolve_destination(DEFAULT, parse(raw), v or visitor(), link_id=link_id)


def rule(destination: str = "https://example.com/rule", **conditions: Any) -> dict[str, Any]:
    return {"destination": destination, "conditions": conditions}


def api_error(raw: Any) -> ApiError:
    """The VALIDATION_ERROR the API answers to these rules."""
    try:
        store(raw)
    except ValidationError as exc:
        return validation_failed([dict(error) for error in exc.errors()])
    except ApiError as exc:
        return exc
    raise AssertionError(f"accepted: {raw!r}")


def reject(raw: Any) -> dict[str, str]:
    """The first `{field, message}` of the API's answer to these rules."""
    error = api_error(raw)
    assert error.code == "VALIDATION_ERROR"
    assert error.details
    return error.details[0]


# --- evaluation ------------------------------------------------------------------------------


def test_no_rules_route_to_the_link_url():
    assert route([]) == DEFAULT
    assert parse(None) == []


def test_a_rule_without_conditions_matches_everyone():
    assert route([{"destination": "https://example.com/all"}]) == "https://example.com/all"
    assert route([rule("https://example.com/all")]) == "https://example.com/all"


def test_reference_example_routes_listed_countries():
    raw = [
        {
            "destination": "https://example.de/promo",
            "priority": 1,
            "conditions": {"countries": ["DE", "AT", "CH"], "country_mode": "include"},
        }
    ]
    assert route(raw, visitor(country="AT")) == "https://example.de/promo"
    assert route(raw, visitor(country="FR")) == DEFAULT


def test_country_codes_are_case_insensitive():
    raw = [rule(countries=["de"])]
    assert route(raw, visitor(country="DE")) == "https://example.com/rule"


def test_exclude_mode_matches_everyone_but_the_listed_countries():
    raw = [rule(countries=["US", "CA"], country_mode="exclude")]
    assert route(raw, visitor(country="US")) == DEFAULT
    assert route(raw, visitor(country="FR")) == "https://example.com/rule"
    assert route(raw, visitor(country="XX")) == "https://example.com/rule"


def test_unknown_country_can_be_targeted_with_xx():
    assert route([rule(countries=["XX"])], visitor(country="XX")) == "https://example.com/rule"


@pytest.mark.parametrize(
    ("device", "expected"),
    [("mobile", "https://example.com/rule"), ("tablet", "https://example.com/rule")],
)
def test_device_types_match_listed_devices(device, expected):
    raw = [rule(device_types=["mobile", "tablet"])]
    assert route(raw, visitor(device_type=device)) == expected
    assert route(raw, visitor(device_type="desktop")) == DEFAULT


@pytest.mark.parametrize(
    ("hours", "time", "inside"),
    [
        ({"start": 9, "end": 17}, "09:00", True),
        ({"start": 9, "end": 17}, "16:59", True),
        ({"start": 9, "end": 17}, "17:00", False),  # end is exclusive
        ({"start": 9, "end": 17}, "08:59", False),
        ({"start": "09:30", "end": "10:15"}, "09:29", False),
        ({"start": "09:30", "end": "10:15"}, "09:30", True),
        ({"start": "09:30", "end": "10:15"}, "10:14", True),
        ({"start": "09:30", "end": "10:15"}, "10:15", False),
        ({"start": 22, "end": 6}, "23:30", True),  # wraps past midnight
        ({"start": 22, "end": 6}, "00:00", True),
        ({"start": 22, "end": 6}, "05:59", True),
        ({"start": 22, "end": 6}, "06:00", False),
        ({"start": 22, "end": 6}, "12:00", False),
        ({"start": "18:00", "end": 0}, "23:59", True),  # until midnight
        ({"start": "18:00", "end": 0}, "00:00", False),
        ({"start": "9:05", "end": "23:59"}, "09:05", True),
    ],
)
def test_hours_are_evaluated_in_utc(hours, time, inside):
    hh, mm = map(int, time.split(":"))
    now = NOON.replace(hour=hh, minute=mm)
    expected = "https://example.com/rule" if inside else DEFAULT
    assert route([rule(hours=hours)], visitor(now=now)) == expected


def test_hours_use_the_rule_time_zone():
    raw = [rule(hours={"start": 9, "end": 17, "timezone": "America/New_York"})]
    # 12:00 UTC is 08:00 in New York (EDT, UTC-4, in late March).
    assert route(raw, visitor(now=NOON)) == DEFAULT
    assert route(raw, visitor(now=NOON + timedelta(hours=1))) == "https://example.com/rule"
    # 20:59 UTC is 16:59 in New York; 21:00 UTC is 17:00 (excluded).
    assert route(raw, visitor(now=NOON.replace(hour=20, minute=59))) != DEFAULT
    assert route(raw, visitor(now=NOON.replace(hour=21))) == DEFAULT


def test_time_zone_follows_daylight_saving():
    raw = [rule(hours={"start": 9, "end": 10}, timezone="Europe/Berlin")]
    winter = datetime(2026, 1, 15, 8, 30, tzinfo=UTC)  # 09:30 CET
    summer = datetime(2026, 7, 15, 7, 30, tzinfo=UTC)  # 09:30 CEST
    assert route(raw, visitor(now=winter)) == "https://example.com/rule"
    assert route(raw, visitor(now=summer)) == "https://example.com/rule"
    assert route(raw, visitor(now=summer + timedelta(hours=1))) == DEFAULT


@pytest.mark.parametrize(
    "raw",
    [
        {"destination": "https://example.com/r", "timezone": "Asia/Tokyo", "conditions": {}},
        {"destination": "https://example.com/r", "conditions": {"timezone": "Asia/Tokyo"}},
        {"destination": "https://example.com/r", "conditions": {"hours": {"timezone": "x"}}},
    ],
)
def test_time_zone_without_hours_or_with_bad_hours_is_rejected(raw):
    error = reject([raw])
    assert error["field"].startswith("routing_rules[0]")


@pytest.mark.parametrize(
    "placement",
    [
        {"timezone": "Asia/Tokyo", "conditions": {"hours": {"start": 9, "end": 17}}},
        {"conditions": {"timezone": "Asia/Tokyo", "hours": {"start": 9, "end": 17}}},
        {"conditions": {"hours": {"start": 9, "end": 17, "timezone": "asia/tokyo"}}},
    ],
)
def test_time_zone_is_accepted_in_three_places_and_stored_in_hours(placement):
    [stored] = store([{"destination": "https://example.com/r", **placement}])
    assert stored["conditions"]["hours"] == {
        "start": "09:00",
        "end": "17:00",
        "timezone": "Asia/Tokyo",
    }
    assert "timezone" not in stored
    assert "timezone" not in stored["conditions"]
    # 00:30 UTC is 09:30 in Tokyo.
    v = visitor(now=NOON.replace(hour=0, minute=30))
    assert route([{"destination": "https://example.com/r", **placement}], v) != DEFAULT


def test_conflicting_time_zones_are_rejected():
    error = reject(
        [
            {
                "destination": "https://example.com/r",
                "timezone": "Asia/Tokyo",
                "conditions": {"hours": {"start": 1, "end": 2, "timezone": "Europe/Paris"}},
            }
        ]
    )
    assert error["field"] == "routing_rules[0].conditions.hours.timezone"


def test_percentage_is_sticky_per_visitor():
    raw = [rule(percentage=50)]
    for n in range(50):
        v = visitor(visitor_id=f"visitor-{n}")
        first = route(raw, v)
        assert all(route(raw, v) == first for _ in range(5))


def test_percentage_share_is_close_to_the_percentage():
    rules = parse([rule(percentage=30)])
    hits = sum(
        resolve_destination(DEFAULT, rules, visitor(visitor_id=f"{n:x}"), link_id=LINK_ID)
        != DEFAULT
        for n in range(10_000)
    )
    assert 2_800 <= hits <= 3_200


def test_percentage_bucket_depends_on_the_link():
    buckets = {percentage_bucket(f"link-{n}", "same-visitor") for n in range(200)}
    assert len(buckets) > 50


def test_percentages_act_as_cumulative_thresholds():
    rules = parse(
        [
            {"destination": "https://example.com/a", "conditions": {"percentage": 33}},
            {"destination": "https://example.com/b", "conditions": {"percentage": 67}},
        ]
    )
    counts: dict[str, int] = {}
    for n in range(9_000):
        dest = resolve_destination(DEFAULT, rules, visitor(visitor_id=str(n)), link_id=LINK_ID)
        counts[dest] = counts.get(dest, 0) + 1
    assert all(2_700 <= c <= 3_300 for c in counts.values()), counts


def test_percentage_zero_never_matches_and_hundred_always_does():
    for n in range(300):
        v = visitor(visitor_id=str(n))
        assert route([rule(percentage=0)], v) == DEFAULT
        assert route([rule(percentage=100)], v) == "https://example.com/rule"


def test_expired_rule_is_skipped_from_its_expiry_on():
    raw = [rule(expires_at="2026-03-21T12:00:00Z")]
    assert route(raw, visitor(now=NOON - timedelta(seconds=1))) == "https://example.com/rule"
    assert route(raw, visitor(now=NOON)) == DEFAULT
    assert route(raw, visitor(now=NOON + timedelta(days=1))) == DEFAULT


def test_expires_at_at_the_rule_top_level_and_naive_means_utc():
    raw = [{"destination": "https://example.com/r", "expires_at": "2026-03-21T12:00:00"}]
    assert route(raw, visitor(now=NOON - timedelta(minutes=1))) == "https://example.com/r"
    assert route(raw, visitor(now=NOON)) == DEFAULT
    [stored] = store(raw)
    assert stored["conditions"]["expires_at"] == "2026-03-21T12:00:00.000Z"


def test_expires_at_with_offset_is_converted_to_utc():
    raw = [rule(expires_at="2026-03-21T13:00:00+01:00")]
    assert route(raw, visitor(now=NOON)) == DEFAULT


def test_all_conditions_must_hold():
    raw = [
        rule(
            countries=["DE"],
            device_types=["mobile"],
            hours={"start": 8, "end": 20},
            percentage=100,
            expires_at="2027-01-01T00:00:00Z",
        )
    ]
    hit = visitor(country="DE", device_type="mobile")
    assert route(raw, hit) == "https://example.com/rule"
    assert route(raw, visitor(country="FR", device_type="mobile")) == DEFAULT
    assert route(raw, visitor(country="DE", device_type="desktop")) == DEFAULT
    assert route(raw, visitor(country="DE", device_type="mobile", now=NOON.replace(hour=21))) == (
        DEFAULT
    )
    late = visitor(country="DE", device_type="mobile", now=datetime(2027, 1, 1, 12, tzinfo=UTC))
    assert route(raw, late) == DEFAULT


def test_lower_priority_runs_first():
    raw = [
        {"destination": "https://example.com/second", "priority": 2},
        {"destination": "https://example.com/first", "priority": 1},
    ]
    assert route(raw) == "https://example.com/first"


def test_priority_ties_keep_list_order():
    raw = [
        {"destination": "https://example.com/a", "priority": 5},
        {"destination": "https://example.com/b", "priority": 5},
        {"destination": "https://example.com/c"},  # default priority 0 runs before 5
    ]
    assert route(raw) == "https://example.com/c"
    assert route(raw[:2]) == "https://example.com/a"
    assert route([raw[1], raw[0]]) == "https://example.com/b"


def test_first_matching_rule_wins_and_later_rules_are_fallbacks():
    raw = [
        rule("https://example.com/de", countries=["DE"]),
        rule("https://example.com/mobile", device_types=["mobile"]),
    ]
    assert route(raw, visitor(country="DE", device_type="mobile")) == "https://example.com/de"
    assert route(raw, visitor(country="FR", device_type="mobile")) == "https://example.com/mobile"
    assert route(raw, visitor(country="FR")) == DEFAULT


# --- canonical form --------------------------------------------------------------------------


def test_rules_are_stored_normalised_in_the_given_order():
    raw = [
        {
            "destination": "HTTPS://Example.COM/Promo",
            "priority": 3,
            "conditions": {
                "countries": ["at", "DE", "de"],
                "device_types": ["TABLET", "mobile"],
                "hours": {"start": 9, "end": "17:30"},
                "percentage": 25.0,
            },
        },
        {"destination": "https://example.com/other", "priority": 1},
    ]
    assert store(raw) == [
        {
            "destination": "https://example.com/Promo",
            "priority": 3,
            "conditions": {
                "countries": ["AT", "DE"],
                "country_mode": "include",
                "device_types": ["mobile", "tablet"],
                "hours": {"start": "09:00", "end": "17:30"},
                "percentage": 25,
            },
        },
        {"destination": "https://example.com/other", "priority": 1, "conditions": {}},
    ]


def test_parse_rules_returns_rules_in_evaluation_order():
    rules = parse(
        [
            {"destination": "https://example.com/a", "priority": 2},
            {"destination": "https://example.com/b", "priority": -1},
        ]
    )
    assert [r.destination for r in rules] == ["https://example.com/b", "https://example.com/a"]
    assert [r.index for r in rules] == [1, 0]


# --- validation ------------------------------------------------------------------------------


def test_more_than_twenty_rules_are_rejected():
    ok = [{"destination": "https://example.com/r"}] * MAX_RULES
    assert len(parse(ok)) == MAX_RULES
    error = reject([*ok, {"destination": "https://example.com/r"}])
    assert error == {"field": "routing_rules", "message": "at most 20 rules"}


def test_rules_must_be_a_list():
    error = reject({"destination": "https://example.com/r"})
    assert error["field"] == "routing_rules"


@pytest.mark.parametrize(
    ("bad_rule", "field"),
    [
        ("https://example.com/", "routing_rules[1]"),
        ({}, "routing_rules[1].destination"),
        ({"destination": ""}, "routing_rules[1].destination"),
        ({"destination": 5}, "routing_rules[1].destination"),
        ({"destination": "javascript:alert(1)"}, "routing_rules[1].destination"),
        ({"destination": "https://xqr.co/abc"}, "routing_rules[1].destination"),
        ({"destination": "/relative"}, "routing_rules[1].destination"),
        ({"destination": "https://e.com", "colour": "red"}, "routing_rules[1].colour"),
        ({"destination": "https://e.com", "priority": "1"}, "routing_rules[1].priority"),
        ({"destination": "https://e.com", "priority": 1.5}, "routing_rules[1].priority"),
        ({"destination": "https://e.com", "priority": True}, "routing_rules[1].priority"),
        ({"destination": "https://e.com", "priority": 2**40}, "routing_rules[1].priority"),
        ({"destination": "https://e.com", "conditions": []}, "routing_rules[1].conditions"),
        (rule(country="DE"), "routing_rules[1].conditions.country"),
        (rule(countries="DE"), "routing_rules[1].conditions.countries"),
        (rule(countries=[]), "routing_rules[1].conditions.countries"),
        (rule(countries=["DE", "DEU"]), "routing_rules[1].conditions.countries[1]"),
        (rule(countries=["D1"]), "routing_rules[1].conditions.countries[0]"),
        (rule(countries=[49]), "routing_rules[1].conditions.countries[0]"),
        (rule(countries=["DE"], country_mode="only"), "routing_rules[1].conditions.country_mode"),
        (rule(country_mode="exclude"), "routing_rules[1].conditions.country_mode"),
        (rule(device_types=["phone"]), "routing_rules[1].conditions.device_types[0]"),
        (rule(device_types=[]), "routing_rules[1].conditions.device_types"),
        (rule(device_types="mobile"), "routing_rules[1].conditions.device_types"),
        (rule(hours=[9, 17]), "routing_rules[1].conditions.hours"),
        (rule(hours={"start": 9}), "routing_rules[1].conditions.hours.end"),
        (rule(hours={"end": 9}), "routing_rules[1].conditions.hours.start"),
        (rule(hours={"start": 24, "end": 9}), "routing_rules[1].conditions.hours.start"),
        (rule(hours={"start": -1, "end": 9}), "routing_rules[1].conditions.hours.start"),
        (rule(hours={"start": 9, "end": "25:00"}), "routing_rules[1].conditions.hours.end"),
        (rule(hours={"start": 9, "end": "17:60"}), "routing_rules[1].conditions.hours.end"),
        (rule(hours={"start": 9, "end": "5pm"}), "routing_rules[1].conditions.hours.end"),
        (rule(hours={"start": 9.5, "end": 10}), "routing_rules[1].conditions.hours.start"),
        (rule(hours={"start": True, "end": 10}), "routing_rules[1].conditions.hours.start"),
        (rule(hours={"start": 9, "end": "09:00"}), "routing_rules[1].conditions.hours"),
        (rule(hours={"start": 9, "end": 10, "tz": "UTC"}), "routing_rules[1].conditions.hours.tz"),
        (
            rule(hours={"start": 9, "end": 10, "timezone": "Mars/Olympus"}),
            "routing_rules[1].conditions.hours.timezone",
        ),
        (
            rule(hours={"start": 9, "end": 10, "timezone": "localtime"}),
            "routing_rules[1].conditions.hours.timezone",
        ),
        (
            rule(hours={"start": 9, "end": 10}, timezone=3),
            "routing_rules[1].conditions.timezone",
        ),
        (rule(percentage=101), "routing_rules[1].conditions.percentage"),
        (rule(percentage=-1), "routing_rules[1].conditions.percentage"),
        (rule(percentage=12.5), "routing_rules[1].conditions.percentage"),
        (rule(percentage="50"), "routing_rules[1].conditions.percentage"),
        (rule(percentage=True), "routing_rules[1].conditions.percentage"),
        (rule(expires_at="tomorrow"), "routing_rules[1].conditions.expires_at"),
        (rule(expires_at=1767225600), "routing_rules[1].conditions.expires_at"),
        (
            {"destination": "https://e.com", "expires_at": "nope"},
            "routing_rules[1].expires_at",
        ),
        (
            {
                "destination": "https://e.com",
                "expires_at": "2027-01-01T00:00:00Z",
                "conditions": {"expires_at": "2028-01-01T00:00:00Z"},
            },
            "routing_rules[1].conditions.expires_at",
        ),
    ],
)
def test_malformed_rule_is_rejected_with_its_index_and_field(bad_rule, field):
    error = api_error([{"destination": "https://example.com/ok"}, bad_rule])
    assert error.details == [{"field": field, "message": error.details[0]["message"]}]
    assert error.details[0]["message"].endswith(".")
    assert error.message == f"{field}: {error.details[0]['message']}"


@pytest.mark.parametrize(
    ("bad_rule", "message"),
    [
        ("https://example.com/", "Must be an object with a destination."),
        ({"priority": 1}, "Required: the URL this rule sends visitors to."),
        (
            {"destination": "https://e.com", "colour": "red"},
            "Unknown field 'colour'; expected one of: "
            "destination, priority, conditions, timezone, expires_at.",
        ),
        (
            {"destination": "https://e.com", "priority": "1"},
            "Must be an integer (lower runs first).",
        ),
        ({"destination": "https://e.com", "conditions": []}, "Must be an object."),
        (
            rule(weekday="mon"),
            "Unknown field 'weekday'; expected one of: countries, country_mode, device_types, "
            "hours, timezone, percentage, expires_at.",
        ),
        (
            rule(countries=["DE", "DEU"]),
            "'DEU' is not a two-letter ISO 3166-1 alpha-2 code such as DE or US.",
        ),
        (rule(country_mode="exclude"), "Only applies together with countries."),
        (
            rule(device_types=["phone"]),
            "'phone' is not a device type; expected one of: mobile, tablet, desktop.",
        ),
        (rule(hours=[9, 17]), 'Must be an object {"start": ..., "end": ...}.'),
        (rule(hours={"end": 9}), 'Required: an hour 0–23 or a time "HH:MM" (24h).'),
        (
            rule(hours={"start": 9, "end": "5pm"}),
            "'5pm' is not an hour 0–23 or a time \"HH:MM\" (24h).",
        ),
        (
            rule(hours={"start": 9, "end": 10, "tz": "UTC"}),
            "Unknown field 'tz'; expected one of: start, end, timezone.",
        ),
        (
            rule(hours={"start": 9, "end": 10, "timezone": "Mars/Olympus"}),
            "Unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Berlin.",
        ),
        (
            {"destination": "https://e.com", "timezone": "UTC"},
            "Only applies to hours; add conditions.hours or remove it.",
        ),
        (rule(percentage=12.5), "Must be a whole number from 0 to 100."),
        (
            rule(expires_at="tomorrow"),
            "'tomorrow' is not an ISO 8601 date-time such as 2026-12-31T23:59:00Z.",
        ),
    ],
)
def test_malformed_rule_messages_say_what_is_expected(bad_rule, message):
    assert reject([bad_rule])["message"] == message


def test_every_optional_field_may_be_null():
    nulls = {
        "destination": "https://example.com/r",
        "priority": 0,
        "timezone": None,
        "expires_at": None,
        "conditions": {
            "countries": None,
            "country_mode": None,
            "device_types": None,
            "hours": None,
            "timezone": None,
            "percentage": None,
            "expires_at": None,
        },
    }
    assert store([nulls]) == [
        {"destination": "https://example.com/r", "priority": 0, "conditions": {}}
    ]
    hours = {"start": 9, "end": 17, "timezone": None}
    [stored] = store([rule(hours=hours, countries=["de"], percentage=None)])
    assert stored["conditions"] == {
        "countries": ["DE"],
        "country_mode": "include",
        "hours": {"start": "09:00", "end": "17:00"},
    }


def test_destination_error_carries_the_checker_message():
    error = reject([{"destination": "ftp://example.com/file"}])
    assert error["field"] == "routing_rules[0].destination"
    assert "http" in error["message"]


def test_a_loop_to_our_own_short_host_is_refused():
    error = reject([{"destination": "https://XQR.co/abc"}])
    assert error["field"] == "routing_rules[0].destination"


def test_hours_start_equal_to_end_is_an_error_not_all_day():
    error = reject([rule(hours={"start": "00:00", "end": 0})])
    assert error["field"] == "routing_rules[0].conditions.hours"
    assert "all day" in error["message"]


def test_the_same_expiry_in_two_places_is_accepted():
    raw = [
        {
            "destination": "https://e.com",
            "expires_at": "2027-01-01T00:00:00Z",
            "conditions": {"expires_at": "2027-01-01T01:00:00+01:00"},
        }
    ]
    assert parse(raw)[0].expires_at == datetime(2027, 1, 1, tzinfo=UTC)


def test_past_expires_at_is_accepted_so_stored_rules_still_load():
    [parsed] = parse([rule(expires_at="2000-01-01T00:00:00Z")])
    assert parsed.expires_at == datetime(2000, 1, 1, tzinfo=UTC)


# --- properties ------------------------------------------------------------------------------

countries = st.sampled_from(["US", "DE", "FR", "GB", "JP", "BR", "XX"])
devices = st.sampled_from(["mobile", "tablet", "desktop"])
times = st.builds(
    lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59)
) | st.integers(0, 23)


@st.composite
def hours_strategy(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(times)
    end = draw(times)
    hours = {"start": start, "end": end}
    try:
        parse([rule(hours=hours)])
    except ValidationError:  # e.g. 9 and "09:00"
        hours = {"start": "01:00", "end": "02:00"}
    if draw(st.booleans()):
        hours["timezone"] = draw(st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kolkata"]))
    return hours


@st.composite
def conditions_strategy(draw: st.DrawFn) -> dict[str, Any]:
    conditions: dict[str, Any] = {}
    if draw(st.booleans()):
        conditions["countries"] = draw(st.lists(countries, min_size=1, max_size=4))
        if draw(st.booleans()):
            conditions["country_mode"] = draw(st.sampled_from(["include", "exclude"]))
    if draw(st.booleans()):
        conditions["device_types"] = draw(st.lists(devices, min_size=1, max_size=3))
    if draw(st.booleans()):
        conditions["hours"] = draw(hours_strategy())
    if draw(st.booleans()):
        conditions["percentage"] = draw(st.integers(0, 100))
    if draw(st.booleans()):
        day = draw(st.integers(0, 3))
        conditions["expires_at"] = f"2026-03-{20 + day}T12:00:00Z"
    return conditions


@st.composite
def raw_rule(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(0, 999))
    return {
        "destination": f"https://example.com/r{n}",
        "priority": draw(st.integers(-5, 5)),
        "conditions": draw(conditions_strategy()),
    }


visitors = st.builds(
    Visitor,
    country=countries,
    device_type=devices,
    visitor_id=st.text("0123456789abcdef", min_size=1, max_size=64),
    now=st.datetimes(
        min_value=datetime(2026, 3, 19), max_value=datetime(2026, 3, 25), timezones=st.just(UTC)
    ),
)


@settings(max_examples=150, deadline=None)
@given(raws=st.lists(raw_rule(), max_size=8), v=visitors)
def test_result_is_the_default_or_a_rule_destination(raws, v):
    result = route(raws, v)
    assert result == DEFAULT or result in {r["destination"] for r in raws}


@settings(max_examples=150, deadline=None)
@given(raws=st.lists(raw_rule(), max_size=8), v=visitors)
def test_result_is_the_first_matching_rule_by_priority(raws, v):
    rules = parse(raws)
    result = resolve_destination(DEFAULT, rules, v, link_id=LINK_ID)
    for r in sorted(rules, key=lambda r: (r.priority, r.index)):
        if resolve_destination(DEFAULT, [r], v, link_id=LINK_ID) != DEFAULT:
            assert result == r.destination
            break
    else:
        assert result == DEFAULT


@settings(max_examples=150, deadline=None)
@given(listed=st.lists(countries, min_size=1, max_size=5), v=visitors, data=st.data())
def test_exclude_rule_never_matches_a_listed_country(listed, v, data):
    country = data.draw(st.sampled_from(listed))
    raw = [rule(countries=listed, country_mode="exclude")]
    assert route(raw, Visitor(country, v.device_type, v.visitor_id, v.now)) == DEFAULT


@settings(max_examples=150, deadline=None)
@given(raws=st.lists(raw_rule(), max_size=8, unique_by=lambda r: r["priority"]), data=st.data())
def test_order_of_rules_with_distinct_priorities_does_not_matter(raws, data):
    shuffled = data.draw(st.permutations(raws))
    v = data.draw(visitors)
    assert route(raws, v) == route(shuffled, v)


@settings(max_examples=150, deadline=None)
@given(raws=st.lists(raw_rule(), max_size=MAX_RULES))
def test_the_stored_form_is_the_answered_form_and_reads_back_unchanged(raws):
    stored = store(raws)
    # What a link answers is the stored form, and sending it back changes nothing.
    assert [RoutingRuleOut.model_validate(r).model_dump(mode="json") for r in stored] == stored
    assert store(stored) == stored
    assert parse_rules(stored) == parse(raws)


@settings(max_examples=100, deadline=None)
@given(hours=hours_strategy(), minute=st.integers(0, 24 * 60 - 1))
def test_a_window_and_its_complement_partition_the_day(hours, minute):
    hours.pop("timezone", None)
    inside = rule("https://example.com/in", hours=hours)
    outside = rule("https://example.com/out", hours={"start": hours["end"], "end": hours["start"]})
    v = visitor(now=NOON.replace(hour=minute // 60, minute=minute % 60))
    results = {route([inside], v), route([outside], v)}
    assert len(results - {DEFAULT}) == 1
