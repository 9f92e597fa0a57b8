from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xqr.workspaces.billing import add_months, cycle_bounds
from xqr.workspaces.plans import DEFAULT_PLANS, PlansFileError, load_plans


def test_default_plans_match_the_reference_table() -> None:
    assert [(p.api_keys, p.monthly_calls, p.burst_per_second) for p in DEFAULT_PLANS.values()] == [
        (0, 0, 0),
        (2, 1_000, 10),
        (10, 25_000, 50),
        (None, 100_000, 200),
    ]
    assert not DEFAULT_PLANS["free"].api_access
    assert not DEFAULT_PLANS["free"].routing_rules
    assert DEFAULT_PLANS["pro"].links == 1_000


def test_a_toml_file_overrides_individual_plan_values(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_text(
        '[plans.pro]\nlinks = 5000\nmonthly_calls = 3\n\n[plans.free]\nlinks = "unlimited"\n'
    )
    plans = load_plans(path)
    assert plans["pro"].links == 5000
    assert plans["pro"].monthly_calls == 3
    assert plans["pro"].api_keys == 2
    assert plans["free"].links is None


@pytest.mark.parametrize(
    "content",
    [
        "[plans.gold]\nlinks = 1\n",
        "[plans.pro]\nlinkz = 1\n",
        "[plans.pro]\nlinks = -5\n",
        "nope =",
    ],
)
def test_a_bad_plans_file_is_refused_with_a_clear_message(tmp_path: Path, content: str) -> None:
    path = tmp_path / "plans.toml"
    path.write_text(content)
    with pytest.raises(PlansFileError):
        load_plans(path)


def test_month_arithmetic_clamps_the_day() -> None:
    anchor = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    assert add_months(anchor, 1) == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert add_months(anchor, 2) == datetime(2026, 3, 31, 9, 30, tzinfo=UTC)
    assert add_months(anchor, 13) == datetime(2027, 2, 28, 9, 30, tzinfo=UTC)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2000)),
)
def test_the_cycle_contains_now_and_is_about_a_month_long(
    anchor: datetime, delta: timedelta
) -> None:
    anchor = anchor.replace(tzinfo=UTC)
    now = anchor + delta
    start, end = cycle_bounds(anchor, now)
    assert start <= now < end
    assert timedelta(days=28) <= end - start <= timedelta(days=31)
