"""Links: create, change, delete, bulk create, and counting their scans."""

from __future__ import annotations

import asyncio
import operator
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import Column, Select, Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.config import Settings
from xqr.core.clock import utcnow
from xqr.core.errors import ApiError, not_found, validation_error, validation_failed
from xqr.core.text import find_unstorable, plain_text_problem
from xqr.db.engine import on_commit
from xqr.domains.service import domain_for_link
from xqr.links import repository
from xqr.links.destinations import check_destination
from xqr.links.models import Link, LinkBatch, LinkChange
from xqr.links.protection import hash_password
from xqr.links.routing import Rule, parse_rules
from xqr.links.routing_schemas import RoutingRule, RoutingRuleOut
from xqr.links.schemas import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    BatchItemOut,
    BatchOut,
    HealthOut,
    LinkCreate,
    LinkOut,
    LinkUpdate,
    Preview,
    PreviewOut,
    Utm,
    UtmOut,
)
from xqr.links.slugs import check_custom_slug, random_code
from xqr.redirect.cache import invalidate_everywhere, link_cache_key
from xqr.webhooks.events import SCAN_THRESHOLDS
from xqr.webhooks.outbox import Listeners, emit, listeners, listening_workspaces
from xqr.workspaces.service import hold_limits
from xqr.workspaces.tenant import Tenant
from xqr.workspaces.usage import register_usage_counter

MAX_LABELS = 10
MAX_LABEL_LENGTH = 50
MAX_BULK = 100
_CODE_ATTEMPTS = 10

register_usage_counter("links", repository.count)


@dataclass(frozen=True)
class LinkRules:
    """What validating a link needs from the settings."""

    short_base: str
    blocked_hosts: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkRules:
        return cls(short_base=settings.short_base, blocked_hosts=settings.loop_hosts)

    def destination(self, url: str, field: str = "url") -> str:
        try:
            return check_destination(url, blocked_hosts=self.blocked_hosts)
        except ValueError as exc:
            raise validation_error(field, str(exc)) from exc


def link_base(link: Link, short_base: str) -> str:
    """The base of the link's short URL: its custom domain's, else the server's."""
    return domain_base(link.domain_key, short_base)


def domain_base(domain_key: str, short_base: str) -> str:
    """The base of short URLs on a link's domain key ('' for the server's own base)."""
    return f"https://{domain_key}" if domain_key else short_base


def cache_key(link: Link) -> str:
    """The link's key in the redirect cache and the change log."""
    return link_cache_key(link.domain_key or "", link.code)


def link_view(link: Link, short_base: str) -> LinkOut:
    """The link object of the API (and of link.* webhook payloads)."""
    return LinkOut(
        id=link.id,
        short_url=short_url(link.code, link_base(link, short_base)),
        short_code=link.code,
        domain=link.domain_key or None,
        destination=link.destination,
        enabled=link.enabled,
        labels=list(link.labels or []),
        routing_rules=[RoutingRuleOut.model_validate(rule) for rule in link.routing_rules or []],
        scan_count=int(link.scan_count or 0),
        last_scan_at=link.last_scan_at,
        expires_at=link.expires_at,
        has_password=link.password_hash is not None,
        expired_url=link.expired_url,
        utm=UtmOut.model_validate(link.utm) if link.utm else None,
        preview=PreviewOut.model_validate(link.preview) if link.preview else None,
        health=health_view(link),
        created_at=link.created_at,
        updated_at=link.updated_at,
    )


def health_view(link: Link) -> HealthOut:
    status = link.health_status or "unknown"
    return HealthOut(
        status=status if status in ("ok", "broken") else "unknown",  # type: ignore[arg-type]
        status_code=link.health_code if status == "broken" else None,
        reason=link.health_reason if status == "broken" else None,
        checked_at=link.health_checked_at,
    )


def _payload(link: Link, rules: LinkRules) -> dict[str, Any]:
    """The link object as a webhook payload's `data`."""
    return link_view(link, rules.short_base).model_dump(mode="json")


