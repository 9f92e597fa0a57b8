"""The scope list: the API reference's table, once."""

from __future__ import annotations

SCOPES: dict[str, str] = {
    "*": "Full access (all scopes)",
    "links:read": "List and view short links",
    "links:write": "Create, update, delete short links",
    "qr:read": "List and view QR templates",
    "qr:write": "Create, update, delete QR templates",
    "qr:render": "Generate QR code images",
    "analytics:read": "Query analytics data",
    "assets:read": "List and view assets",
    "assets:write": "Upload, publish, delete assets",
    "bio:read": "List and view Link-in-Bio pages",
    "bio:write": "Create, update, publish, delete bio pages",
    "reports:read": "View reports",
    "reports:write": "Create and manage reports",
    "workspace:read": "View workspace info, usage, and members",
    "webhooks:read": "List and view webhook endpoints",
    "webhooks:write": "Create, update, delete webhooks",
    "domains:read": "List and view custom domains",
    "domains:write": "Add, verify, update, delete custom domains",
}


def grants(granted: list[str] | tuple[str, ...], required: str) -> bool:
    return "*" in granted or required in granted


def parse_scopes(value: str | list[str]) -> list[str]:
    """Validate a comma-separated or listed set of scopes, keeping the table's order."""
    items = value.split(",") if isinstance(value, str) else value
    wanted = {item.strip() for item in items if item.strip()}
    unknown = sorted(wanted - SCOPES.keys())
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}")
    if not wanted:
        raise ValueError("at least one scope is required")
    return [scope for scope in SCOPES if scope in wanted]
