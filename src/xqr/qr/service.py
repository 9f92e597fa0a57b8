"""QR rules: templates (CRUD, plan limit, strict designs) and what each endpoint renders."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.core.clock import utcnow
from xqr.core.errors import not_found, validation_error
from xqr.links import service as links
from xqr.qr import repository
from xqr.qr.logos import LogoResolver
from xqr.qr.models import QrTemplate
from xqr.qr.render import Design, DesignError, validate_design
from xqr.qr.rendering import QrRenderer, RenderSpec, as_api_error, template_fields
from xqr.qr.scannability import ScanResult, check_png
from xqr.qr.schemas import DesignOut, TemplateOut
from xqr.workspaces.service import hold_limits
from xqr.workspaces.tenant import Tenant

# The design object of the API: the engine's fields plus the logo, in the reference's order.
ENGINE_FIELDS = tuple(field.name for field in dataclasses.fields(Design))
DESIGN_FIELDS = (
    "foreground",
    "background",
    "error_correction",
    "logo_url",
    "dot_style",
    "corner_style",
)
DESIGN_DEFAULTS: dict[str, Any] = {**dataclasses.asdict(Design()), "logo_url": None}
NAME_MAX = 100
DESCRIPTION_MAX = 500
# Link QR codes carry this parameter, so their scans are recorded with source `qr`.
LINK_QR_PARAMETER = "qr=1"


def design_view(stored: Mapping[str, Any]) -> dict[str, Any]:
    """Every design field, defaults filled, in the API's order."""
    return {name: stored.get(name, DESIGN_DEFAULTS[name]) for name in DESIGN_FIELDS}


def template_view(template: QrTemplate) -> TemplateOut:
    """The template object of the API."""
    return TemplateOut(
        id=template.id,
        name=template.name,
        description=template.description,
        design=DesignOut(**design_view(template.design)),
        created_at=template.created_at,
        updated_at=template.updated_at,
    )


def engine_design(values: Mapping[str, Any]) -> Design:
    """The engine's Design from API fields; fields left out or null take their defaults."""
    return Design(
        **{
            name: DESIGN_DEFAULTS[name] if values.get(name) is None else values[name]
            for name in ENGINE_FIELDS
        }
    )


def template_spec(template: QrTemplate, content: str, size: int, fmt: str) -> RenderSpec:
    """What rendering `content` with the template's design means."""
    design = design_view(template.design)
    return RenderSpec(content, engine_design(design), size, fmt, design["logo_url"])


def link_qr_fields(field: str) -> str:
    """The link QR's query names its colours `foreground`/`background`; a template's logo
    stays `design.logo_url`."""
    if field in ("design.foreground", "design.background"):
        return field.removeprefix("design.")
    return field


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise validation_error("name", "A template needs a name of 1 to 100 characters.")
    name = value.strip()
    if len(name) > NAME_MAX:
        raise validation_error("name", f"The name is longer than {NAME_MAX} characters.")
    return name


