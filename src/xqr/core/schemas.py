"""Base classes and shared field types for request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema

from xqr.core.clock import isoformat


class RequestModel(BaseModel):
    """A request body: unknown fields are rejected so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


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
