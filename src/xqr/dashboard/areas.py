"""The workspace's analytics overview."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from xqr.analytics import service as analytics
from xqr.context import ReadSession
from xqr.dashboard.session import SignedIn
from xqr.dashboard.web import render

router = APIRouter()


@router.get("/analytics")
async def analytics_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    query = analytics.Query.parse("30d", me.timezone)
    summary = await analytics.summary(session, me.tenant, query)
    return render(request, "areas/analytics.html.j2", me=me, section="analytics", summary=summary)
