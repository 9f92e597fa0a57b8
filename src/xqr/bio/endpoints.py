"""`/v1/bio`: bio pages (CRUD, publish, unpublish, stats), the theme list and the icon list."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from xqr.bio import service
from xqr.bio.auth import AnalyticsRead, BioRead, BioWrite
from xqr.bio.schemas import (
    BioPageCreate,
    BioPageOut,
    BioPageUpdate,
    BioStatsOut,
    IconOut,
    ThemeOut,
)
from xqr.context import Ctx, DbSession
from xqr.core.envelope import Envelope, ListEnvelope, no_content
from xqr.core.openapi import error_responses
from xqr.core.pagination import Pagination

router = APIRouter(prefix="/bio", tags=["Bio pages"])


@router.post("/pages", summary="Create page", status_code=201, responses=error_responses(409))
async def create_page(
    request: Request, body: BioPageCreate, principal: BioWrite, session: DbSession, ctx: Ctx
) -> Envelope[BioPageOut]:
    """Create a draft bio page; it is public only once published.

    Scope: `bio:write`. Without `slug`, one is made from the title (`-2`, `-3`, … when taken).
    """
    rules = service.BioRules.from_settings(ctx.settings)
    created = await service.create_page(session, principal.tenant, body)
    await session.commit()
    return Envelope[BioPageOut].of(request, service.page_view(created, rules))


@router.get("/pages", summary="List pages")
async def list_pages(
    request: Request, principal: BioRead, session: DbSession, ctx: Ctx, pagination: Pagination
) -> ListEnvelope[BioPageOut]:
    """Bio pages of the workspace, newest first. Scope: `bio:read`."""
    rules = service.BioRules.from_settings(ctx.settings)
    pages, total = await service.list_pages(
        session, principal.tenant, limit=pagination.limit, offset=pagination.offset
    )
    return ListEnvelope[BioPageOut].of(
        request,
        [service.page_view(p, rules) for p in pages],
        total=total,
        limit=pagination.limit,
        offset=pagination.offset,
    )


@router.get("/themes", summary="List themes")
async def list_themes(request: Request, principal: BioRead) -> ListEnvelope[ThemeOut]:
    """The theme presets a page's `theme` may name. Scope: `bio:read`."""
    themes = service.list_themes()
    return ListEnvelope[ThemeOut].of(
        request, themes, total=len(themes), limit=len(themes), offset=0
    )


@router.get("/icons", summary="List link icons")
async def list_icons(request: Request, principal: BioRead) -> ListEnvelope[IconOut]:
    """The icons a link's `icon` may name. Scope: `bio:read`."""
    icons = service.list_icons()
    return ListEnvelope[IconOut].of(request, icons, total=len(icons), limit=len(icons), offset=0)


@router.get("/pages/{page_id}", summary="Get page")
async def get_page(
    request: Request, page_id: str, principal: BioRead, session: DbSession, ctx: Ctx
) -> Envelope[BioPageOut]:
    """One bio page. Scope: `bio:read`."""
    found = await service.get_page(session, principal.tenant, page_id)
    rules = service.BioRules.from_settings(ctx.settings)
    return Envelope[BioPageOut].of(request, service.page_view(found, rules))


@router.patch("/pages/{page_id}", summary="Update page", responses=error_responses(409))
async def update_page(
    request: Request,
    page_id: str,
    body: BioPageUpdate,
    principal: BioWrite,
    session: DbSession,
    ctx: Ctx,
) -> Envelope[BioPageOut]:
    """Change any of `title`, `slug`, `bio`, `avatar_url`, `theme`, `links`.

    Scope: `bio:write`. `links` replaces the whole list; send back a link's `id` to keep it and
    its click history. A published page shows changes at once.
    """
    updated = await service.update_page(session, principal.tenant, page_id, body)
    await session.commit()
    rules = service.BioRules.from_settings(ctx.settings)
    return Envelope[BioPageOut].of(request, service.page_view(updated, rules))


@router.delete("/pages/{page_id}", summary="Delete page", status_code=204)
async def delete_page(page_id: str, principal: BioWrite, session: DbSession, ctx: Ctx) -> Response:
    """Delete a page; its URL answers 404 at once and its slug is free again. Scope: `bio:write`."""
    rules = service.BioRules.from_settings(ctx.settings)
    await service.delete_page(session, principal.tenant, rules, page_id)
    await session.commit()
    return no_content()


@router.post("/pages/{page_id}/publish", summary="Publish page")
async def publish_page(
    request: Request, page_id: str, principal: BioWrite, session: DbSession, ctx: Ctx
) -> Envelope[BioPageOut]:
    """Make the page public at its `public_url`; emits `bio.published`. Scope: `bio:write`."""
    rules = service.BioRules.from_settings(ctx.settings)
    published = await service.publish(session, principal.tenant, rules, page_id)
    await session.commit()
    return Envelope[BioPageOut].of(request, service.page_view(published, rules))


@router.post("/pages/{page_id}/unpublish", summary="Unpublish page")
async def unpublish_page(
    request: Request, page_id: str, principal: BioWrite, session: DbSession, ctx: Ctx
) -> Envelope[BioPageOut]:
    """Take the page down (back to draft); emits `bio.unpublished`. Scope: `bio:write`."""
    rules = service.BioRules.from_settings(ctx.settings)
    draft = await service.unpublish(session, principal.tenant, rules, page_id)
    await session.commit()
    return Envelope[BioPageOut].of(request, service.page_view(draft, rules))


@router.get("/pages/{page_id}/stats", summary="Page stats")
async def page_stats(
    request: Request,
    page_id: str,
    principal: AnalyticsRead,
    session: DbSession,
    period: Annotated[
        Literal["7d", "30d", "90d", "all"],
        Query(description="7d, 30d, 90d: that many calendar days ending today, today included."),
    ] = "30d",
    timezone: Annotated[
        str, Query(max_length=64, description="IANA time zone for day boundaries.")
    ] = "UTC",
) -> Envelope[BioStatsOut]:
    """Views, unique visitors, clicks and click-through rate per link, and a daily series.

    Scope: `analytics:read`. `ctr` is clicks ÷ views in percent, 2 decimals.
    """
    found = await service.get_page(session, principal.tenant, page_id)
    stats = await service.page_stats(session, found, period=period, timezone=timezone)
    return Envelope[BioStatsOut].of(request, stats)
