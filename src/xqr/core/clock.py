"""The clock every domain reads the time from, so tests can move time without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time in UTC; `freeze`/`advance` let tests inject time."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        if self._offset:
            return datetime.now(UTC) + self._offset
        return datetime.now(UTC)

    def freeze(self, at: datetime) -> None:
        self._frozen = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta

    def reset(self) -> None:
        self._frozen = None
        self._offset = timedelta(0)


clock = Clock()


def utcnow() -> datetime:
    return clock.now()


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, millisecond precision."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_datetime(value: str) -> datetime:
    """Parse ISO 8601 (a trailing Z allowed); naive values are taken as UTC."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
