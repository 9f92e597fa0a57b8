"""QR codes: templates, the designer with a live, decode-checked preview, and a quick QR for
any text. Every image is drawn by the API's renderer."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import Response

from xqr.assets import service as assets
from xqr.context import DbSession, ReadSession
from xqr.core.errors import ApiError
from xqr.dashboard.session import Me, SignedIn
from xqr.dashboard.web import (
    PREFIX,
    checked_form,
    ctx_of,
    field_errors,
    flash,
    redirect,
    render,
    text,
)
from xqr.qr import service as qr
from xqr.qr.images import image_response
from xqr.qr.logos import LogoResolver
from xqr.qr.render import CORNER_STYLES, DOT_STYLES, ERROR_CORRECTIONS
from xqr.qr.rendering import QrRenderer, RenderSpec, body_fields, template_fields

router = APIRouter(prefix="/qr")
PAGE = f"{PREFIX}/qr"
PER_PAGE = 50
QUICK_CONTENT_MAX = 2000
CANNOT_DRAW = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200">'
    '<rect width="200" height="200" fill="#f3f4f6"/>'
    '<text x="100" y="96" font-family="sans-serif" font-size="13" text-anchor="middle" '
    'fill="#56606b">This design</text>'
    '<text x="100" y="114" font-family="sans-serif" font-size="13" text-anchor="middle" '
    'fill="#56606b">cannot be drawn</text></svg>'
)
EC_LABELS = {"L": "L — 7% can be lost", "M": "M — 15%", "Q": "Q — 25%", "H": "H — 30%"}


@dataclass(frozen=True)
class DesignForm:
    """A template's design as the designer's controls hold it."""

    foreground: str = "#000000"
    background: str = "#ffffff"
    error_correction: str = "M"
    dot_style: str = "square"
    corner_style: str = "square"
    logo_url: str = ""

    @classmethod
    def of(cls, values: FormData | QueryParams) -> DesignForm:
        def value(name: str, default: str, limit: int = 2048) -> str:
            raw = values.get(name)
            return raw.strip()[:limit] if isinstance(raw, str) and raw.strip() else default

        return cls(
            foreground=value("foreground", "#000000", 20),
            background=value("background", "#ffffff", 20),
            error_correction=value("error_correction", "M", 4),
            dot_style=value("dot_style", "square", 40),
            corner_style=value("corner_style", "square", 40),
            logo_url=value("logo_url", ""),
        )

    @classmethod
    def of_template(cls, design: Any) -> DesignForm:
        return cls(
            foreground=design.foreground,
            background=design.background,
            error_correction=design.error_correction,
            dot_style=design.dot_style,
            corner_style=design.corner_style,
            logo_url=design.logo_url or "",
        )

    def api(self) -> dict[str, Any]:
        values: dict[str, Any] = asdict(self)
        values["logo_url"] = self.logo_url or None
        return values

    def query(self) -> str:
        return urlencode({k: v for k, v in asdict(self).items() if v})


def sample_content(request: Request) -> str:
    """What the designer's preview encodes: a short link of this server."""
    return f"{ctx_of(request).settings.short_base}/example"


async def _logo_choices(
    request: Request, session: ReadSession | DbSession, me: Me
) -> list[tuple[str, str]]:
    """Published images of the workspace, offered as logos."""
    storage = assets.storage_of(ctx_of(request))
    rows, _ = await assets.list_assets(
        session, me.workspace_id, status="published", limit=200, offset=0
    )
    views = [assets.view(row, storage) for row in rows]
    return [
        (str(view.public_url), view.filename)
        for view in views
        if view.content_type.startswith("image/") and view.public_url
    ]


def _renderer(request: Request) -> QrRenderer:
    return QrRenderer.of(ctx_of(request))


@router.get("")
async def qr_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    raw = request.query_params.get("offset", "0")
    offset = min(int(raw), 10_000_000) if raw.isdigit() else 0
    rows, total = await qr.list_templates(session, me.tenant, limit=PER_PAGE, offset=offset)
    return render(
        request,
        "qr/list.html.j2",
        me=me,
        section="qr",
        templates=[qr.template_view(t) for t in rows],
        paging={"total": total, "limit": PER_PAGE, "offset": offset},
        design_query=lambda design: DesignForm.of_template(design).query(),
    )


