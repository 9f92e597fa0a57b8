"""Custom domains: the rules behind `/v1/domains`, verification, and the domain of a link."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.config import Settings
from xqr.core.clock import utcnow
from xqr.core.errors import ApiError, not_found, validation_error
from xqr.db.engine import on_commit
from xqr.domains import repository
from xqr.domains.hostnames import HostnameError, normalise_hostname
from xqr.domains.models import Domain
from xqr.domains.schemas import DomainOut, VerificationOut
from xqr.domains.verification import WELL_KNOWN_PREFIX, DomainVerifier
from xqr.links.destinations import check_destination
from xqr.redirect.cache import domain_cache_key, invalidate_everywhere
from xqr.webhooks.outbox import emit
from xqr.workspaces.service import hold_limits
from xqr.workspaces.tenant import Tenant
from xqr.workspaces.usage import register_usage_counter

SERVING = repository.SERVING

register_usage_counter("domains", repository.count)


@dataclass(frozen=True)
class DomainRules:
    """What the domain rules need from the settings."""

    own_hosts: frozenset[str]  # this server's own names: never a custom domain
    verifier: DomainVerifier

    @classmethod
    def from_settings(cls, settings: Settings) -> DomainRules:
        hosts = set(settings.loop_hosts) | set(settings.short_hosts)
        hosts.add((urlsplit(settings.bio_base).hostname or "").lower())
        return cls(
            own_hosts=frozenset(h for h in hosts if h),
            verifier=DomainVerifier(
                secret=settings.secret,
                allow_private=settings.webhooks_allow_private,
                via=settings.domains_verify_via,
            ),
        )


def domain_view(domain: Domain) -> DomainOut:
    return DomainOut(
        id=domain.id,
        hostname=domain.hostname,
        purpose=domain.purpose,  # type: ignore[arg-type]
        status=domain.status,  # type: ignore[arg-type]
        default=domain.is_default,
        not_found_url=domain.not_found_url,
        root_url=domain.root_url,
        verification=VerificationOut(
            token=domain.token,
            url=f"http://{domain.hostname}{WELL_KNOWN_PREFIX}{domain.token}",
            last_error=domain.failure_reason,
            verified_at=domain.verified_at,
            checked_at=domain.checked_at,
        ),
        created_at=domain.created_at,
        updated_at=domain.updated_at,
    )


def _payload(domain: Domain) -> dict[str, Any]:
    return domain_view(domain).model_dump(mode="json")


def parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise not_found("Domain") from None


def _hostname(value: str, rules: DomainRules) -> str:
    try:
        hostname = normalise_hostname(value)
    except HostnameError as exc:
        raise validation_error("hostname", str(exc)) from None
    if hostname in rules.own_hosts:
        raise validation_error(
            "hostname", f"{hostname} is this server's own host name; it serves every workspace"
        )
    return hostname


def _url(value: str | None, field: str, hostname: str, rules: DomainRules) -> str | None:
    if value is None:
        return None
    try:
        # Not back onto the domain itself (or the server): that would loop.
        return check_destination(value, blocked_hosts=rules.own_hosts | {hostname})
    except ValueError as exc:
        raise validation_error(field, str(exc)) from None


def _changed(session: AsyncSession, hostname: str) -> None:
    """Every process drops its cached view of the host (and so its links) after commit."""
    from xqr.links.service import record_cache_changes

    key = domain_cache_key(hostname)
    record_cache_changes(session, key)
    on_commit(session, lambda: invalidate_everywhere([key]))


async def create_domain(
    session: AsyncSession,
    tenant: Tenant,
    rules: DomainRules,
    *,
    hostname: str,
    purpose: str,
    default: bool,
    not_found_url: str | None,
    root_url: str | None,
) -> Domain:
    """A new pending domain with its verification token."""
    host = _hostname(hostname, rules)
    await hold_limits(session, tenant)
    tenant.ensure_within("domains", await repository.count(session, tenant.workspace_id))
    if await repository.by_hostname(session, host) is not None:
        raise _taken(host)
    domain = Domain(
        workspace_id=tenant.workspace_id,
        hostname=host,
        purpose=purpose,
        status="pending",
        token=secrets.token_urlsafe(24),
        is_default=default,
        not_found_url=_url(not_found_url, "not_found_url", host, rules),
        root_url=_url(root_url, "root_url", host, rules),
    )
    try:
        async with session.begin_nested():
            session.add(domain)
            await session.flush()
    except IntegrityError as exc:  # another workspace added it at the same moment
        raise _taken(host) from exc
    if default:
        await repository.clear_default(session, tenant.workspace_id, domain.id)
    _changed(session, host)
    return domain


def _taken(host: str) -> ApiError:
    return ApiError(
        "CONFLICT",
        f"The host name {host} is already registered on this server (by this or another "
        "workspace); a host can belong to one workspace only.",
    )


async def list_domains(
    session: AsyncSession, workspace_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[Domain], int]:
    return await repository.list_for(session, workspace_id, limit, offset)


async def get_domain(session: AsyncSession, workspace_id: uuid.UUID, domain_id: str) -> Domain:
    domain = await repository.get(session, workspace_id, parse_id(domain_id))
    if domain is None:
        raise not_found("Domain")
    return domain


async def update_domain(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    rules: DomainRules,
    domain_id: str,
    changes: dict[str, Any],
) -> Domain:
    """Change purpose, default, not_found_url or root_url (the host name never changes)."""
    domain = await get_domain(session, workspace_id, domain_id)
    for field in ("purpose", "default"):
        if field in changes and changes[field] is None:
            raise validation_error(field, "may not be null")
    if "purpose" in changes:
        domain.purpose = changes["purpose"]
    if "not_found_url" in changes:
        domain.not_found_url = _url(
            changes["not_found_url"], "not_found_url", domain.hostname, rules
        )
    if "root_url" in changes:
        domain.root_url = _url(changes["root_url"], "root_url", domain.hostname, rules)
    if "default" in changes:
        domain.is_default = bool(changes["default"])
        if domain.is_default:
            await repository.clear_default(session, workspace_id, domain.id)
    domain.updated_at = utcnow()
    await session.flush()
    _changed(session, domain.hostname)
    return domain


async def delete_domain(session: AsyncSession, workspace_id: uuid.UUID, domain_id: str) -> None:
    """Delete a domain no link uses any more (links on it would lose their address)."""
    domain = await get_domain(session, workspace_id, domain_id)
    try:
        async with session.begin_nested():
            await session.delete(domain)
            await session.flush()
    except IntegrityError:
        raise ApiError(
            "CONFLICT",
            f"Links still use {domain.hostname}; move them to another domain (PATCH the link's "
            "`domain`) or delete them first.",
        ) from None
    _changed(session, domain.hostname)


async def verify_domain(
    session: AsyncSession, workspace_id: uuid.UUID, rules: DomainRules, domain_id: str
) -> Domain:
    """Fetch the host's verification answer now; the domain's status follows the result."""
    domain = await get_domain(session, workspace_id, domain_id)
    reason = await rules.verifier.check(domain.hostname, domain.token)
    await record_check(session, domain, reason, utcnow())
    return domain


async def record_check(
    session: AsyncSession, domain: Domain, reason: str | None, now: datetime
) -> None:
    """Apply a verification result: right answer → verified; a wrong one leaves a pending
    domain pending, and marks a serving one failed (emitting `domain.failed` once), while it
    keeps serving."""
    before = domain.status
    domain.checked_at = now
    domain.failure_reason = reason
    if reason is None:
        domain.status = "verified"
        domain.verified_at = domain.verified_at or now
        if before == "failed":
            domain.verified_at = now
    elif before == "verified":
        domain.status = "failed"
    domain.updated_at = now
    await session.flush()
    if domain.status != before:
        _changed(session, domain.hostname)
        if domain.status == "failed":
            await emit(session, domain.workspace_id, "domain.failed", _payload(domain))


async def claim_rechecks(
    session: AsyncSession, checked_before: datetime, now: datetime, limit: int
) -> list[tuple[uuid.UUID, str, str]]:
    return await repository.claim_due(session, checked_before, now, limit)


async def record_recheck(
    session: AsyncSession, domain_id: uuid.UUID, reason: str | None, now: datetime
) -> None:
    domain = await repository.get_any(session, domain_id)
    if domain is not None and domain.status in SERVING:
        await record_check(session, domain, reason, now)


async def serves_tls(session: AsyncSession, hostname: str) -> bool:
    """Whether the proxy may get a certificate for `hostname`: a verified (or failed, still
    serving) custom domain."""
    try:
        host = normalise_hostname(hostname)
    except HostnameError:
        return False
    domain = await repository.by_hostname(session, host)
    return domain is not None and domain.status in SERVING


@dataclass(frozen=True)
class LinkDomain:
    """Where a link is served: a domain's id and host name, or the server's base (None, '')."""

    domain_id: uuid.UUID | None
    key: str


BASE = LinkDomain(None, "")


async def domain_for_link(
    session: AsyncSession, workspace_id: uuid.UUID, hostname: str | None, *, given: bool
) -> LinkDomain:
    """The domain a link goes on: the one named (`given`; null is the server's base), else
    the workspace's default domain when it serves links, else the base."""
    if given:
        if hostname is None or hostname == "":
            return BASE
        try:
            host = normalise_hostname(hostname)
        except HostnameError as exc:
            raise validation_error("domain", str(exc)) from None
        domain = await repository.by_hostname(session, host)
        if domain is None or domain.workspace_id != workspace_id:
            raise validation_error("domain", f"{host} is not a domain of this workspace")
        if domain.status not in SERVING:
            raise validation_error(
                "domain", f"{host} is not verified yet (POST /domains/{domain.id}/verify)"
            )
        if domain.purpose == "bio":
            raise validation_error("domain", f"{host} serves bio pages only (its purpose)")
        return LinkDomain(domain.id, domain.hostname)
    domain = await repository.default_of(session, workspace_id)
    if domain is None or domain.status not in SERVING or domain.purpose == "bio":
        return BASE
    return LinkDomain(domain.id, domain.hostname)
