"""Base classes for request and response bodies."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

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
    model_config = ConfigDict(from_attributes=True)
