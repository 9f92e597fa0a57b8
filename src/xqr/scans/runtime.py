"""The scan buffer and its writer, shared by redirects and bio pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xqr.scans.buffer import ScanBuffer
from xqr.scans.writer import ScanWriter

if TYPE_CHECKING:
    from xqr.app import XqrApp


def install(app: XqrApp) -> None:
    settings = app.ctx.settings
    buffer = ScanBuffer(settings.scan_batch_size)
    writer = ScanWriter(
        buffer,
        app.ctx.sessionmaker,
        secret=settings.secret,
        interval=settings.scan_flush_interval_ms / 1000,
        retention_days=settings.scan_retention_days,
    )
    app.ctx.parts.scan_buffer = buffer
    app.ctx.parts.scan_writer = writer
    app.background.append(writer)
