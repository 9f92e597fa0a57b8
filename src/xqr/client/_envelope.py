"""Reading the API's success envelope into models."""

from __future__ import annotations

from typing import Any

import httpx

from xqr.client._errors import APIError
from xqr.client._models import M, Page


def data_of(response: httpx.Response) -> Any:
    """The `data` of a success envelope."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "data" not in body:
        raise APIError(
            "The server answered without a data envelope.",
            code="INVALID_RESPONSE",
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
        )
    return body["data"]


def model_of(response: httpx.Response, model: type[M]) -> M:
    return model.model_validate(data_of(response))


def page_of(response: httpx.Response, model: type[M]) -> Page[M]:
    """A list envelope: items from `data`, pagination from `meta`."""
    items = data_of(response)
    meta = response.json().get("meta") or {}
    return Page[model](  # type: ignore[valid-type]
        items=[model.model_validate(item) for item in items],
        total=int(meta.get("total", len(items))),
        limit=int(meta.get("limit", len(items))),
        offset=int(meta.get("offset", 0)),
    )
