"""Links → Import and Export: CSV files through the same code as `xqr links import/export`.

An upload is read and previewed first; the import then runs in the background of the server
process that received it, in chunks, and its page follows the progress of the batch it writes
(the API shows it as `GET /v1/links/bulk/{id}`). A server stopped mid-import leaves the rows
imported so far, and the batch says how far it got.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from xqr.context import DbSession, ReadSession
from xqr.core.clock import utcnow
from xqr.dashboard.links import Filters
from xqr.dashboard.session import Me, SignedIn
from xqr.dashboard.web import PREFIX, checked_form, ctx_of, redirect, render, text
from xqr.links import csvfile
from xqr.links import service as links

logger = logging.getLogger("xqr.dashboard")
router = APIRouter(prefix="/links")
PAGE = f"{PREFIX}/links/import"
IMPORT_MAX_BYTES = 10 * 1024 * 1024
PREVIEW_ROWS = 5
STALLED_AFTER_SECONDS = 120
_running: set[asyncio.Task[None]] = set()


def _upload_page(request: Request, me: Me, *, error: str = "", status: int = 200) -> Response:
    return render(
        request,
        "links/import.html.j2",
        status=status,
        me=me,
        section="links",
        error=error,
        columns=csvfile.EXPORT_COLUMNS,
        max_megabytes=IMPORT_MAX_BYTES // (1024 * 1024),
    )


@router.get("/import")
async def import_page(request: Request, me: SignedIn) -> Response:
    me.require("member", "import links")
    return _upload_page(request, me)


async def _file_text(upload: UploadFile) -> str:
    data = await upload.read(IMPORT_MAX_BYTES + 1)
    if len(data) > IMPORT_MAX_BYTES:
        raise ValueError(f"the file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text") from None


@router.post("/import")
async def preview_import(request: Request, me: SignedIn) -> Response:
    """Read the uploaded file and show its first rows before anything is created."""
    form = await checked_form(request, me.csrf_token, max_part_size=IMPORT_MAX_BYTES)
    me.require("member", "import links")
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _upload_page(request, me, error="Choose a CSV file first.", status=400)
    try:
        content = await _file_text(upload)
        rows = csvfile.read_rows(io.StringIO(content, newline=""))
    except ValueError as exc:
        return _upload_page(request, me, error=f"This file cannot be imported: {exc}.", status=400)
    if not rows:
        return _upload_page(request, me, error="The file has a header but no rows.", status=400)
    return render(
        request,
        "links/import_preview.html.j2",
        me=me,
        section="links",
        filename=upload.filename,
        content=content,
        total=len(rows),
        preview=rows[:PREVIEW_ROWS],
        columns=list(rows[0].keys()),
    )


@router.post("/import/start")
async def start_import(request: Request, me: SignedIn, session: DbSession) -> Response:
    form = await checked_form(request, me.csrf_token, max_part_size=IMPORT_MAX_BYTES)
    me.require("member", "import links")
    content = text(form, "content", limit=IMPORT_MAX_BYTES)
    try:
        rows = csvfile.read_rows(io.StringIO(content, newline=""))
    except ValueError as exc:
        return _upload_page(request, me, error=f"This file cannot be imported: {exc}.", status=400)
    ctx = ctx_of(request)
    batch = await csvfile.start_import(ctx, me.tenant, len(rows))

    async def run() -> None:
        try:
            await csvfile.import_rows(ctx, me.tenant, rows, batch=batch)
        except Exception:
            logger.exception("import %s stopped", batch.id)

    task = asyncio.get_running_loop().create_task(run())
    _running.add(task)
    task.add_done_callback(_running.discard)
    return redirect(f"{PAGE}/{batch.id}")


async def _batch_context(session: ReadSession, me: Me, batch_id: str) -> dict[str, Any]:
    batch = await links.get_batch(session, me.tenant, batch_id)
    view = links.batch_view(batch)
    idle = (utcnow() - batch.updated_at).total_seconds()
    stalled = view.status == "processing" and idle > STALLED_AFTER_SECONDS
    failures = [item for item in view.results if item.status == "failed"]
    return {"batch": view, "failures": failures, "stalled": stalled}


@router.get("/import/{batch_id}")
async def import_progress(
    request: Request, batch_id: str, me: SignedIn, session: ReadSession
) -> Response:
    context = await _batch_context(session, me, batch_id)
    template = (
        "links/_import_progress.html.j2"
        if request.headers.get("hx-request")
        else "links/import_progress.html.j2"
    )
    return render(request, template, me=me, section="links", **context)


@router.get("/import/{batch_id}/errors.csv")
async def import_errors(
    request: Request, batch_id: str, me: SignedIn, session: ReadSession
) -> Response:
    context = await _batch_context(session, me, batch_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["line", "code", "message"])
    for item in context["failures"]:
        writer.writerow([item.index + 2, item.code, item.message])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{batch_id}-errors.csv"'},
    )


@router.get("/export.csv")
async def export_links(request: Request, me: SignedIn) -> Response:
    """The links of the current filter as CSV, as `xqr links export` writes them; sent as it
    is read, a thousand links at a time."""
    filters = Filters.of(request)
    enabled = {"enabled": True, "disabled": False}.get(filters.status)
    ctx = ctx_of(request)
    base = ctx.settings.short_base

    async def chunks() -> AsyncIterator[str]:
        offset = 0
        header_written = False
        while True:
            async with ctx.read_sessionmaker() as session:
                rows, _ = await links.list_links(
                    session,
                    me.tenant,
                    label=filters.label or None,
                    search=filters.q or None,
                    limit=1000,
                    offset=offset,
                    enabled=enabled,
                    sort=filters.sort,
                    search_codes=True,
                )
            buffer = io.StringIO()
            if not header_written:
                csv.DictWriter(buffer, fieldnames=csvfile.EXPORT_COLUMNS).writeheader()
                header_written = True
            writer = csv.DictWriter(buffer, fieldnames=csvfile.EXPORT_COLUMNS)
            for link in rows:
                writer.writerow(csvfile.export_row(links.link_view(link, base)))
            yield buffer.getvalue()
            if len(rows) < 1000:
                return
            offset += 1000

    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="links.csv"'},
    )
