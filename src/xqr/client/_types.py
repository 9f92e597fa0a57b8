"""Small shared types: the "argument not given" sentinel, file and progress types."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Final, Literal


class NotGiven:
    """Marks an argument left out, so `None` can still mean "clear this field"."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()

FilePath = str | os.PathLike[str]
# Called with (bytes sent so far, total bytes) while an upload runs.
ProgressCallback = Callable[[int, int], None]
Period = Literal["7d", "30d", "90d", "all"]
ImageFormat = Literal["svg", "png", "pdf"]
Granularity = Literal["hour", "day"]


def body_of(**fields: Any) -> dict[str, Any]:
    """A JSON body of the fields that were given (None included, NOT_GIVEN left out)."""
    return {name: value for name, value in fields.items() if not isinstance(value, NotGiven)}


def query_of(**params: Any) -> dict[str, Any]:
    """Query parameters without the ones left out or None."""
    return {
        name: value
        for name, value in params.items()
        if value is not None and not isinstance(value, NotGiven)
    }