def _labels(labels: list[str] | None) -> list[str]:
    if not labels:
        return []
    cleaned: list[str] = []
    for index, label in enumerate(labels):
        if not isinstance(label, str):
            raise validation_error(f"labels[{index}]", "must be a string")
        label = label.strip()
        if not 1 <= len(label) <= MAX_LABEL_LENGTH:
            raise validation_error(f"labels[{index}]", f"must be 1–{MAX_LABEL_LENGTH} characters")
        if problem := plain_text_problem(label):
            raise validation_error(f"labels[{index}]", problem)
        if label not in cleaned:
            cleaned.append(label)
    if len(cleaned) > MAX_LABELS:
        raise validation_error("labels", f"at most {MAX_LABELS} labels")
    return cleaned


def _expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=utcnow().tzinfo)
    if expires_at <= utcnow():
        raise validation_error("expires_at", "must be in the future")
    return expires_at


def _rules(
    tenant: Tenant, rules: LinkRules, given: list[RoutingRule] | None
) -> list[dict[str, Any]]:
    """The stored form of validated rules; their destinations are checked here, as `url` is."""
    if not given:
        return []
    tenant.ensure_feature("routing_rules", "routing rules")
    return [
        rule.stored(
            rules.destination(rule.destination, f"routing_rules[{index}].destination")
        ).model_dump(mode="json")
        for index, rule in enumerate(given)
    ]


async def _password(password: str | None) -> str | None:
    """The argon2id hash of a new password, hashed off the event loop (it takes tens of
    milliseconds and 64 MiB, and redirects share the loop)."""
    if password is None:
        return None
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise validation_error(
            "password", f"must be {MIN_PASSWORD_LENGTH}–{MAX_PASSWORD_LENGTH} characters"
        )
    if problem := plain_text_problem(password):
        raise validation_error("password", problem)
    return await asyncio.to_thread(hash_password, password)


def _utm(utm: Utm | None) -> dict[str, str] | None:
    if utm is None:
        return None
    stored = {key: value for key, value in utm.model_dump().items() if value is not None}
    for key, value in stored.items():
        if problem := plain_text_problem(value):
            raise validation_error(f"utm.{key}", problem)
    return stored or None


def _preview(preview: Preview | None) -> dict[str, str] | None:
    if preview is None:
        return None
    stored = {key: value for key, value in preview.model_dump().items() if value is not None}
    for key in ("title", "description"):
        if key in stored and (problem := plain_text_problem(stored[key])):
            raise validation_error(f"preview.{key}", problem)
    image = stored.get("image_url")
    if image is not None:
        try:
            check_destination(image, blocked_hosts=frozenset())
        except ValueError as exc:
            raise validation_error("preview.image_url", str(exc)) from exc
        if not image.lower().startswith("https://"):
            raise validation_error(
                "preview.image_url", "must be an https:// URL (a published asset's public_url)"
            )
    return stored or None


def _slug(slug: str) -> str:
    try:
        return check_custom_slug(slug)
    except ValueError as exc:
        raise validation_error("custom_slug", str(exc)) from exc


async def code_availability(
    session: AsyncSession, slug: str, *, except_link: str | None = None
) -> tuple[str, str]:
    """(`free`, `taken`, `invalid` or `empty`, and a sentence) for a wished-for short code,
    judged as creating the link would: the slug rules, reserved words, codes differing only
    in case."""
    if not slug:
        return "empty", ""
    try:
        slug = check_custom_slug(slug)
    except ValueError as exc:
        return "invalid", str(exc)[:1].upper() + str(exc)[1:] + "."
    try:
        except_id = uuid.UUID(except_link) if except_link else None
    except ValueError:
        except_id = None
    if await repository.code_taken(session, slug, except_id=except_id):
        return "taken", f"{slug} is already in use."
    return "free", f"{slug} is available."


