"""CSV cells of the links export: never a formula, and read back exactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xqr.links.csvcells import (
    FORMULA_STARTS,
    join_labels,
    protect_cell,
    split_labels,
    unprotect_cell,
)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (
            '=HYPERLINK("https://evil.example","click")',
            '\'=HYPERLINK("https://evil.example","click")',
        ),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'=1", "''=1"),  # would otherwise lose its own apostrophe on import
        ("''-x", "'''-x"),
        ("'quoted", "'quoted"),  # not a formula: left alone
        ("https://example.com/?a=b", "https://example.com/?a=b"),
        ("", ""),
        ("'", "'"),
    ],
)
def test_cells_a_spreadsheet_would_run_get_an_apostrophe_that_import_removes(
    value: str, written: str
) -> None:
    assert protect_cell(value) == written
    assert unprotect_cell(written) == value


@given(st.text())
def test_any_cell_is_safe_and_reads_back_as_written(value: str) -> None:
    written = protect_cell(value)
    assert not written.startswith(FORMULA_STARTS)
    assert unprotect_cell(written) == value


def test_hand_written_cells_without_a_formula_are_read_as_they_are() -> None:
    for cell in ("'quoted", "it's", "plain", "'", "''"):
        assert unprotect_cell(cell) == cell


@pytest.mark.parametrize(
    ("labels", "cell"),
    [
        (["poster", "2026"], "poster|2026"),
        (["a|b", "c"], "a\\|b|c"),
        (["back\\slash"], "back\\\\slash"),
        (["ends\\", "x"], "ends\\\\|x"),
        (["\\|"], "\\\\\\|"),
        ([], ""),
    ],
)
def test_labels_share_a_cell_with_pipes_and_backslashes_escaped(
    labels: list[str], cell: str
) -> None:
    assert join_labels(labels) == cell
    assert split_labels(cell) == labels


def test_hand_written_label_cells_keep_other_backslashes_and_drop_blanks() -> None:
    assert split_labels("C:\\temp|a\\b| |") == ["C:\\temp", "a\\b"]
    assert split_labels("trailing\\") == ["trailing\\"]


label = st.text(min_size=1).filter(lambda s: s.strip() == s and s)


@given(st.lists(label, max_size=10))
def test_any_labels_survive_join_protect_unprotect_split(labels: list[str]) -> None:
    assert split_labels(unprotect_cell(protect_cell(join_labels(labels)))) == labels
