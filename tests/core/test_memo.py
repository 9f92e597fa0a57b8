"""BoundedMemo: the one bound every in-process memo has."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from xqr.core.memo import BoundedMemo


def test_a_new_key_stored_into_a_full_memo_empties_it_first() -> None:
    memo: BoundedMemo[str, int] = BoundedMemo(3)
    for n, key in enumerate("abc"):
        memo[key] = n
    memo["d"] = 3
    assert memo == {"d": 3}


def test_replacing_a_key_of_a_full_memo_keeps_the_others() -> None:
    memo: BoundedMemo[str, int] = BoundedMemo(2)
    memo["a"], memo["b"] = 1, 2
    memo["a"] = 10
    assert memo == {"a": 10, "b": 2}


def test_entries_kept_by_keep_survive_a_full_memo() -> None:
    memo: BoundedMemo[str, int] = BoundedMemo(3, keep=lambda _, value: value > 0)
    memo["live"], memo["stale"], memo["old"] = 1, 0, -1
    memo["new"] = 5
    assert memo == {"live": 1, "new": 5}


def test_a_memo_full_of_kept_entries_is_emptied_all_the_same() -> None:
    memo: BoundedMemo[str, int] = BoundedMemo(2, keep=lambda _, value: True)
    memo["a"], memo["b"] = 1, 2
    memo["c"] = 3
    assert memo == {"c": 3}


def test_reading_is_the_plain_dicts() -> None:
    memo: BoundedMemo[str, int] = BoundedMemo(2)
    memo["a"] = 1
    assert memo.get("a") == 1 and memo.get("z") is None and "a" in memo and memo["a"] == 1
    assert type(memo).get is dict.get


@given(st.integers(1, 8), st.lists(st.tuples(st.integers(0, 20), st.integers())))
def test_a_memo_never_holds_more_than_its_bound_and_answers_what_it_was_told(
    bound: int, writes: list[tuple[int, int]]
) -> None:
    memo: BoundedMemo[int, int] = BoundedMemo(bound)
    latest: dict[int, int] = {}
    for key, value in writes:
        memo[key] = value
        latest[key] = value
        assert len(memo) <= bound
        assert memo[key] == value
    assert all(latest[key] == value for key, value in memo.items())