def _changed(session: AsyncSession, *codes: str) -> None:
    on_commit(session, lambda: invalidate_everywhere(codes))


def record_cache_changes(session: AsyncSession, *keys: str) -> None:
    """Log changed redirect-cache keys for the other processes' pollers (a custom domain's
    changes, from the domains service)."""
    session.add_all(LinkChange(code=key) for key in keys)


async def _claim_code(session: AsyncSession, link: Link, custom_slug: str | None) -> None:
    """Give the link its code; SLUG_TAKEN for a taken slug, retries for random codes."""
    if custom_slug is not None:
        taken = await repository.code_taken(
            session, custom_slug, except_id=link.id, domain_key=link.domain_key or ""
        )
        if taken:
            where = f" on {link.domain_key}" if link.domain_key else ""
            raise ApiError("SLUG_TAKEN", f"The slug {custom_slug!r} is already in use{where}.")
        link.code, link.code_lower, link.custom = custom_slug, custom_slug.lower(), True
        try:
            async with session.begin_nested():
                session.add(link)
                await session.flush()
        except IntegrityError as exc:  # a concurrent request took it first
            raise ApiError("SLUG_TAKEN", f"The slug {custom_slug!r} is already in use.") from exc
        return
    for _ in range(_CODE_ATTEMPTS):
        code = random_code()
        link.code, link.code_lower, link.custom = code, code.lower(), False
        try:
            async with session.begin_nested():
                session.add(link)
                await session.flush()
            return
        except IntegrityError:
            continue
    raise ApiError("INTERNAL_ERROR", "Could not allocate a unique short code.")


@dataclass
class CreatingMany:
    """What a batch of creates in one transaction reads once, under the plan-limits lock:
    the workspace's link count (kept up to date as links are made) and webhook endpoints."""

    links: int
    listeners: Listeners

    @classmethod
    async def begin(cls, session: AsyncSession, tenant: Tenant) -> CreatingMany:
        await hold_limits(session, tenant)
        return cls(
            await repository.count(session, tenant.workspace_id),
            await listeners(session, tenant.workspace_id),
        )


async def create_link(
    session: AsyncSession,
    tenant: Tenant,
    rules: LinkRules,
    body: LinkCreate,
    *,
    many: CreatingMany | None = None,
) -> Link:
    """A new link; emits link.created. Within a batch, `many` stands for the limits lock, the
    link count and the endpoint lookup of each single create."""
    if many is None:
        await hold_limits(session, tenant)
        tenant.ensure_within("links", await repository.count(session, tenant.workspace_id))
    else:
        tenant.ensure_within("links", many.links)
    link = Link(
        workspace_id=tenant.workspace_id,
        destination=rules.destination(body.url),
        labels=_labels(body.labels),
        routing_rules=_rules(tenant, rules, body.routing_rules),
        expires_at=_expiry(body.expires_at),
        password_hash=await _password(body.password),
        expired_url=(
            rules.destination(body.expired_url, "expired_url")
            if body.expired_url is not None
            else None
        ),
        utm=_utm(body.utm),
        preview=_preview(body.preview),
        enabled=True,
        scan_count=0,
    )
    place = await domain_for_link(
        session, tenant.workspace_id, body.domain, given="domain" in body.model_fields_set
    )
    link.domain_id, link.domain_key = place.domain_id, place.key
    slug = _slug(body.custom_slug) if body.custom_slug is not None else None
    await _claim_code(session, link, slug)
    await repository.set_labels(session, link, link.labels)
    await repository.log_change(session, cache_key(link))
    _changed(session, cache_key(link))
    await emit(
        session,
        tenant.workspace_id,
        "link.created",
        _payload(link, rules),
        known=many.listeners if many is not None else None,
    )
    if many is not None:
        many.links += 1
    return link


