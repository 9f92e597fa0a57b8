"""When scheduled reports run (pure): daily, weekly on a weekday, or monthly on a day, at an
hour of the report's time zone.

A slot is an instant in UTC. Local hours that a daylight-saving change skips resolve to the
hour after the change; hours it repeats run once, at their first occurrence. A monthly day
past the end of a short month (31 in April) runs on the month's last day.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

FREQUENCIES = ("daily", "weekly", "monthly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_HOUR = 8
_SEARCH_DAYS = 400  # every frequency has a slot within any 400 days


class ScheduleError(ValueError):
    """A schedule field is wrong; `field` names it (`schedule.hour`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Schedule:
    frequency: str
    hour: int = DEFAULT_HOUR
    weekday: str | None = None  # weekly
    day: int | None = None  # monthly

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Schedule:
        """A schedule from its API form; ScheduleError names the field at fault."""
        frequency = raw.get("frequency")
        if frequency not in FREQUENCIES:
            raise ScheduleError("schedule.frequency", f"must be one of {', '.join(FREQUENCIES)}")
        hour = raw.get("hour", DEFAULT_HOUR)
        if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
            raise ScheduleError("schedule.hour", "must be an hour 0–23 in the report's time zone")
        weekday, day = raw.get("weekday"), raw.get("day")
        if frequency != "weekly" and weekday is not None:
            raise ScheduleError("schedule.weekday", "is only for weekly schedules")
        if frequency != "monthly" and day is not None:
            raise ScheduleError("schedule.day", "is only for monthly schedules")
        if frequency == "weekly":
            weekday = "monday" if weekday is None else weekday
            if not isinstance(weekday, str) or weekday.lower() not in WEEKDAYS:
                raise ScheduleError("schedule.weekday", f"must be one of {', '.join(WEEKDAYS)}")
            weekday = weekday.lower()
        if frequency == "monthly":
            day = 1 if day is None else day
            if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31:
                raise ScheduleError(
                    "schedule.day", "must be a day of the month 1–31 (short months: their last)"
                )
        return cls(frequency, hour, weekday, day)

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"frequency": self.frequency, "hour": self.hour}
        if self.weekday is not None:
            found["weekday"] = self.weekday
        if self.day is not None:
            found["day"] = self.day
        return found

    def runs_on(self, day: date) -> bool:
        if self.frequency == "weekly":
            return WEEKDAYS[day.weekday()] == self.weekday
        if self.frequency == "monthly":
            assert self.day is not None
            last = calendar.monthrange(day.year, day.month)[1]
            return day.day == min(self.day, last)
        return True

    def next_slot(self, tz: ZoneInfo, after: datetime) -> datetime:
        """The first slot strictly after `after` (UTC)."""
        first = after.astimezone(tz).date() - timedelta(days=1)
        for offset in range(_SEARCH_DAYS):
            day = first + timedelta(days=offset)
            if not self.runs_on(day):
                continue
            at = datetime.combine(day, time(self.hour), tzinfo=tz).astimezone(UTC)
            if at > after:
                return at
        raise AssertionError("no slot within 400 days")  # unreachable for a parsed schedule
