"""`POST /qr/bulk`: many QR codes as one ZIP, streamed while it is built.

Each item is a link (its QR code encodes its short URL with `qr=1`, as `GET /links/{id}/qr`
does) or any content with a file name. The ZIP holds one image per item and `manifest.csv`
(file name, content, short URL, error). Everything that can be refused is checked before the
first byte is sent — the plan's limit, the template, every link, every file name, the design
(drawn and decode-checked with the first item) — so those errors are answered in the usual
envelope; an item that still fails while drawing (content too long for the design) gets its
error in the manifest instead of a file.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
import zipfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from xqr.core.errors import ApiError, validation_error
from xqr.links import service as links
from xqr.qr import service
from xqr.qr.rendering import PreparedImage, QrRenderer, RenderSpec, body_fields
from xqr.workspaces.tenant import Tenant

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("file_name", "content", "short_url", "error")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Drawings in flight at once: enough to keep every worker busy while the ZIP is written.
IN_FLIGHT_PER_WORKER = 2


@dataclass(frozen=True)
class BulkEntry:
    file_name: str
    content: str
    short_url: str
    prepared: PreparedImage


def _safe_name(raw: str) -> str:
    return _UNSAFE.sub("-", raw).strip(".-")[:100]


def _unique(stem: str, extension: str, taken: set[str]) -> str:
    """`stem.extension`, or `stem-2.extension` (and on) when the name is taken."""
    candidate, number = f"{stem}.{extension}", 2
    while candidate in taken:
        candidate = f"{stem}-{number}.{extension}"
        number += 1
    taken.add(candidate)
    return candidate


async def plan_entries(
    session: AsyncSession,
    tenant: Tenant,
    renderer: QrRenderer,
    short_base: str,
    items: Sequence[Any],
    *,
    template_id: str | None,
    size: int,
    fmt: str,
    width_mm: float | None,
    dpi: int | None,
) -> list[BulkEntry]:
    """Every item checked and prepared, in order; raises ApiError for the first bad one."""
    limit = tenant.plan.limit("qr_bulk_items")
    if limit is not None and len(items) > limit:
        raise ApiError(
            "PLAN_LIMIT_EXCEEDED",
            f"The {tenant.plan.name} plan allows {limit} QR codes in one bulk request; this one "
            f"has {len(items)}. Split it or upgrade the plan.",
        )
    template = None
    if template_id is not None:
        template = await service.get_template(session, tenant, template_id)
    link_ids: list[uuid.UUID] = []
    for index, item in enumerate(items):
        if (item.link_id is None) == (item.content is None):
            raise validation_error(
                f"items[{index}]", "Give either a link_id or a content (with a file_name)."
            )
        if item.link_id is not None:
            try:
                link_ids.append(uuid.UUID(item.link_id))
            except ValueError:
                raise validation_error(f"items[{index}].link_id", "Link not found.") from None
    found = await links.get_links(session, tenant, link_ids)
    entries: list[BulkEntry] = []
    taken: set[str] = {MANIFEST}
    for index, item in enumerate(items):
        short_url = ""
        if item.link_id is not None:
            link = found.get(uuid.UUID(item.link_id))
            if link is None:
                raise validation_error(f"items[{index}].link_id", "Link not found.")
            base = links.link_base(link, short_base)
            short_url = links.short_url(link.code, base)
            content = service.link_qr_content(link.code, base)
            stem = _safe_name(item.file_name or link.code)
        else:
            content = str(item.content)
            stem = _safe_name(item.file_name or f"qr-{index + 1}")
        if not stem:
            raise validation_error(
                f"items[{index}].file_name", "Use letters, digits, dots, dashes or underscores."
            )
        if template is not None:
            spec = service.template_spec(template, content, size, fmt, width_mm, dpi)
        else:
            spec = RenderSpec(content, service.engine_design({}), size, fmt, None, width_mm, dpi)
        prepared = await renderer.prepare(session, tenant.workspace_id, spec, body_fields)
        entries.append(BulkEntry(_unique(stem, fmt, taken), content, short_url, prepared))
    return entries


async def first_image(renderer: QrRenderer, entries: Sequence[BulkEntry]) -> bytes:
    """The first item's image, drawn and decode-checked before the response starts."""
    return await renderer.image(entries[0].prepared)


class _Sink(io.RawIOBase):
    """A write-only stream whose bytes are taken out as they come (ZIP without seeking)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


async def zip_stream(
    renderer: QrRenderer, entries: Sequence[BulkEntry], first: bytes
) -> AsyncIterator[bytes]:
    """The ZIP's bytes, file by file; drawings run ahead in the workers, kept in order."""
    sink = _Sink()
    manifest = io.StringIO()
    rows = csv.writer(manifest, lineterminator="\n")
    rows.writerow(MANIFEST_COLUMNS)
    window = max(1, renderer.pool.workers * IN_FLIGHT_PER_WORKER)
    pending: list[asyncio.Task[bytes]] = []

    def schedule(index: int) -> None:
        if index < len(entries):
            coroutine = renderer.image(entries[index].prepared, verify=False)
            pending.append(asyncio.ensure_future(coroutine))

    for index in range(1, 1 + window):
        schedule(index)
    try:
        with zipfile.ZipFile(sink, "w") as archive:
            for index, entry in enumerate(entries):
                error = ""
                if index == 0:
                    body: bytes | None = first
                else:
                    task = pending.pop(0)
                    schedule(index + window)
                    try:
                        body = await task
                    except ApiError as exc:
                        body, error = None, exc.message
                if body is not None:
                    method = (
                        zipfile.ZIP_STORED
                        if entry.file_name.endswith(".png")
                        else (zipfile.ZIP_DEFLATED)
                    )
                    archive.writestr(entry.file_name, body, compress_type=method)
                rows.writerow((entry.file_name, entry.content, entry.short_url, error))
                chunk = sink.take()
                if chunk:
                    yield chunk
            archive.writestr(MANIFEST, manifest.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
        yield sink.take()
    finally:
        for task in pending:
            task.cancel()
