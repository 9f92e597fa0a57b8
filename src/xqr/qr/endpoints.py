"""`/v1/qr`: generate, templates CRUD, render a template; and `/v1/links/{link_id}/qr`."""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response, StreamingResponse

from xqr.context import Ctx, DbSession, ReadSession
from xqr.core.envelope import Envelope, ListEnvelope, no_content
from xqr.core.pagination import Pagination
from xqr.links.service import cache_key, get_link, link_base
from xqr.qr import bulk, service
from xqr.qr.auth import QrRead, QrRender, QrWrite
from xqr.qr.images import ImageMemo, LinkImage, image_response
from xqr.qr.rendering import (
    PreparedImage,
    QrRenderer,
    RenderSpec,
    body_fields,
    template_fields,
)
from xqr.qr.schemas import (
    DPI,
    FORMAT,
    FRAME,
    QUIET_ZONE,
    SIZE,
    WIDTH_MM,
    BulkRequest,
    CheckReport,
    CheckRequest,
    Format,
    GenerateRequest,
    TemplateCreate,
    TemplateOut,
    TemplateRenderRequest,
    TemplateUpdate,
)

router = APIRouter(prefix="/qr", tags=["QR Codes"])
links_router = APIRouter(prefix="/links", tags=["Links"])

IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The QR code image, with `ETag` and `Cache-Control` headers.",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in ("image/svg+xml", "image/png", "application/pdf")
        },
    },
    304: {"description": "Not Modified: `If-None-Match` names the current `ETag`; no body."},
}
_BARE_HEX = re.compile(r"(?:[0-9a-fA-F]{3}){1,2}")


async def _image(
    request: Request, session: AsyncSession, renderer: QrRenderer, prepared: PreparedImage
) -> Response:
    """The image, or 304 when the client already holds it.

    The request has read all it needs: its connection goes back to the pool first, so renders
    waiting their turn hold none.
    """
    await session.close()
    return await image_response(request.headers.get("if-none-match"), renderer, prepared)


@router.post(
    "/generate",
    summary="Generate QR code",
    response_class=Response,
    responses=IMAGE_RESPONSES,
)
async def generate(
    request: Request, body: GenerateRequest, principal: QrRender, session: ReadSession, ctx: Ctx
) -> Response:
    """Render `content` as an SVG (default), PNG or PDF image.

    Scope: `qr:render`. Beyond the reference, `dot_style`, `corner_style`, `eye_color`,
    `gradient`, `frame`, `quiet_zone`, `logo_url` and `logo_size` style the code, and
    `width_mm`/`dpi` give it a printed size. A design that does not decode once degraded the
    way a phone camera sees it is refused (`VALIDATION_ERROR` on `design`, with the reason; see
    `POST /qr/check`). Answers `304` to an `If-None-Match` naming the current `ETag`.
    """
    values = body.model_dump(include=set(service.ENGINE_FIELDS))
    design = service.engine_design(values, body_fields)
    spec = RenderSpec(
        body.content, design, body.size, body.format, body.logo_url, body.width_mm, body.dpi
    )
    renderer = QrRenderer.of(ctx)
    prepared = await renderer.prepare(session, principal.workspace_id, spec, body_fields)
    response = await _image(request, session, renderer, prepared)
    if spec.logo_url is None:  # depends on the request alone: the same bytes answer it again
        await ImageMemo.of(ctx).remember(request, principal.workspace_id, prepared)
    return response


@router.post("/templates", summary="Create template", status_code=201)
async def create_template(
    request: Request, body: TemplateCreate, principal: QrWrite, session: DbSession, ctx: Ctx
) -> Envelope[TemplateOut]:
    """Save a named design. Scope: `qr:write`.

    Design keys left out take their defaults; unknown keys, unreadable colours, low contrast
    and unusable logos are `VALIDATION_ERROR`s naming the `design.` field.
    """
    template = await service.create_template(
        session,
        principal.tenant,
        QrRenderer.of(ctx).logos,
        name=body.name,
        description=body.description,
        design=body.design.model_dump(exclude_unset=True) if body.design else None,
    )
    await session.commit()
    return Envelope[TemplateOut].of(request, service.template_view(template))


