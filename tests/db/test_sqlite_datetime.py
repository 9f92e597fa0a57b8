"""`sqlite_datetime` writes what SQLAlchemy's `UTCDateTime` stores on SQLite, for every moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from xqr.db.base import sqlite_datetime

ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-11))]
)
MOMENTS = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31))


def stored(value: datetime) -> str:
    """SQLAlchemy's own storage form: naive UTC, `str(datetime)` with microseconds."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


@given(MOMENTS, ZONES)
def test_aware_moments_are_written_in_utc(moment: datetime, zone: timezone) -> None:
    value = moment.replace(tzinfo=zone)
    assert sqlite_datetime(value) == stored(value)


@given(MOMENTS)
def test_naive_moments_are_taken_as_utc(moment: datetime) -> None:
    assert sqlite_datetime(moment) == stored(moment)


def test_whole_seconds_keep_their_microseconds_and_years_their_four_digits() -> None:
    assert sqlite_datetime(datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)) == (
        "2026-03-01 12:00:00.000000"
    )
    assert sqlite_datetime(datetime(725, 5, 17, 1, 2, 3, 4)) == "0725-05-17 01:02:03.000004"
    # Two moments of one second share the remembered prefix but not the fraction.
    first = datetime(2026, 3, 1, 12, 0, 0, 999_999, tzinfo=UTC)
    assert sqlite_datetime(first) == "2026-03-01 12:00:00.999999"
    assert sqlite_datetime(first + timedelta(microseconds=1)) == "2026-03-01 12:00:01.000000"
