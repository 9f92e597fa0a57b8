"""Declarative base and the column types shared by every domain."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from xqr.core.clock import utcnow
from xqr.core.ids import uuid7
from xqr.core.memo import BoundedMemo

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = _EPOCH.replace(tzinfo=None)
# whole seconds since the epoch → `YYYY-MM-DD HH:MM:SS.`
_seconds: BoundedMemo[int, str] = BoundedMemo(4096)


def sqlite_datetime(value: datetime) -> str:
    """A datetime as `UTCDateTime` stores it on SQLite: `YYYY-MM-DD HH:MM:SS.ffffff` in UTC
    (for statements that bypass SQLAlchemy's type processing on hot paths; a naive value is
    taken as UTC).

    The scan writer formats one per scan, and `isoformat` with a `timespec` costs over a µs;
    the part up to the second is shared by the scans of that second, so it is remembered.
    """
    # An aware difference is in UTC whatever the zone.
    delta = value - (_NAIVE_EPOCH if value.tzinfo is None else _EPOCH)
    second = delta.days * 86_400 + delta.seconds
    prefix = _seconds.get(second)
    if prefix is None:
        moment = _NAIVE_EPOCH + timedelta(seconds=second)
        prefix = _seconds[second] = moment.isoformat(" ", "seconds") + "."
    return prefix + str(delta.microseconds + 1_000_000)[1:]


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {uuid.UUID: Uuid(), datetime: UTCDateTime()}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
