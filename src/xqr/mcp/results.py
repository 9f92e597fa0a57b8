"""Turning SDK answers and errors into MCP tool results."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from mcp.types import (
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    TextContent,
)
from pydantic import BaseModel

from xqr.client import APIError, Page, XQRError

T = TypeVar("T")


def plain(value: Any) -> Any:
    """JSON-ready data from SDK models (timestamps as ISO 8601)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def json_result(data: Any) -> CallToolResult:
    """The data as pretty JSON text, and as structured content (a list as `items`)."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    structured = data if isinstance(data, dict) else {"items": data}
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=structured
    )


def model_result(value: Any) -> CallToolResult:
    return json_result(plain(value))


def page_result(page: Page[Any]) -> CallToolResult:
    """A list with its pagination, and where the next page starts."""
    next_offset = page.offset + len(page.items) if page.has_more else None
    return json_result(
        {
            "items": plain(page.items),
            "pagination": {
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
                "has_more": page.has_more,
                "next_offset": next_offset,
            },
        }
    )


def image_result(image: bytes, fmt: str, what: str) -> CallToolResult:
    """A QR image: PNG as image/png, SVG as image/svg+xml (both base64, as MCP carries images);
    a PDF, not an image to MCP, as an embedded resource."""
    if fmt == "pdf":
        blob = BlobResourceContents(
            uri="xqr://qr/code.pdf",  # type: ignore[arg-type]
            mime_type="application/pdf",
            blob=base64.b64encode(image).decode("ascii"),
        )
        return CallToolResult(
            content=[
                EmbeddedResource(type="resource", resource=blob),
                TextContent(type="text", text=f"{what} (application/pdf, {len(image)} bytes)"),
            ]
        )
    mime_type = "image/png" if fmt == "png" else "image/svg+xml"
    return CallToolResult(
        content=[
            ImageContent(
                type="image", data=base64.b64encode(image).decode("ascii"), mime_type=mime_type
            ),
            TextContent(type="text", text=f"{what} ({mime_type}, {len(image)} bytes)"),
        ]
    )


def deleted_result(what: str, identifier: str) -> CallToolResult:
    return json_result({"deleted": True, "type": what, "id": identifier})


def error_result(error: XQRError) -> CallToolResult:
    """An API error as a tool error: its code and message first, so a model can act on them."""
    if isinstance(error, APIError):
        detail: dict[str, Any] = {
            "code": error.code,
            "message": error.message,
            "status": error.status,
            "request_id": error.request_id,
        }
        if error.details:
            detail["details"] = error.details
        text = f"{error.code}: {error.message}"
        if error.details:
            text += "\n" + "\n".join(
                f"- {item.get('field', '')}: {item.get('message', '')}" for item in error.details
            )
    else:
        detail = {"code": "CONNECTION_ERROR", "message": str(error)}
        text = f"CONNECTION_ERROR: {error}"
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content={"error": detail},
        is_error=True,
    )


async def respond(
    work: Awaitable[T], render: Callable[[T], CallToolResult] = model_result
) -> CallToolResult:
    """Await an SDK call and render its answer, or its error as a tool error."""
    try:
        value = await work
    except XQRError as error:
        return error_result(error)
    return render(value)
