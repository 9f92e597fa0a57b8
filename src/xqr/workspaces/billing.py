"""Billing cycles: a month at a time from the workspace's anchor (its creation time)."""

from __future__ import annotations

import calendar
from datetime import datetime

from xqr.core.memo import BoundedMemo


def add_months(anchor: datetime, months: int) -> datetime:
    """`anchor` moved by whole months, clamping the day (Jan 31 + 1 month = Feb 28/29)."""
    index = anchor.month - 1 + months
    year, month = anchor.year + index // 12, index % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def cycle_bounds(anchor: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The [start, end) of the cycle containing `now`."""
    months = (now.year - anchor.year) * 12 + (now.month - anchor.month)
    start = add_months(anchor, months)
    if start > now:
        months -= 1
        start = add_months(anchor, months)
    end = add_months(anchor, months + 1)
    return start, end


_CURRENT: BoundedMemo[datetime, tuple[datetime, datetime]] = BoundedMemo(10_000)


def current_cycle(anchor: datetime, now: datetime) -> tuple[datetime, datetime]:
    """`cycle_bounds`, remembered per anchor while `now` stays inside the cycle (every API
    call asks; the answer changes once a month)."""
    bounds = _CURRENT.get(anchor)
    if bounds is None or not bounds[0] <= now < bounds[1]:
        bounds = _CURRENT[anchor] = cycle_bounds(anchor, now)
    return bounds
