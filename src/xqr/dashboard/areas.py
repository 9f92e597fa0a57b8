"""The workspace's links, QR templates, analytics overview, bio pages and assets."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from xqr.analytics import service as analytics
from xqr.assets import service as assets
from xqr.bio import service as bio
from xqr.context import ReadSession
from xqr.dashboard.session import SignedIn
from xqr.dashboard.web import ctx_of, render

router = APIRouter()
PER_PAGE = 50
MAX_OFFSET = 10_000_000


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    return min(int(raw), MAX_OFFSET) if raw.isdigit() else 0


@router.get("/analytics")
async def analytics_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    query = analytics.Query.parse("30d", me.timezone)
    summary = await analytics.summary(session, me.tenant, query)
    return render(request, "areas/analytics.html.j2", me=me, section="analytics", summary=summary)


@router.get("/bio")
async def bio_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    offset = _offset(request)
    rows, total = await bio.list_pages(session, me.tenant, limit=PER_PAGE, offset=offset)
    rules = bio.BioRules.from_settings(ctx_of(request).settings)
    return render(
        request,
        "areas/bio.html.j2",
        me=me,
        section="bio",
        pages=[bio.page_view(page, rules) for page in rows],
        paging={"total": total, "limit": PER_PAGE, "offset": offset},
    )


@router.get("/assets")
async def assets_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    offset = _offset(request)
    storage = assets.storage_of(ctx_of(request))
    rows, total = await assets.list_assets(
        session, me.workspace_id, status=None, limit=PER_PAGE, offset=offset
    )
    return render(
        request,
        "areas/assets.html.j2",
        me=me,
        section="assets",
        assets=[assets.view(a, storage) for a in rows],
        paging={"total": total, "limit": PER_PAGE, "offset": offset},
    )