@router.get("/templates", summary="List templates")
async def list_templates(
    request: Request, principal: QrRead, session: ReadSession, pagination: Pagination
) -> ListEnvelope[TemplateOut]:
    """Templates of the workspace, newest first. Scope: `qr:read`."""
    templates, total = await service.list_templates(
        session, principal.tenant, limit=pagination.limit, offset=pagination.offset
    )
    return ListEnvelope[TemplateOut].of(
        request,
        [service.template_view(t) for t in templates],
        total=total,
        limit=pagination.limit,
        offset=pagination.offset,
    )


@router.get("/templates/{template_id}", summary="Get template")
async def get_template(
    request: Request, template_id: str, principal: QrRead, session: ReadSession
) -> Envelope[TemplateOut]:
    """One template. Scope: `qr:read`."""
    template = await service.get_template(session, principal.tenant, template_id)
    return Envelope[TemplateOut].of(request, service.template_view(template))


@router.patch("/templates/{template_id}", summary="Update template")
async def update_template(
    request: Request,
    template_id: str,
    body: TemplateUpdate,
    principal: QrWrite,
    session: DbSession,
    ctx: Ctx,
) -> Envelope[TemplateOut]:
    """Change `name`, `description` or design keys. Scope: `qr:write`.

    A merge patch: only the fields sent change, design keys merge into the stored design
    (null returns a key to its default).
    """
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if body.design is not None:
        changes["design"] = body.design.model_dump(exclude_unset=True)
    template = await service.update_template(
        session, principal.tenant, QrRenderer.of(ctx).logos, template_id, changes
    )
    await session.commit()
    return Envelope[TemplateOut].of(request, service.template_view(template))


@router.delete("/templates/{template_id}", summary="Delete template", status_code=204)
async def delete_template(template_id: str, principal: QrWrite, session: DbSession) -> Response:
    """Delete a template. Scope: `qr:write`."""
    await service.delete_template(session, principal.tenant, template_id)
    await session.commit()
    return no_content()


@router.post(
    "/templates/{template_id}/render",
    summary="Render template",
    response_class=Response,
    responses=IMAGE_RESPONSES,
)
async def render_template(
    request: Request,
    template_id: str,
    body: TemplateRenderRequest,
    principal: QrRender,
    session: ReadSession,
    ctx: Ctx,
) -> Response:
    """Render `content` with the template's design. Scope: `qr:render`.

    `format` (`svg` default, or `png`) is an xQR extra. Answers `304` to a matching
    `If-None-Match`.
    """
    template = await service.get_template(session, principal.tenant, template_id)
    spec = service.template_spec(
        template, body.content, body.size, body.format, body.width_mm, body.dpi
    )
    renderer = QrRenderer.of(ctx)
    prepared = await renderer.prepare(session, principal.workspace_id, spec, template_fields)
    return await _image(request, session, renderer, prepared)


def _query_colour(value: str | None) -> str | None:
    """Query colours may leave out the `#` (which would need escaping as `%23`)."""
    if value is not None and _BARE_HEX.fullmatch(value):
        return f"#{value}"
    return value