async def _designer(
    request: Request,
    me: Me,
    session: ReadSession | DbSession,
    *,
    template: Any = None,
    name: str = "",
    description: str = "",
    design: DesignForm | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    design = design or DesignForm()
    return render(
        request,
        "qr/designer.html.j2",
        status=status,
        me=me,
        section="qr",
        qr_template=template,
        name=name,
        description=description,
        design=design,
        errors=errors or {},
        error=error,
        dot_styles=DOT_STYLES,
        corner_styles=CORNER_STYLES,
        error_corrections=[(ec, EC_LABELS.get(ec, ec)) for ec in ERROR_CORRECTIONS],
        logos=await _logo_choices(request, session, me),
        preview_url=f"{PAGE}/preview?{design.query()}",
        check_url=f"{PAGE}/check?{design.query()}",
    )


def _design_errors(exc: ApiError) -> tuple[dict[str, str], str]:
    fields, summary = field_errors(exc)
    return {name.removeprefix("design."): message for name, message in fields.items()}, summary


@router.get("/templates/new")
async def new_template_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    me.require("member", "create QR templates")
    return await _designer(request, me, session)


@router.post("/templates/new")
async def create_template(request: Request, me: SignedIn, session: DbSession) -> Response:
    form = await checked_form(request, me.csrf_token)
    me.require("member", "create QR templates")
    name, description = text(form, "name", limit=200), text(form, "description", limit=1000)
    design = DesignForm.of(form)
    try:
        template = await qr.create_template(
            session,
            me.tenant,
            LogoResolver(ctx_of(request)),
            name=name,
            description=description or None,
            design=design.api(),
        )
    except ApiError as exc:
        await session.rollback()
        errors, summary = _design_errors(exc)
        return await _designer(
            request,
            me,
            session,
            name=name,
            description=description,
            design=design,
            errors=errors,
            error=summary,
            status=exc.status if exc.status != 404 else 400,
        )
    await session.commit()
    return flash(request, redirect(f"{PAGE}/templates/{template.id}"), "Template created.")


@router.get("/templates/{template_id}")
async def template_page(
    request: Request, template_id: str, me: SignedIn, session: ReadSession
) -> Response:
    template = qr.template_view(await qr.get_template(session, me.tenant, template_id))
    return await _designer(
        request,
        me,
        session,
        template=template,
        name=template.name,
        description=template.description or "",
        design=DesignForm.of_template(template.design),
    )


@router.post("/templates/{template_id}")
async def update_template(
    request: Request, template_id: str, me: SignedIn, session: DbSession
) -> Response:
    form = await checked_form(request, me.csrf_token)
    me.require("member", "change QR templates")
    name, description = text(form, "name", limit=200), text(form, "description", limit=1000)
    design = DesignForm.of(form)
    current = qr.template_view(await qr.get_template(session, me.tenant, template_id))
    try:
        await qr.update_template(
            session,
            me.tenant,
            LogoResolver(ctx_of(request)),
            template_id,
            {"name": name, "description": description or None, "design": design.api()},
        )
    except ApiError as exc:
        await session.rollback()
        errors, summary = _design_errors(exc)
        return await _designer(
            request,
            me,
            session,
            template=current,
            name=name,
            description=description,
            design=design,
            errors=errors,
            error=summary,
            status=exc.status,
        )
    await session.commit()
    return flash(request, redirect(f"{PAGE}/templates/{template_id}"), "Template saved.")


@router.post("/templates/{template_id}/delete")
async def delete_template(
    request: Request, template_id: str, me: SignedIn, session: DbSession
) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("member", "delete QR templates")
    await qr.delete_template(session, me.tenant, template_id)
    await session.commit()
    return flash(request, redirect(PAGE), "Template deleted.")


@router.get("/preview")
async def preview(request: Request, me: SignedIn, session: ReadSession) -> Response:
    """The designer's preview: its sample content in the design of the controls, as SVG."""
    design = DesignForm.of(request.query_params)
    spec = RenderSpec(
        sample_content(request),
        qr.engine_design(design.api()),
        10,
        "svg",
        design.logo_url or None,
    )
    renderer = _renderer(request)
    try:
        prepared = await renderer.prepare(session, me.workspace_id, spec, template_fields)
        await session.close()
        return await image_response(request.headers.get("if-none-match"), renderer, prepared)
    except ApiError:
        # The scan report beside it says why; the image says that there is nothing to show.
        return Response(CANNOT_DRAW, status_code=400, media_type="image/svg+xml")


@router.get("/check")
async def scan_check(request: Request, me: SignedIn, session: ReadSession) -> Response:
    """Whether the design scans: rendered as the API would, then decoded by zxing-cpp."""
    design = DesignForm.of(request.query_params)
    try:
        result = await qr.scan_check(
            session, me.tenant, _renderer(request), sample_content(request), design.api()
        )
        reason = result.reason
        scannable = result.decodes
    except ApiError as exc:
        scannable, reason = False, exc.message.split(": ", 1)[-1]
    return render(request, "qr/_scan_report.html.j2", me=me, scannable=scannable, reason=reason)


@router.get("/quick")
async def quick_qr(request: Request, me: SignedIn, session: ReadSession) -> Response:
    """A QR code for any text or URL, to download."""
    params = request.query_params
    content = params.get("content", "").strip()[:QUICK_CONTENT_MAX]
    fmt = "png" if params.get("format") == "png" else "svg"
    raw_size = params.get("size", "10")
    size = min(max(int(raw_size), 1), 50) if raw_size.isdigit() else 10
    if not content:
        return flash(request, redirect(PAGE), "Type the text or URL to encode first.", "error")
    design = DesignForm.of(params)
    spec = RenderSpec(content, qr.engine_design(design.api()), size, fmt, design.logo_url or None)
    renderer = _renderer(request)
    try:
        prepared = await renderer.prepare(session, me.workspace_id, spec, body_fields)
    except ApiError as exc:
        return flash(request, redirect(PAGE), exc.message, "error")
    await session.close()
    image = await image_response(None, renderer, prepared)
    image.raw_headers.append((b"content-disposition", f'attachment; filename="qr.{fmt}"'.encode()))
    return image
