"""The first-run guide: a new workspace's links page offers three steps — create a first link,
download its QR code, scan it — and the scan step turns green when the scan arrives (the
guide polls every two seconds while it waits). It goes away once the workspace has a scan, or
when hidden.

What the server knows decides the steps: links and scan counts are the workspace's; "QR code
downloaded" is remembered by this browser (a cookie set by the guide's download buttons),
since downloading is not an event the platform records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from xqr.context import ReadSession
from xqr.dashboard.session import Me, SignedIn
from xqr.dashboard.web import PREFIX, checked_form, ctx_of, redirect, render, set_cookie
from xqr.links import service as links
from xqr.qr import service as qr
from xqr.qr.images import image_response
from xqr.qr.rendering import QrRenderer

router = APIRouter(prefix="/start")
QR_COOKIE = "xqr_guide_qr"  # the id of the link whose QR code this browser downloaded
HIDDEN_COOKIE = "xqr_guide_hidden"
YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Guide:
    link: Any  # the newest link (the API's link object), or None
    downloaded: bool
    scanned: bool


async def guide_for(request: Request, session: Any, me: Me) -> Guide | None:
    """The guide's state, or None when the workspace is past it (a scan came in) or it was
    hidden in this browser."""
    if request.cookies.get(HIDDEN_COOKIE) == str(me.workspace_id):
        return None
    busiest = await links.first_link(session, me.tenant, sort="scans")
    if busiest is not None and (busiest.scan_count or 0) > 0:
        return None
    newest = await links.first_link(session, me.tenant)
    if newest is None:
        return Guide(link=None, downloaded=False, scanned=False)
    view = links.link_view(newest, ctx_of(request).settings.short_base)
    return Guide(
        link=view,
        downloaded=request.cookies.get(QR_COOKIE) == str(view.id),
        scanned=view.scan_count > 0,
    )


@router.get("/status")
async def status(
    request: Request, me: SignedIn, session: ReadSession, link_id: str = ""
) -> Response:
    """The guide's steps, polled by htmx until the link's first scan has arrived."""
    link = await links.get_link(session, me.tenant, link_id)
    view = links.link_view(link, ctx_of(request).settings.short_base)
    guide = Guide(
        link=view,
        downloaded=request.cookies.get(QR_COOKIE) == str(view.id),
        scanned=view.scan_count > 0,
    )
    return render(request, "guide/_steps.html.j2", me=me, guide=guide)


@router.get("/{link_id}/qr")
async def download_qr(
    request: Request, link_id: str, me: SignedIn, session: ReadSession
) -> Response:
    """The link's QR code to download (PNG or SVG, 10 px a module); this browser remembers
    that step 2 is done."""
    ctx = ctx_of(request)
    link = await links.get_link(session, me.tenant, link_id)
    fmt = "png" if request.query_params.get("format") == "png" else "svg"
    content = qr.link_qr_content(link.code, links.link_base(link, ctx.settings.short_base))
    spec = await qr.link_qr_spec(
        session,
        me.tenant,
        content,
        size=10,
        fmt=fmt,
        foreground=None,
        background=None,
        template_id=None,
    )
    renderer = QrRenderer.of(ctx)
    prepared = await renderer.prepare(session, me.workspace_id, spec, qr.link_qr_fields)
    await session.close()
    image = await image_response(None, renderer, prepared)
    disposition = f'attachment; filename="{link.code}.{fmt}"'
    image.raw_headers.append((b"content-disposition", disposition.encode()))
    set_cookie(request, image, QR_COOKIE, str(link.id), max_age=YEAR)
    return image


@router.post("/hide")
async def hide(request: Request, me: SignedIn) -> Response:
    await checked_form(request, me.csrf_token)
    response = redirect(f"{PREFIX}/links")
    set_cookie(request, response, HIDDEN_COOKIE, str(me.workspace_id), max_age=YEAR)
    return response
