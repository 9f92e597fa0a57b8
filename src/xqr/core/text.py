"""What text the API accepts: one definition of characters that are refused, for every check.

Two layers:

- *Unstorable* text is refused everywhere at the edge (every JSON body, every query
  parameter): PostgreSQL cannot store NUL (U+0000) in a text value, and neither database can
  store a lone surrogate (U+D800–U+DFFF, which is not a character and has no UTF-8 form).
  JSON can spell both (`"\\u0000"`, `"\\ud800"`), so they must be caught before any field
  rule or query sees them.
- *Plain* text — short names people read (labels, bio titles) — also refuses control
  characters and the explicit bidirectional embeddings, overrides and isolates, which can
  make text display in another order than it is stored ("Trojan Source").
"""

from __future__ import annotations

import re
from typing import Any

Location = tuple[str | int, ...]

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
NUL_MESSAGE = "must not contain the NUL character (U+0000)"
SURROGATE_MESSAGE = (
    "must not contain a lone surrogate (U+D800–U+DFFF): it is not a character; send valid Unicode"
)

# C0 and C1 control characters (Unicode category Cc). Multi-line text keeps tab and line
# feed (its callers turn CRLF into LF first).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
CONTROL_EXCEPT_NEWLINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Explicit bidirectional formatting: LRE, RLE, PDF, LRO, RLO, and LRI, RLI, FSI, PDI.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def unstorable_reason(text: str) -> str | None:
    """Why the databases cannot store `text`, or None when they can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return NUL_MESSAGE if found.group() == "\x00" else SURROGATE_MESSAGE


def find_unstorable(value: Any, at: Location = ()) -> tuple[Location, str] | None:
    """An unstorable string in a parsed JSON value, shallowest first: (where, why), or None.

    A bad object key is reported at the object that holds it, since the key cannot name
    itself in an error without carrying the character along. The walk keeps its own stack:
    JSON nests deeper than Python's recursion limit allows.
    """
    if isinstance(value, str):
        reason = unstorable_reason(value)
        return None if reason is None else (at, reason)
    # Containers still to look into, last first; strings are checked as they are met.
    pending: list[tuple[Any, Location]] = [(value, at)]
    while pending:
        container, where = pending.pop()
        if isinstance(container, dict):
            items: Any = container.items()
            for key in container:
                if isinstance(key, str) and (reason := unstorable_reason(key)):
                    return where, f"field names {reason}"
        elif isinstance(container, list | tuple):
            items = enumerate(container)
        else:
            continue
        nested = []
        for key, item in items:
            if isinstance(item, str):
                if reason := unstorable_reason(item):
                    return (*where, key), reason
            elif isinstance(item, dict | list | tuple):
                nested.append((item, (*where, key)))
        pending.extend(reversed(nested))
    return None


def plain_text_problem(text: str, *, keep_line_breaks: bool = False) -> str | None:
    """Why `text` is not fit for a short name people read, or None."""
    control = CONTROL_EXCEPT_NEWLINES if keep_line_breaks else CONTROL
    if control.search(text):
        if keep_line_breaks:
            return "must not contain control characters other than line breaks"
        return "must not contain control characters"
    if BIDI_CONTROLS.search(text):
        return "must not contain bidirectional override or isolate characters"
    return None
