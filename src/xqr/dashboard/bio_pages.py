"""Bio pages: the list with 30-day figures, the editor with a live preview drawn by the public
renderer, publishing with the page's QR code, and the page's stats."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from xqr.assets import service as assets
from xqr.bio import service as bio
from xqr.bio.icons import ICONS
from xqr.bio.public import content_security_policy, origin_of
from xqr.bio.render import render_page
from xqr.bio.schemas import BioPageCreate, BioPageUpdate
from xqr.bio.themes import CUSTOM_COLOURS, THEMES, contrast_problems, with_colours
from xqr.context import DbSession, ReadSession
from xqr.core.errors import ApiError
from xqr.dashboard.bio_form import MAX_LINK_CARDS, BioForm, form_field
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
from xqr.qr.rendering import QrRenderer, RenderSpec, body_fields

router = APIRouter(prefix="/bio")
PAGE = f"{PREFIX}/bio"
PER_PAGE = 50
COLOUR_LABELS = {
    "background": "Page colour",
    "text": "Text colour",
    "button_background": "Button colour",
    "button_text": "Button text colour",
}


def _rules(request: Request) -> bio.BioRules:
    return bio.BioRules.from_settings(ctx_of(request).settings)


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    return min(int(raw), 10_000_000) if raw.isdigit() else 0


@router.get("")
async def bio_list(request: Request, me: SignedIn, session: ReadSession) -> Response:
    offset = _offset(request)
    rows, total = await bio.list_pages(session, me.tenant, limit=PER_PAGE, offset=offset)
    rules = _rules(request)
    pages = []
    for row in rows:
        stats = await bio.page_stats(session, row, period="30d", timezone=me.timezone)
        pages.append(
            {"page": bio.page_view(row, rules), "views": stats.views, "clicks": stats.clicks}
        )
    return render(
        request,
        "bio/list.html.j2",
        me=me,
        section="bio",
        pages=pages,
        paging={"total": total, "limit": PER_PAGE, "offset": offset},
        errors={},
        error="",
        title="",
    )


@router.post("/new")
async def create_page(request: Request, me: SignedIn, session: DbSession) -> Response:
    form = await checked_form(request, me.csrf_token)
    me.require("member", "create bio pages")
    title = text(form, "title", limit=200)
    slug = text(form, "slug", limit=100).strip() or None
    try:
        page = await bio.create_page(session, me.tenant, BioPageCreate(title=title, slug=slug))
    except ApiError as exc:
        await session.rollback()
        errors, summary = field_errors(exc)
        if exc.code == "SLUG_TAKEN":
            errors, summary = {"slug": exc.message}, "Nothing was saved."
        rows, total = await bio.list_pages(session, me.tenant, limit=PER_PAGE, offset=0)
        rules = _rules(request)
        return render(
            request,
            "bio/list.html.j2",
            status=400,
            me=me,
            section="bio",
            pages=[{"page": bio.page_view(r, rules), "views": None, "clicks": None} for r in rows],
            paging={"total": total, "limit": PER_PAGE, "offset": 0},
            errors=errors,
            error=summary,
            title=title,
        )
    await session.commit()
    return flash(request, redirect(f"{PAGE}/{page.id}"), "Page created as a draft.")


@router.get("/check-slug")
async def check_slug(
    request: Request, me: SignedIn, session: ReadSession, slug: str = "", page_id: str = ""
) -> Response:
    """Whether a page slug is free, as saving would judge it (htmx, as you type)."""
    state, message = await bio.slug_availability(
        session, slug.strip()[:100], except_page=page_id or None
    )
    return render(request, "links/_code_status.html.j2", me=me, state=state, message=message)


def _contrast_messages(form: BioForm) -> list[str]:
    colours = form.colors if form.custom_colors else None
    return [message for _, message in contrast_problems(with_colours(THEMES[form.theme], colours))]


@router.post("/contrast")
async def contrast(request: Request, me: SignedIn) -> Response:
    """The contrast guard's verdict on the theme and colours in the form (htmx, as you pick)."""
    form = BioForm.parse(await checked_form(request, me.csrf_token))
    return render(request, "bio/_contrast.html.j2", me=me, problems=_contrast_messages(form))