async def get_link(session: AsyncSession, tenant: Tenant, link_id: str) -> Link:
    try:
        parsed = uuid.UUID(link_id)
    except ValueError:
        raise not_found("Link") from None
    link = await repository.get(session, tenant.workspace_id, parsed)
    if link is None:
        raise not_found("Link")
    return link


async def get_links(
    session: AsyncSession, tenant: Tenant, link_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Link]:
    """The workspace's links among `link_ids`, by id (others' and deleted ones are absent)."""
    if not link_ids:
        return {}
    return {
        link.id: link for link in await repository.get_many(session, tenant.workspace_id, link_ids)
    }


async def list_links(
    session: AsyncSession,
    tenant: Tenant,
    *,
    label: str | None,
    search: str | None,
    limit: int,
    offset: int,
    enabled: bool | None = None,
    sort: str = "created",
    search_codes: bool = False,
    health: str | None = None,
) -> tuple[Sequence[Link], int]:
    """`sort`: created, scans or last_scan (each newest or most first); `health`: only links
    whose destination health is that (ok, broken, unknown)."""
    if health is not None and health not in HEALTH_STATES:
        raise validation_error("health", f"must be one of {', '.join(HEALTH_STATES)}")
    if sort not in repository.SORTS:
        raise validation_error("sort", f"must be one of {', '.join(repository.SORTS)}")
    return await repository.list_page(
        session,
        tenant.workspace_id,
        label=label,
        search=search,
        limit=limit,
        offset=offset,
        enabled=enabled,
        sort=sort,
        search_codes=search_codes,
        health=health,
    )


HEALTH_STATES = ("ok", "broken", "unknown")


async def claim_health_checks(
    session: AsyncSession, checked_before: datetime, now: datetime, limit: int
) -> list[tuple[uuid.UUID, list[str]]]:
    """Links due for a destination check, claimed for this worker, with their destinations."""
    from xqr.links.health import destinations_of

    claimed = await repository.claim_health_checks(session, checked_before, now, limit)
    return [(link_id, destinations_of(url, rules)) for link_id, url, rules in claimed]


async def record_health(
    session: AsyncSession,
    link_id: uuid.UUID,
    status: str,
    code: int | None,
    reason: str | None,
    checked_at: datetime,
    *,
    short_base: str,
) -> None:
    """Store a check's outcome; emit link.broken or link.recovered when the state changed."""
    found = await repository.set_health(session, link_id, status, code, reason, checked_at)
    if found is None:
        return
    link, previous = found
    if status == previous:
        return
    event = None
    if status == "broken":
        event = "link.broken"
    elif previous == "broken":
        event = "link.recovered"
    if event is not None:
        payload = link_view(link, short_base).model_dump(mode="json")
        await emit(session, link.workspace_id, event, payload)


async def labels_in_use(session: AsyncSession, tenant: Tenant) -> list[str]:
    return await repository.labels_in_use(session, tenant.workspace_id)


async def first_link(session: AsyncSession, tenant: Tenant, sort: str = "created") -> Link | None:
    """The workspace's newest link (or most scanned, or last scanned: `sort` as in
    `list_links`), without counting the others."""
    return await repository.first_in_order(session, tenant.workspace_id, sort)


async def link_ids_with_label(
    session: AsyncSession, tenant: Tenant, label: str, limit: int
) -> list[uuid.UUID]:
    """Ids of the workspace's links carrying `label` (at most `limit`)."""
    return await repository.ids_with_label(session, tenant.workspace_id, label, limit)


