"""The one definition of refused characters (`xqr.core.text`)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xqr.core.text import NUL_MESSAGE, SURROGATE_MESSAGE, find_unstorable, plain_text_problem


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("ok", None),
        ({"a": 1, "b": None, "c": [1.5, True, "é🎉"]}, None),
        ("\x00", ((), NUL_MESSAGE)),
        ({"labels": ["a", "b", "\ud800"]}, (("labels", 2), SURROGATE_MESSAGE)),
        ({"rules": [{"to": "x\x00"}]}, (("rules", 0, "to"), NUL_MESSAGE)),
        ({"rules": [{"\udfff": 1}]}, (("rules", 0), "field names " + SURROGATE_MESSAGE)),
    ],
)
def test_unstorable_text_is_found_with_its_place(value: Any, found: Any) -> None:
    assert find_unstorable(value) == found


def test_any_depth_is_walked_without_recursion() -> None:
    deep: Any = "\x00"
    for _ in range(50_000):
        deep = [deep]
    found = find_unstorable({"x": deep})
    assert found is not None and len(found[0]) == 50_001


@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_found_exactly_when_some_string_has_nul_or_a_surrogate(value: Any) -> None:
    def strings(v: Any) -> list[str]:
        if isinstance(v, str):
            return [v]
        if isinstance(v, dict):
            return [*v] + [s for item in v.values() for s in strings(item)]
        return [s for item in v for s in strings(item)]

    bad = any("\x00" in s or any(0xD800 <= ord(c) <= 0xDFFF for c in s) for s in strings(value))
    assert (find_unstorable(value) is not None) == bad


@pytest.mark.parametrize(
    ("text", "multi_line", "problem"),
    [
        ("spring 2026", False, None),
        ("שלום 🎉", False, None),
        ("tab\there", False, "control"),
        ("c1\x85", False, "control"),
        ("\u202egnp.exe", False, "bidirectional"),
        ("a\u2066b\u2069", False, "bidirectional"),
        ("line\nbreak\ttab", True, None),
        ("bell\x07", True, "control"),
        ("cr\ronly", True, "control"),
    ],
)
def test_plain_text(text: str, multi_line: bool, problem: str | None) -> None:
    result = plain_text_problem(text, keep_line_breaks=multi_line)
    assert (result is None) if problem is None else (problem in (result or ""))
