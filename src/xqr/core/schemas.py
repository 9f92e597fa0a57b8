"""Base classes and shared field types for request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from xqr.core.clock import isoformat
from xqr.core.text import find_unstorable


class RequestModel(BaseModel):
    """A request body: unknown fields are rejected so typos never pass silently, and text the
    databases cannot store (NUL, lone surrogates) is refused before any field rule runs."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    # Fields whose items the service validates one by one (bulk create), so one bad item is
    # reported alone instead of refusing the whole request.
    items_validated_alone: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _refuse_unstorable_text(cls, data: Any) -> Any:
        if isinstance(data, dict):
            checked = {k: v for k, v in data.items() if k not in cls.items_validated_alone}
            if found := find_unstorable(checked):
                at, reason = found
                raise unstorable_text_error(cls.__name__, at, reason)
        return data


def unstorable_text_error(title: str, at: tuple[str | int, ...], reason: str) -> ValidationError:
    """A pydantic error at `at`, which pydantic prefixes with the path to the model."""
    error = PydanticCustomError("unstorable_text", reason)
    return ValidationError.from_exception_data(
        title, [InitErrorDetails(type=error, loc=at, input=None)]
    )


class ResponseModel(BaseModel):
    """A response body: what is sent, and so what the OpenAPI document says.

    Unknown fields are refused and every field without a default must be given, so a view
    that drifts from its model fails at once instead of sending something undocumented.
    """

    model_config = ConfigDict(extra="forbid")


def omitted_when_none(value: Any) -> bool:
    """For `Field(exclude_if=...)`: an optional key that is left out rather than sent as null."""
    return value is None


# ISO 8601 in UTC with a `Z` and milliseconds, as every timestamp of the API is written.
Timestamp = Annotated[
    datetime,
    PlainSerializer(isoformat, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2026-03-21T10:30:00.000Z"]}
    ),
]
