"""Changes to many links at once (the dashboard's bulk actions): each link goes through the
same update or delete as one link would, so rules, webhook events and redirects follow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from xqr.core.errors import ApiError, validation_error
from xqr.links import service
from xqr.links.schemas import LinkUpdate
from xqr.workspaces.tenant import Tenant

MAX_SELECTED = 500


@dataclass
class Outcome:
    """How many links an action changed, and why the others were left alone."""

    changed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (link id, reason)


def _checked(link_ids: Sequence[str]) -> list[str]:
    unique = list(dict.fromkeys(link_ids))
    if not unique:
        raise validation_error("ids", "select at least one link")
    if len(unique) > MAX_SELECTED:
        raise validation_error("ids", f"at most {MAX_SELECTED} links at once")
    return unique


async def relabel(
    session: AsyncSession,
    tenant: Tenant,
    rules: service.LinkRules,
    link_ids: Sequence[str],
    *,
    add: str | None = None,
    remove: str | None = None,
) -> Outcome:
    """Add a label to, or remove one from, every selected link that needs it."""
    outcome = Outcome()
    for link_id in _checked(link_ids):
        link = await service.get_link(session, tenant, link_id)
        labels = list(link.labels or [])
        if add is not None and add.strip() not in labels:
            labels.append(add)
        if remove is not None:
            labels = [label for label in labels if label != remove]
        if labels == list(link.labels or []):
            continue
        try:
            async with session.begin_nested():
                await service.update_link(
                    session, tenant, rules, link_id, LinkUpdate(labels=labels)
                )
        except ApiError as exc:
            outcome.skipped.append((link_id, exc.message))
            continue
        outcome.changed += 1
    return outcome


async def set_enabled(
    session: AsyncSession,
    tenant: Tenant,
    rules: service.LinkRules,
    link_ids: Sequence[str],
    enabled: bool,
) -> Outcome:
    outcome = Outcome()
    for link_id in _checked(link_ids):
        link = await service.get_link(session, tenant, link_id)
        if link.enabled == enabled:
            continue
        await service.update_link(session, tenant, rules, link_id, LinkUpdate(enabled=enabled))
        outcome.changed += 1
    return outcome


async def delete(
    session: AsyncSession, tenant: Tenant, rules: service.LinkRules, link_ids: Sequence[str]
) -> Outcome:
    outcome = Outcome()
    for link_id in _checked(link_ids):
        await service.delete_link(session, tenant, rules, link_id)
        outcome.changed += 1
    return outcome
