"""The workspace a request acts for, with its plan resolved."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from xqr.core.errors import ApiError
from xqr.workspaces.plans import LIMIT_LABELS, Plan, cheapest_plan_with


@dataclass(frozen=True)
class Tenant:
    workspace_id: uuid.UUID
    plan: Plan
    plans: dict[str, Plan]

    def ensure_within(self, limit_name: str, used: int, adding: int = 1) -> None:
        """Raise PLAN_LIMIT_EXCEEDED when `adding` more would pass the plan's limit."""
        limit = self.plan.limit(limit_name)
        if limit is not None and used + adding > limit:
            label = LIMIT_LABELS[limit_name]
            raise ApiError(
                "PLAN_LIMIT_EXCEEDED",
                f"The {self.plan.name} plan allows {limit} {label}; this workspace has {used}. "
                "Delete some or upgrade the plan.",
            )

    def ensure_feature(self, feature: str, label: str) -> None:
        """Raise FEATURE_NOT_AVAILABLE naming the cheapest plan that has `feature`."""
        if getattr(self.plan, feature):
            return
        better = cheapest_plan_with(self.plans, feature)
        hint = f" Upgrade to {better} or higher." if better else ""
        raise ApiError(
            "FEATURE_NOT_AVAILABLE",
            f"The {self.plan.name} plan does not include {label}.{hint}",
        )
