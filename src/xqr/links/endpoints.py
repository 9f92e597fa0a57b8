"""`/v1/links`: create, list, get, update, delete, bulk create, bulk status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from xqr.context import Ctx, DbSession
from xqr.core.envelope import Envelope, ListEnvelope, no_content
from xqr.core.openapi import error_responses
from xqr.core.pagination import Pagination
from xqr.links import service
from xqr.links.auth import LinksRead, LinksWrite
from xqr.links.schemas import (
    BatchOut,
    BulkCreate,
    BulkError,
    BulkOut,
    LinkCreate,
    LinkOut,
    LinkUpdate,
)

router = APIRouter(prefix="/links", tags=["Links"])


@router.post("", summary="Create link", status_code=201, responses=error_responses(409))
async def create_link(
    request: Request, body: LinkCreate, principal: LinksWrite, session: DbSession, ctx: Ctx
) -> Envelope[LinkOut]:
    """Create a short link, optionally with a custom slug, labels, routing rules and expiry.

    Scope: `links:write`. Routing rules need a plan that includes them (not Free).
    """
    rules = service.LinkRules.from_settings(ctx.settings)
    link = await service.create_link(session, principal.tenant, rules, body)
    await session.commit()
    return Envelope[LinkOut].of(request, service.link_view(link, rules.short_base))


@router.get("", summary="List links")
async def list_links(
    request: Request,
    principal: LinksRead,
    session: DbSession,
    ctx: Ctx,
    pagination: Pagination,
    label: Annotated[str | None, Query(description="Only links with this label.")] = None,
    search: Annotated[
        str | None, Query(max_length=2048, description="Substring of the destination URL.")
    ] = None,
    health: Annotated[
        str | None,
        Query(description="Only links whose destination health is `ok`, `broken` or `unknown`."),
    ] = None,
) -> ListEnvelope[LinkOut]:
    """Links of the workspace, newest first; `health=broken` lists the links whose
    destination failed its last check. Scope: `links:read`."""
    links, total = await service.list_links(
        session,
        principal.tenant,
        label=label,
        search=search,
        health=health,
        limit=pagination.limit,
        offset=pagination.offset,
    )
    base = ctx.settings.short_base
    return ListEnvelope[LinkOut].of(
        request,
        [service.link_view(link, base) for link in links],
        total=total,
        limit=pagination.limit,
        offset=pagination.offset,
    )


@router.post("/bulk", summary="Bulk create links", status_code=201)
async def bulk_create(
    request: Request, body: BulkCreate, principal: LinksWrite, session: DbSession, ctx: Ctx
) -> Envelope[BulkOut]:
    """Create up to 100 links; each item is validated alone and the valid ones are created.

    Scope: `links:write`. `data.errors` lists `{index, code, message}` for the items refused.
    """
    rules = service.LinkRules.from_settings(ctx.settings)
    batch, created, errors = await service.bulk_create(session, principal.tenant, rules, body.links)
    await session.commit()
    return Envelope[BulkOut].of(
        request,
        BulkOut(
            batch_id=batch.id,
            created=[service.link_view(link, rules.short_base) for link in created],
            errors=[BulkError(**error) for error in errors],
        ),
    )


@router.get("/bulk/{batch_id}", summary="Bulk status")
async def bulk_status(
    request: Request, batch_id: str, principal: LinksRead, session: DbSession
) -> Envelope[BatchOut]:
    """Status, progress and per-item results of a bulk create. Scope: `links:read`."""
    batch = await service.get_batch(session, principal.tenant, batch_id)
    return Envelope[BatchOut].of(request, service.batch_view(batch))


@router.get("/{link_id}", summary="Get link")
async def get_link(
    request: Request, link_id: str, principal: LinksRead, session: DbSession, ctx: Ctx
) -> Envelope[LinkOut]:
    """One link. Scope: `links:read`."""
    link = await service.get_link(session, principal.tenant, link_id)
    return Envelope[LinkOut].of(request, service.link_view(link, ctx.settings.short_base))


@router.patch("/{link_id}", summary="Update link", responses=error_responses(409))
async def update_link(
    request: Request,
    link_id: str,
    body: LinkUpdate,
    principal: LinksWrite,
    session: DbSession,
    ctx: Ctx,
) -> Envelope[LinkOut]:
    """Change any of `url`, `custom_slug`, `labels`, `routing_rules`, `enabled`, `expires_at`,
    `password`, `expired_url`, `utm`, `preview`.

    Scope: `links:write`. Changes apply to redirects at once; a new slug frees the old one.
    """
    rules = service.LinkRules.from_settings(ctx.settings)
    link = await service.update_link(session, principal.tenant, rules, link_id, body)
    await session.commit()
    return Envelope[LinkOut].of(request, service.link_view(link, rules.short_base))


@router.delete("/{link_id}", summary="Delete link", status_code=204)
async def delete_link(
    link_id: str, principal: LinksWrite, session: DbSession, ctx: Ctx
) -> Response:
    """Delete a link; its code stops redirecting at once. Scope: `links:write`."""
    rules = service.LinkRules.from_settings(ctx.settings)
    await service.delete_link(session, principal.tenant, rules, link_id)
    await session.commit()
    return no_content()
