"""Report files over HTTP: the API's download, and signed download URLs outside `/api/v1`.

`GET /_reports/{run_id}/{filename}?expires=…&signature=…` serves a completed run's file to
whoever holds the URL (a webhook receiver, an email recipient, a browser), until it expires.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from xqr.context import Ctx, ReadSession
from xqr.core.clock import utcnow
from xqr.core.errors import ApiError, not_found
from xqr.reports import service
from xqr.reports.models import ReportRun
from xqr.reports.signing import DownloadUrlProblem, check_download_signature

router = APIRouter(include_in_schema=False)

_PROBLEMS = {
    DownloadUrlProblem.MALFORMED: "This is not a complete download URL "
    "(expires and signature are required).",
    DownloadUrlProblem.BAD_SIGNATURE: "The download URL's signature does not match: "
    "the URL was altered.",
    DownloadUrlProblem.EXPIRED: "This download URL has expired; get a fresh one from "
    "GET /api/v1/reports/runs/{run_id}.",
}


def file_response(run: ReportRun, content: bytes) -> Response:
    """The file with its type, and its name for saving (ASCII, and UTF-8 per RFC 6266)."""
    name = run.filename or "report"
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        content,
        media_type=run.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": disposition,
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/_reports/{run_id}/{filename}")
async def signed_download(
    run_id: str, filename: str, request: Request, ctx: Ctx, session: ReadSession
) -> Response:
    """A run's file for the holder of a signed, unexpired URL."""
    problem = check_download_signature(
        ctx.settings.secret,
        run_id=run_id,
        expires=request.query_params.get("expires"),
        signature=request.query_params.get("signature"),
        now=utcnow().timestamp(),
    )
    if problem is not None:
        message = _PROBLEMS[problem].replace("{run_id}", run_id)
        raise ApiError("INVALID_DOWNLOAD_URL", message)
    try:
        parsed = uuid.UUID(run_id)
    except ValueError:
        raise not_found("Run") from None
    run, content = await service.signed_file(session, parsed)
    return file_response(run, content)