async def update_link(
    session: AsyncSession, tenant: Tenant, rules: LinkRules, link_id: str, body: LinkUpdate
) -> Link:
    """Change any field, the slug included; emits link.updated."""
    link = await get_link(session, tenant, link_id)
    given = body.model_fields_set
    old_key = cache_key(link)
    for field in ("url", "enabled"):
        if field in given and getattr(body, field) is None:
            raise validation_error(field, "may not be null")
    if "url" in given and body.url is not None:
        link.destination = rules.destination(body.url)
    if "enabled" in given and body.enabled is not None:
        link.enabled = body.enabled
    if "labels" in given:
        before = set(link.labels or [])
        link.labels = _labels(body.labels)
        await repository.set_labels(session, link, link.labels)
        await repository.mark_labels_changed(
            session, link.workspace_id, sorted(before ^ set(link.labels))
        )
    if "routing_rules" in given:
        link.routing_rules = _rules(tenant, rules, body.routing_rules)
    if "expires_at" in given:
        link.expires_at = _expiry(body.expires_at)
    if "password" in given:
        link.password_hash = await _password(body.password)
    if "expired_url" in given:
        link.expired_url = (
            rules.destination(body.expired_url, "expired_url")
            if body.expired_url is not None
            else None
        )
    if "utm" in given:
        link.utm = _utm(body.utm)
    if "preview" in given:
        link.preview = _preview(body.preview)
    if "url" in given or "routing_rules" in given:
        # New destinations have not been checked yet.
        link.health_status, link.health_code, link.health_reason = "unknown", None, None
        link.health_checked_at = None
    moved = False
    if "domain" in given:
        place = await domain_for_link(session, tenant.workspace_id, body.domain, given=True)
        moved = place.key != (link.domain_key or "")
        link.domain_id, link.domain_key = place.domain_id, place.key
    if "custom_slug" in given:
        if body.custom_slug is None:
            raise validation_error("custom_slug", "may not be null")
        slug = _slug(body.custom_slug)
        if slug != link.code or moved:
            await _claim_code(session, link, slug)
    elif moved:
        custom = link.custom
        await _claim_code(session, link, link.code)
        link.custom = custom
    link.updated_at = utcnow()
    await session.flush()
    codes = {old_key, cache_key(link)}
    await repository.log_change(session, *codes)
    _changed(session, *codes)
    await emit(session, tenant.workspace_id, "link.updated", _payload(link, rules))
    return link


async def delete_link(
    session: AsyncSession, tenant: Tenant, rules: LinkRules, link_id: str
) -> None:
    """Delete; the code stops resolving at once. Emits link.deleted."""
    link = await get_link(session, tenant, link_id)
    view = _payload(link, rules)
    await repository.mark_labels_changed(session, link.workspace_id, sorted(set(link.labels or [])))
    await session.delete(link)
    await session.flush()
    await repository.log_change(session, cache_key(link))
    _changed(session, cache_key(link))
    await emit(session, tenant.workspace_id, "link.deleted", view)


BULK_FIELDS = frozenset({"url", "custom_slug", "labels"})
IMPORT_FIELDS = frozenset(LinkCreate.model_fields)


def parse_item(raw: Any, allowed: frozenset[str] = BULK_FIELDS) -> LinkCreate:
    """One bulk or import item, validated alone."""
    if not isinstance(raw, dict):
        raise validation_error("link", "must be an object")
    # Before the unknown-field check, which names the field: a name must be storable text.
    if found := find_unstorable(raw):
        at, reason = found
        raise validation_failed([{"loc": at or ("link",), "msg": reason}])
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise validation_error(unknown[0], "Unknown field.")
    try:
        return LinkCreate.model_validate(raw)
    except ValidationError as exc:
        raise validation_failed([dict(e) for e in exc.errors()]) from exc


def parse_update(raw: dict[str, Any]) -> LinkUpdate:
    """A change of a link from plain values (the dashboard's form), validated as the API's."""
    try:
        return LinkUpdate.model_validate(raw)
    except ValidationError as exc:
        raise validation_failed([dict(e) for e in exc.errors()]) from exc


def preview_rules(tenant: Tenant, rules: LinkRules, raw: list[Any]) -> list[Rule]:
    """Routing rules not saved yet, validated as a save would and in evaluation order, to see
    where visitors would go."""
    checked = _rules(tenant, rules, parse_update({"routing_rules": raw}).routing_rules)
    return parse_rules(checked)


