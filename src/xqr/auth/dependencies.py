"""The request pipeline's auth step: key → plan → burst → quota → scope, in that order."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from xqr.auth import service
from xqr.auth.failures import AddressGuard
from xqr.auth.scopes import grants
from xqr.context import AppContext, Ctx
from xqr.core.clock import utcnow
from xqr.core.envelope import RateLimitState
from xqr.core.errors import ApiError
from xqr.workspaces import metering
from xqr.workspaces.billing import current_cycle
from xqr.workspaces.plans import cheapest_plan_with
from xqr.workspaces.tenant import Tenant


@dataclass(frozen=True)
class Principal:
    key_id: uuid.UUID
    scopes: tuple[str, ...]
    tenant: Tenant

    @property
    def workspace_id(self) -> uuid.UUID:
        return self.tenant.workspace_id


# Set in the ASGI state of the API calls that `/mcp` makes in process for a message it has
# already authorized (and which took its burst token): the call takes no burst token of its
# own, and the address it comes from (this process) is not the client's.
ON_BEHALF_OF_MESSAGE = "auth.on_behalf_of_message"


class Authenticator:
    """Authenticate the request and require `scope` (None: any valid key)."""

    def __init__(self, scope: str | None) -> None:
        self.scope = scope

    async def __call__(self, request: Request, ctx: Ctx) -> Principal:
        state = request.scope.setdefault("state", {})
        return await authorize(
            ctx, state, request.headers.get("authorization"), self.scope, connection=request.scope
        )


async def authorize(
    ctx: AppContext,
    state: dict[str, Any],
    authorization: str | None,
    scope: str | None,
    *,
    connection: Mapping[str, Any] | None = None,
    counted: bool = True,
) -> Principal:
    """The auth step for one request: raises the first ApiError in the documented order.

    Records the key prefix and the rate-limit state (for headers and `meta`) in `state`, the
    ASGI scope's state. The API's dependencies, its pure ASGI fast paths and `/mcp` all call
    this. `connection`, the request's ASGI scope, makes failed authentications count against
    the client's address (failures.py). `counted=False` checks that the monthly quota has
    room without counting the request (an MCP message: the API calls it makes are counted).
    """
    cache = ctx.parts.key_cache
    in_process = bool(state.get(ON_BEHALF_OF_MESSAGE))
    guard = (
        AddressGuard(ctx.parts.failed_authentications, connection)
        if connection is not None and not in_process
        else None
    )
    record = await service.authenticate(cache, authorization, guard)
    state["key_prefix"] = record.prefix
    plan = ctx.plans[record.plan]
    if not plan.api_access:
        better = cheapest_plan_with(ctx.plans, "api_access") or "a paid plan"
        raise ApiError(
            "FEATURE_NOT_AVAILABLE",
            f"The {plan.name} plan has no API access. Upgrade to {better} or higher.",
        )
    now = utcnow()
    cycle_start, cycle_end = current_cycle(record.billing_anchor, now)
    reset = int(cycle_end.timestamp())
    if in_process:
        burst = ctx.burst.peek(str(record.key_id), plan.burst_per_second)
    else:
        burst = ctx.burst.take(str(record.key_id), plan.burst_per_second)
    if not burst.allowed:
        async with ctx.read_engine.connect() as conn:
            used = await metering.calls_in_cycle(conn, record.workspace_id, cycle_start)
        state["rate_limit"] = RateLimitState(
            plan.monthly_calls,
            max(0, plan.monthly_calls - used),
            reset,
            plan.burst_per_second,
            0,
            retry_after=burst.retry_after,
        )
        raise ApiError(
            "BURST_LIMIT_EXCEEDED",
            f"More than {plan.burst_per_second} requests per second for this key. "
            f"Retry after {burst.retry_after} s.",
        )
    if counted:
        calls = await ctx.parts.quota.count(
            record.workspace_id,
            cycle_start,
            plan.monthly_calls,
            touch_key=record.key_id if service.needs_touch(cache, record.key_id, now) else None,
            now=now,
        )
    else:
        async with ctx.read_engine.connect() as conn:
            used = await metering.calls_in_cycle(conn, record.workspace_id, cycle_start)
        calls = used if used < plan.monthly_calls else None
    if calls is None:
        state["rate_limit"] = RateLimitState(
            plan.monthly_calls,
            0,
            reset,
            plan.burst_per_second,
            burst.remaining,
            retry_after=max(1, int((cycle_end - now).total_seconds())),
        )
        raise ApiError(
            "RATE_LIMIT_EXCEEDED",
            f"The monthly quota of {plan.monthly_calls} API calls is used up; "
            "it resets at the next billing cycle.",
        )
    state["rate_limit"] = RateLimitState(
        plan.monthly_calls,
        plan.monthly_calls - calls,
        reset,
        plan.burst_per_second,
        burst.remaining,
    )
    if scope is not None and not grants(record.scopes, scope):
        raise ApiError("INSUFFICIENT_SCOPE", f"This endpoint requires the {scope} scope.")
    return Principal(
        key_id=record.key_id,
        scopes=record.scopes,
        tenant=Tenant(workspace_id=record.workspace_id, plan=plan, plans=ctx.plans),
    )