async def _avatar_choices(request: Request, session: Any, me: Me) -> list[tuple[str, str]]:
    """Published images of the workspace, offered as avatars."""
    storage = assets.storage_of(ctx_of(request))
    rows, _ = await assets.list_assets(
        session, me.workspace_id, status="published", limit=200, offset=0
    )
    views = [assets.view(row, storage) for row in rows]
    return [
        (str(v.public_url), v.filename)
        for v in views
        if v.content_type.startswith("image/") and v.public_url
    ]


async def _editor(
    request: Request,
    me: Me,
    session: Any,
    row: Any,
    *,
    form: BioForm,
    errors: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    page = bio.page_view(row, _rules(request))
    stats = await bio.page_stats(session, row, period="30d", timezone=me.timezone)
    return render(
        request,
        "bio/edit.html.j2",
        status=status,
        me=me,
        section="bio",
        bio_page=page,
        form=form,
        errors=errors or {},
        error=error,
        themes=list(THEMES.values()),
        icons=[("", "No icon")] + [(icon.name, icon.label) for icon in ICONS.values()],
        colour_fields=[(name, COLOUR_LABELS[name]) for name in CUSTOM_COLOURS],
        avatars=await _avatar_choices(request, session, me),
        max_links=MAX_LINK_CARDS,
        problems=_contrast_messages(form),
        colour_error=any(name.startswith("color_") for name in errors or {}),
        stats=stats,
        bio_base=ctx_of(request).settings.bio_base,
    )


def _errors_of(exc: ApiError) -> tuple[dict[str, str], str]:
    fields, summary = field_errors(exc)
    mapped: dict[str, str] = {}
    for name, message in fields.items():
        mapped.setdefault(form_field(name), message)
    if exc.code == "SLUG_TAKEN":
        mapped["slug"] = exc.message
        summary = "Nothing was saved. Correct the field marked below."
    elif any(name.startswith("color_") for name in mapped):
        summary = f"Nothing was saved. {exc.message}"
    return mapped, summary


@router.get("/{page_id}")
async def edit_page(request: Request, page_id: str, me: SignedIn, session: ReadSession) -> Response:
    row = await bio.get_page(session, me.tenant, page_id)
    view = bio.page_view(row, _rules(request))
    return await _editor(request, me, session, row, form=BioForm.from_page(view))


@router.post("/{page_id}")
async def save_page(request: Request, page_id: str, me: SignedIn, session: DbSession) -> Response:
    data = await checked_form(request, me.csrf_token)
    me.require("member", "edit bio pages")
    form = BioForm.parse(data)
    row = await bio.get_page(session, me.tenant, page_id)
    action = text(data, "link_action", limit=20)
    if action and form.apply(action):
        return await _editor(request, me, session, row, form=form)
    try:
        body = BioPageUpdate.model_validate(form.as_api())
        saved = await bio.update_page(session, me.tenant, page_id, body)
    except ApiError as exc:
        await session.rollback()
        errors, summary = _errors_of(exc)
        row = await bio.get_page(session, me.tenant, page_id)
        return await _editor(
            request, me, session, row, form=form, errors=errors, error=summary, status=400
        )
    await session.commit()
    live = " It is live on its public address." if saved.status == "published" else ""
    return flash(request, redirect(f"{PAGE}/{saved.id}"), f"Page saved.{live}")


# --- the live preview -----------------------------------------------------------------------


def _preview_response(request: Request, html: bytes) -> Response:
    """The public renderer's bytes under the public page's CSP, but framable by the dashboard
    (and only by it): the editor shows it in an iframe."""
    ctx = ctx_of(request)
    sources = {"'self'"}
    base = assets.storage_of(ctx).public_base_url
    if origin := origin_of(base):
        sources.add(origin)
    csp = content_security_policy(sources, frame_ancestors="'self'")
    return HTMLResponse(html, headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"})


@router.get("/{page_id}/preview")
async def preview_saved(
    request: Request, page_id: str, me: SignedIn, session: ReadSession
) -> Response:
    row = await bio.get_page(session, me.tenant, page_id)
    view = bio.page_view(row, _rules(request))
    content = BioForm.from_page(view).preview(view.slug)
    return _preview_response(request, render_page(content, canonical_url=view.public_url))


@router.post("/{page_id}/preview")
async def preview_form(
    request: Request, page_id: str, me: SignedIn, session: ReadSession
) -> Response:
    """The page as the editor's form has it now, saved or not (the form posts into the
    preview's iframe)."""
    form = BioForm.parse(await checked_form(request, me.csrf_token))
    row = await bio.get_page(session, me.tenant, page_id)
    view = bio.page_view(row, _rules(request))
    content = form.preview(view.slug)
    return _preview_response(request, render_page(content, canonical_url=view.public_url))


@router.get("/{page_id}/{slug}/l/{link_id}")
async def preview_link(request: Request, page_id: str, slug: str, link_id: str) -> Response:
    """A button clicked inside the preview lands here (its relative address resolves under
    the editor's): say so, rather than follow it and count a click."""
    html = (
        b"<!doctype html><html lang=en><meta charset=utf-8><title>Preview</title>"
        b"<p style='font:16px system-ui;padding:2rem;text-align:center'>"
        b"Links are not followed in the preview. Publish the page and open its public "
        b"address to try them.</p></html>"
    )
    return _preview_response(request, html)


# --- publishing, QR code, delete ------------------------------------------------------------


@router.post("/{page_id}/publish")
async def publish_page(
    request: Request, page_id: str, me: SignedIn, session: DbSession
) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("member", "publish bio pages")
    page = await bio.publish(session, me.tenant, _rules(request), page_id)
    await session.commit()
    url = _rules(request).public_url(page.slug)
    return flash(request, redirect(f"{PAGE}/{page.id}"), f"Published at {url}.")


@router.post("/{page_id}/unpublish")
async def unpublish_page(
    request: Request, page_id: str, me: SignedIn, session: DbSession
) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("member", "unpublish bio pages")
    page = await bio.unpublish(session, me.tenant, _rules(request), page_id)
    await session.commit()
    return flash(
        request,
        redirect(f"{PAGE}/{page.id}"),
        "Unpublished: the public address answers “not found” until you publish again.",
    )


@router.post("/{page_id}/delete")
async def delete_page(request: Request, page_id: str, me: SignedIn, session: DbSession) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("member", "delete bio pages")
    page = await bio.get_page(session, me.tenant, page_id)
    await bio.delete_page(session, me.tenant, _rules(request), str(page.id))
    await session.commit()
    return flash(request, redirect(PAGE), f"Page “{page.title}” deleted.")


@router.get("/{page_id}/qr")
async def page_qr(request: Request, page_id: str, me: SignedIn, session: ReadSession) -> Response:
    """The QR code of the page's public address, drawn by the API's renderer."""
    row = await bio.get_page(session, me.tenant, page_id)
    fmt = "png" if request.query_params.get("format") == "png" else "svg"
    content = _rules(request).public_url(row.slug)
    spec = RenderSpec(content, qr.engine_design({}), 10, fmt, None)
    renderer = QrRenderer.of(ctx_of(request))
    prepared = await renderer.prepare(session, me.workspace_id, spec, body_fields)
    await session.close()
    image = await image_response(request.headers.get("if-none-match"), renderer, prepared)
    if request.query_params.get("download"):
        disposition = f'attachment; filename="{row.slug}.{fmt}"'
        image.raw_headers.append((b"content-disposition", disposition.encode()))
    return image