async def create_many(
    session: AsyncSession,
    tenant: Tenant,
    rules: LinkRules,
    items: Sequence[Any],
    *,
    allowed: frozenset[str] = BULK_FIELDS,
) -> tuple[list[Link], list[dict[str, Any]], list[dict[str, Any]]]:
    """Create each valid item in its own savepoint: (created, errors, per-item results)."""
    created: list[Link] = []
    errors: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    many = await CreatingMany.begin(session, tenant)
    for index, raw in enumerate(items):
        try:
            async with session.begin_nested():
                link = await create_link(
                    session, tenant, rules, parse_item(raw, allowed), many=many
                )
        except ApiError as exc:
            error = {"index": index, "code": exc.code, "message": exc.message}
            errors.append(error)
            results.append({**error, "status": "failed"})
            continue
        created.append(link)
        results.append(
            {"index": index, "status": "created", "link_id": str(link.id), "short_code": link.code}
        )
    return created, errors, results


async def bulk_create(
    session: AsyncSession, tenant: Tenant, rules: LinkRules, items: list[Any]
) -> tuple[LinkBatch, list[Link], list[dict[str, Any]]]:
    """Create each valid item; the others are reported by index. The batch is stored."""
    if not items:
        raise validation_error("links", "must contain at least one link")
    if len(items) > MAX_BULK:
        raise validation_error("links", f"at most {MAX_BULK} links per request")
    created, errors, results = await create_many(session, tenant, rules, items)
    batch = LinkBatch(
        workspace_id=tenant.workspace_id,
        status="completed",
        total=len(items),
        succeeded=len(created),
        failed=len(errors),
        results=results,
    )
    session.add(batch)
    await session.flush()
    return batch, created, errors


async def advance_batch(
    session: AsyncSession,
    batch_id: uuid.UUID,
    *,
    succeeded: int,
    failed: int,
    results: list[dict[str, Any]],
    done: bool,
) -> None:
    """Count a processed part of a batch (an import's chunk), in the caller's transaction."""
    batch = await session.get(LinkBatch, batch_id)
    if batch is None:
        return
    batch.succeeded += succeeded
    batch.failed += failed
    batch.results = [*batch.results, *results]
    batch.updated_at = utcnow()
    if done:
        batch.status = "completed"
    await session.flush()


async def all_links(session: AsyncSession, tenant: Tenant) -> Sequence[Link]:
    return await repository.iterate(session, tenant.workspace_id)


async def all_link_records(session: AsyncSession, tenant: Tenant) -> Sequence[Any]:
    """Every link's id, code, domain_key, destination, labels, enabled and created_at, oldest
    first."""
    return await repository.iterate_records(session, tenant.workspace_id)


def batch_view(batch: LinkBatch) -> BatchOut:
    done = batch.succeeded + batch.failed
    return BatchOut(
        id=batch.id,
        status=batch.status,
        total=batch.total,
        succeeded=batch.succeeded,
        failed=batch.failed,
        progress=100 if batch.total == 0 else round(100 * done / batch.total),
        results=[BatchItemOut.model_validate(item) for item in batch.results],
        created_at=batch.created_at,
    )


async def get_batch(session: AsyncSession, tenant: Tenant, batch_id: str) -> LinkBatch:
    try:
        parsed = uuid.UUID(batch_id)
    except ValueError:
        raise not_found("Batch") from None
    batch = await repository.get_batch(session, tenant.workspace_id, parsed)
    if batch is None:
        raise not_found("Batch")
    return batch


class LinkScan(Protocol):
    """One counted scan of a link, as the scan writer hands it over."""

    @property
    def target_id(self) -> uuid.UUID: ...

    @property
    def occurred_at(self) -> datetime: ...

    def webhook_details(self) -> dict[str, Any]: ...


_occurred_at = operator.attrgetter("occurred_at")