@links_router.get(
    "/{link_id}/qr",
    summary="Get link QR code",
    response_class=Response,
    responses=IMAGE_RESPONSES,
)
async def link_qr(
    request: Request,
    link_id: str,
    principal: QrRender,
    session: ReadSession,
    ctx: Ctx,
    size: Annotated[int, Query(ge=1, le=50, description=SIZE)] = 10,
    format: Annotated[Format, Query(description=FORMAT)] = "svg",
    foreground: Annotated[
        str | None, Query(description="Hex colour, `#` optional; overrides the template's.")
    ] = None,
    background: Annotated[
        str | None, Query(description="Hex colour, `#` optional; overrides the template's.")
    ] = None,
    template_id: Annotated[
        str | None, Query(description="Design the code with this template (xQR extra).")
    ] = None,
    frame: Annotated[str | None, Query(description=f"Frame style. {FRAME}")] = None,
    frame_text: Annotated[
        str | None, Query(max_length=200, description="Call to action in the frame.")
    ] = None,
    quiet_zone: Annotated[int | None, Query(description=QUIET_ZONE)] = None,
    width_mm: Annotated[float | None, Query(description=WIDTH_MM)] = None,
    dpi: Annotated[int | None, Query(description=DPI)] = None,
) -> Response:
    """The link's QR code, encoding its short URL plus `?qr=1` so scans count as source `qr`.

    Scope: `qr:render`. With `template_id` the template's design is used; `foreground` and
    `background` given in the query override its colours; `frame` and `frame_text` put a
    frame with a call to action around it (other frame fields come from the template).
    """
    overrides: dict[str, Any] = {"quiet_zone": quiet_zone}
    if frame is not None or frame_text is not None:
        overrides["frame"] = {"style": frame or "box", "text": frame_text}
    link = await get_link(session, principal.tenant, link_id)
    content = service.link_qr_content(link.code, link_base(link, ctx.settings.short_base))
    spec = await service.link_qr_spec(
        session,
        principal.tenant,
        content,
        size=size,
        fmt=format,
        foreground=_query_colour(foreground),
        background=_query_colour(background),
        template_id=template_id,
        overrides=overrides,
        width_mm=width_mm,
        dpi=dpi,
    )
    renderer = QrRenderer.of(ctx)
    prepared = await renderer.prepare(session, principal.workspace_id, spec, service.link_qr_fields)
    response = await _image(request, session, renderer, prepared)
    if template_id is None:  # depends on the request and the link's code alone
        encoded = LinkImage(cache_key(link), link.id)
        await ImageMemo.of(ctx).remember(request, principal.workspace_id, prepared, encoded)
    return response


@router.post("/check", summary="Check scannability")
async def check_qr(
    request: Request, body: CheckRequest, principal: QrRender, session: ReadSession, ctx: Ctx
) -> Envelope[CheckReport]:
    """Will this design scan? The body of `POST /qr/generate` plus `scan_distance_cm`.

    Scope: `qr:render`. The code is rendered, degraded the way a phone camera sees a print and
    decoded with zxing-cpp (`decodes`; `decodes_clean` without the degradation), and reported
    on: contrast, quiet zone, error correction, logo coverage, version, the smallest print for
    the distance, and plain-sentence `warnings`. Low contrast is reported, not refused.
    """
    values = body.model_dump(include=set(service.ENGINE_FIELDS) | {"logo_url"})
    report = await service.scan_check(
        session,
        principal.tenant,
        QrRenderer.of(ctx),
        body.content,
        values,
        scan_distance_cm=body.scan_distance_cm,
        fields=body_fields,
    )
    return Envelope[CheckReport].of(request, CheckReport(**dataclasses.asdict(report)))


@router.post(
    "/bulk",
    summary="Bulk QR codes as a ZIP",
    response_class=Response,
    responses={200: {"content": {"application/zip": {"schema": {"type": "string"}}}}},
)
async def bulk_qr(
    request: Request, body: BulkRequest, principal: QrRender, session: ReadSession, ctx: Ctx
) -> Response:
    """Up to 500 QR codes (the plan decides) as a ZIP streamed while it is built.

    Scope: `qr:render`. Each item is a `link_id` (its code encodes the short URL with `qr=1`)
    or a `content` with a `file_name`; `template_id` designs them all. The ZIP holds the images
    and `manifest.csv` (`file_name`, `content`, `short_url`, `error`).
    """
    renderer = QrRenderer.of(ctx)
    entries = await bulk.plan_entries(
        session,
        principal.tenant,
        renderer,
        ctx.settings.short_base,
        body.items,
        template_id=body.template_id,
        size=body.size,
        fmt=body.format,
        width_mm=body.width_mm,
        dpi=body.dpi,
    )
    await session.close()
    first = await bulk.first_image(renderer, entries)
    return StreamingResponse(
        bulk.zip_stream(renderer, entries, first),
        media_type="application/zip",
        headers={"content-disposition": 'attachment; filename="qr-codes.zip"'},
    )