def _description(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise validation_error("description", "The description must be a string or null.")
    if len(value) > DESCRIPTION_MAX:
        raise validation_error(
            "description", f"The description is longer than {DESCRIPTION_MAX} characters."
        )
    return value or None


async def _design(
    session: AsyncSession,
    logos: LogoResolver,
    workspace_id: uuid.UUID,
    values: Mapping[str, Any],
    *,
    check_logo: bool,
) -> dict[str, Any]:
    """Normalise a complete design; a new logo is fetched and decoded once to prove it works."""
    try:
        engine = validate_design(Design(**{name: values[name] for name in ENGINE_FIELDS}))
        logo_url = values["logo_url"]
        if logo_url is not None:
            logo_url = logo_url.strip()
            if check_logo:
                await logos.resolve(session, workspace_id, logo_url)
    except DesignError as exc:
        raise as_api_error(exc, template_fields) from None
    return design_view({**dataclasses.asdict(engine), "logo_url": logo_url})


def _unset_means_default(changes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        name: DESIGN_DEFAULTS[name] if value is None else value
        for name, value in (changes or {}).items()
    }


async def count_templates(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    return await repository.count(session, workspace_id)


async def create_template(
    session: AsyncSession,
    tenant: Tenant,
    logos: LogoResolver,
    *,
    name: Any,
    description: Any = None,
    design: Mapping[str, Any] | None = None,
) -> QrTemplate:
    """A new template; design fields left out (or null) take their defaults."""
    await hold_limits(session, tenant)
    tenant.ensure_within("qr_templates", await count_templates(session, tenant.workspace_id))
    values = {**DESIGN_DEFAULTS, **_unset_means_default(design)}
    template = QrTemplate(
        workspace_id=tenant.workspace_id,
        name=_name(name),
        description=_description(description),
        design=await _design(
            session, logos, tenant.workspace_id, values, check_logo=values["logo_url"] is not None
        ),
    )
    session.add(template)
    await session.flush()
    return template


def _template_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        raise not_found("Template") from None


async def get_template(session: AsyncSession, tenant: Tenant, template_id: str) -> QrTemplate:
    template = await repository.get(session, tenant.workspace_id, _template_id(template_id))
    if template is None:
        raise not_found("Template")
    return template


async def list_templates(
    session: AsyncSession, tenant: Tenant, *, limit: int, offset: int
) -> tuple[Sequence[QrTemplate], int]:
    return await repository.list_page(session, tenant.workspace_id, limit, offset)


async def update_template(
    session: AsyncSession,
    tenant: Tenant,
    logos: LogoResolver,
    template_id: str,
    changes: Mapping[str, Any],
) -> QrTemplate:
    """Apply a merge patch: given fields replace, `description: null` clears it, design keys
    merge into the stored design (a key set to null goes back to its default, `design: null`
    resets the whole design)."""
    template = await get_template(session, tenant, template_id)
    if "name" in changes:
        template.name = _name(changes["name"])
    if "description" in changes:
        template.description = _description(changes["description"])
    if "design" in changes:
        patch = changes["design"]
        current = design_view(template.design)
        values = (
            dict(DESIGN_DEFAULTS) if patch is None else {**current, **_unset_means_default(patch)}
        )
        new_logo = values["logo_url"] is not None and values["logo_url"] != current["logo_url"]
        template.design = await _design(
            session, logos, tenant.workspace_id, values, check_logo=new_logo
        )
    template.updated_at = utcnow()
    await session.flush()
    return template


async def delete_template(session: AsyncSession, tenant: Tenant, template_id: str) -> None:
    template = await get_template(session, tenant, template_id)
    await repository.remove(session, template)


def link_qr_content(code: str, short_base: str) -> str:
    """What a link's QR code encodes: its short URL with `qr=1`, so scans count as `qr`."""
    short_url = links.short_url(code, short_base)
    separator = "&" if "?" in short_url else "?"
    return f"{short_url}{separator}{LINK_QR_PARAMETER}"


async def link_qr_spec(
    session: AsyncSession,
    tenant: Tenant,
    content: str,
    *,
    size: int,
    fmt: str,
    foreground: str | None,
    background: str | None,
    template_id: str | None,
) -> RenderSpec:
    """A link QR's rendering: the template's design (if any) with the given colours on top."""
    design = dict(DESIGN_DEFAULTS)
    if template_id is not None:
        design = design_view((await get_template(session, tenant, template_id)).design)
    if foreground is not None:
        design["foreground"] = foreground
    if background is not None:
        design["background"] = background
    return RenderSpec(content, engine_design(design), size, fmt, design["logo_url"])


SCAN_CHECK_SIZE = 8  # pixels per module of the image a scan check decodes


async def scan_check(
    session: AsyncSession,
    tenant: Tenant,
    renderer: QrRenderer,
    content: str,
    design: Mapping[str, Any],
) -> ScanResult:
    """Render `content` with `design` as the API would and decode it with zxing-cpp.

    A design the API refuses (contrast, colours, styles, logo) raises its ApiError."""
    values = design_view({**DESIGN_DEFAULTS, **_unset_means_default(design)})
    spec = RenderSpec(content, engine_design(values), SCAN_CHECK_SIZE, "png", values["logo_url"])
    prepared = await renderer.prepare(session, tenant.workspace_id, spec, template_fields)
    png = await renderer.image(prepared)
    return await anyio.to_thread.run_sync(check_png, png, content)
