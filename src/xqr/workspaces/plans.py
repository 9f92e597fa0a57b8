"""The plans table: data, not code. An operator may override it with a TOML file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

MB = 1024 * 1024
GB = 1024 * MB

# Count limits a workspace can hit, with the words used in PLAN_LIMIT_EXCEEDED messages.
LIMIT_LABELS: dict[str, str] = {
    "api_keys": "API keys",
    "links": "links",
    "qr_templates": "QR templates",
    "bio_pages": "bio pages",
    "assets": "assets",
    "storage_bytes": "asset storage",
    "webhooks": "webhook endpoints",
    "members": "members",
    "reports": "saved reports",
    "domains": "custom domains",
}


@dataclass(frozen=True)
class Plan:
    """One plan. `None` means unlimited."""

    name: str
    api_keys: int | None
    monthly_calls: int
    burst_per_second: int
    links: int | None
    qr_templates: int | None
    bio_pages: int | None
    assets: int | None
    storage_bytes: int | None
    webhooks: int | None
    members: int | None
    routing_rules: bool
    # QR codes in one `POST /qr/bulk` ZIP (the API caps it at 500 whatever the plan).
    qr_bulk_items: int | None = 500
    reports: int | None = None
    domains: int | None = None

    @property
    def api_access(self) -> bool:
        return self.monthly_calls > 0 and (self.api_keys is None or self.api_keys > 0)

    def limit(self, name: str) -> int | None:
        value: int | None = getattr(self, name)
        return value


# The first three numeric columns are the API reference's; the rest are DESIGN.md's.
DEFAULT_PLANS: dict[str, Plan] = {
    "free": Plan("free", 0, 0, 0, 50, 2, 1, 10, 50 * MB, 0, 1, False, 0, reports=1, domains=0),
    "pro": Plan(
        "pro", 2, 1_000, 10, 1_000, 20, 5, 500, 1 * GB, 2, 3, True, 100, reports=10, domains=1
    ),
    "business": Plan(
        "business",
        10,
        25_000,
        50,
        25_000,
        200,
        50,
        5_000,
        20 * GB,
        10,
        15,
        True,
        reports=100,
        domains=5,
    ),
    "enterprise": Plan(
        "enterprise",
        None,
        100_000,
        200,
        None,
        None,
        None,
        None,
        None,
        50,
        None,
        True,
        reports=None,
        domains=None,
    ),
}

PLAN_ORDER = ("free", "pro", "business", "enterprise")


class PlansFileError(ValueError):
    pass


def _coerce(field: str, value: Any) -> Any:
    if field == "routing_rules":
        if not isinstance(value, bool):
            raise PlansFileError(f"{field} must be true or false")
        return value
    if value == "unlimited" or value == -1:
        if field in ("monthly_calls", "burst_per_second"):
            raise PlansFileError(f"{field} must be a number")
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PlansFileError(f'{field} must be a non-negative integer or "unlimited"')
    return value


def load_plans(path: Path | None) -> dict[str, Plan]:
    """The default table with the TOML file's `[plans.NAME]` values laid over it."""
    plans = dict(DEFAULT_PLANS)
    if path is None:
        return plans
    try:
        raw = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PlansFileError(f"cannot read plans file {path}: {exc}") from exc
    known = {f.name for f in fields(Plan)} - {"name"}
    for name, values in raw.get("plans", {}).items():
        if name not in plans:
            raise PlansFileError(f"unknown plan {name!r}; plans are {', '.join(PLAN_ORDER)}")
        unknown = set(values) - known
        if unknown:
            raise PlansFileError(f"unknown plan fields: {', '.join(sorted(unknown))}")
        plans[name] = replace(plans[name], **{k: _coerce(k, v) for k, v in values.items()})
    return plans


def cheapest_plan_with(plans: dict[str, Plan], feature: str) -> str | None:
    for name in PLAN_ORDER:
        if getattr(plans[name], feature):
            return name
    return None
