"""CSV cells for `xqr links export`/`import`: safe to open in a spreadsheet, and read back as
they were written.

Formula injection (OWASP): Excel, LibreOffice and Google Sheets run a cell that starts with
`=`, `+`, `-`, `@`, a tab or a carriage return as a formula, so a label such as
`=HYPERLINK(…)` would become a live link in whoever opens the export. Export puts one `'`
before such a cell, and before a cell whose leading apostrophes are followed by one of those
characters; import removes one `'` from exactly those cells, so every value comes back as it
was, and a hand-written cell such as `'quoted` is left alone.

Labels share one cell, separated by `|`; a `|` or `\\` inside a label is written `\\|` or
`\\\\`. On import, a backslash before any other character is kept as it is.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LABEL_SEPARATOR = "|"
_ESCAPE = "\\"


def _runs_as_formula(value: str) -> bool:
    return value.lstrip("'").startswith(FORMULA_STARTS)


def protect_cell(value: str) -> str:
    """The cell as written to the file: never a formula to a spreadsheet."""
    return "'" + value if _runs_as_formula(value) else value


def unprotect_cell(value: str) -> str:
    """The value `protect_cell` was given (other cells are returned unchanged)."""
    if value.startswith("'") and _runs_as_formula(value[1:]):
        return value[1:]
    return value


def join_labels(labels: list[str]) -> str:
    return LABEL_SEPARATOR.join(
        label.replace(_ESCAPE, _ESCAPE * 2).replace(LABEL_SEPARATOR, _ESCAPE + LABEL_SEPARATOR)
        for label in labels
    )


def split_labels(cell: str) -> list[str]:
    """The labels of a cell written by `join_labels` (or by hand); blank ones are dropped."""
    labels: list[str] = []
    current: list[str] = []
    characters = iter(cell)
    for character in characters:
        if character == _ESCAPE:
            following = next(characters, "")
            if following not in (_ESCAPE, LABEL_SEPARATOR):
                current.append(_ESCAPE)
            current.append(following)
        elif character == LABEL_SEPARATOR:
            labels.append("".join(current))
            current = []
        else:
            current.append(character)
    labels.append("".join(current))
    return [label for label in labels if label.strip()]