async def record_scans(session: AsyncSession, per_link: Sequence[Sequence[LinkScan]]) -> None:
    """Add scans to the links' counters; emit link.scanned and link.threshold.

    `per_link` holds the scans of one link in each (non-empty) sequence, so counting costs
    a step per link rather than a lookup per scan; a link may have more than one sequence.
    """
    counts: dict[uuid.UUID, tuple[int, datetime]] = {}
    for link_scans in per_link:
        link_id = link_scans[0].target_id
        latest: datetime = max(map(_occurred_at, link_scans))
        if link_id in counts:
            n, earlier = counts[link_id]
            counts[link_id] = (n + len(link_scans), max(earlier, latest))
        else:
            counts[link_id] = (len(link_scans), latest)
    if not counts:
        return
    after = await repository.add_scans(session, counts)
    listening = await listening_workspaces(
        session,
        {workspace for _, _, workspace in after.values()},
        ("link.scanned", "link.threshold"),
    )
    if not listening:
        return
    for link_scans in per_link:
        link_id = link_scans[0].target_id
        if link_id not in after:
            continue
        _, code, workspace_id = after[link_id]
        if workspace_id not in listening:
            continue
        for scan in link_scans:
            data = {"link_id": str(link_id), "short_code": code, **scan.webhook_details()}
            await emit(session, workspace_id, "link.scanned", data)
    for link_id, (count, code, workspace_id) in after.items():
        if workspace_id not in listening:
            continue
        before = count - counts[link_id][0]
        for threshold in SCAN_THRESHOLDS:
            if before < threshold <= count:
                data = {
                    "link_id": str(link_id),
                    "short_code": code,
                    "threshold": threshold,
                    "scan_count": count,
                }
                await emit(session, workspace_id, "link.threshold", data)


def short_url(code: str, short_base: str) -> str:
    """The short URL of a code (what link objects show and link QR codes encode)."""
    return f"{short_base}/{code}"


def code_changes() -> tuple[Table, Column[str]]:
    """The log of changed codes and its key column, which every process polls to drop those
    codes from its redirect cache (`xqr.redirect.runtime`)."""
    changes: Table = LinkChange.__table__  # type: ignore[assignment]
    return changes, changes.c.code


# --- label rollups (kept by `xqr.scans`) -------------------------------------------------------


async def labels_of_links(
    session: AsyncSession, link_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Each given link's labels (links without any are left out)."""
    found: dict[uuid.UUID, list[str]] = {}
    for start in range(0, len(link_ids), 500):
        for link_id, label in await repository.labels_of(session, link_ids[start : start + 500]):
            found.setdefault(link_id, []).append(label)
    return found


async def changed_labels(session: AsyncSession, limit: int) -> list[tuple[uuid.UUID, str, int]]:
    """(workspace, label, version) of labels whose links changed since their scan rollups
    were built (at most `limit`)."""
    return await repository.changed_labels(session, limit)


async def labels_changed(
    session: AsyncSession, workspace_id: uuid.UUID, labels: Sequence[str]
) -> None:
    """List labels for a rebuild of their scan rollups (their links' rollups were written
    some other way than by the scan writer: a bulk load)."""
    await repository.mark_labels_changed(session, workspace_id, labels)


async def label_change(session: AsyncSession, workspace_id: uuid.UUID, label: str) -> int | None:
    """The version of the change the label's scan rollups wait for (None: they are up to
    date)."""
    return await repository.label_change(session, workspace_id, label)


async def label_rebuilt(
    session: AsyncSession, workspace_id: uuid.UUID, label: str, version: int
) -> None:
    """The label's rollups were rebuilt after change `version` (a newer one stays listed)."""
    await repository.forget_label_change(session, workspace_id, label, version)


def label_link_ids(workspace_id: uuid.UUID, label: str) -> Select[uuid.UUID]:
    """A query of the ids of the workspace's links carrying `label` (for a subquery)."""
    return repository.label_link_ids(workspace_id, label)
