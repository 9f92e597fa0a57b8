"""The scan journal, buffer and writer, shared by redirects and bio pages."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from xqr.scans.buffer import ScanBuffer
from xqr.scans.journal import ScanJournal
from xqr.scans.writer import ScanWriter

if TYPE_CHECKING:
    from xqr.app import XqrApp

logger = logging.getLogger("xqr.scans")

JOURNAL_FOLDER = "scan-journal"


def install(app: XqrApp) -> None:
    settings = app.ctx.settings
    journal = ScanJournal(
        settings.data_dir / JOURNAL_FOLDER,
        max_bytes=settings.scan_journal_max_bytes,
        fsync_interval=settings.scan_fsync_interval_ms / 1000,
    )
    first, after = journal.open()
    buffer = ScanBuffer(
        settings.scan_batch_size, journal=journal, max_items=settings.scan_buffer_max_scans
    )
    # What an earlier run left in the journal is read back from it (the writer skips what
    # the database already has).
    buffer.head, buffer.spilled = first, after - first
    if after > first:
        logger.info(
            "%d scans left in the scan journal by the last run are stored now (any the "
            "database already has are skipped)",
            after - first,
        )
    writer = ScanWriter(
        buffer,
        app.ctx.sessionmaker,
        secret=settings.secret,
        interval=settings.scan_flush_interval_ms / 1000,
        retention_days=settings.scan_retention_days,
        journal=journal,
        visitor_memory_max=settings.scan_visitor_memory,
        read_sessionmaker=app.ctx.read_sessionmaker,
    )
    app.ctx.parts.scan_journal = journal
    app.ctx.parts.scan_buffer = buffer
    app.ctx.parts.scan_writer = writer
    app.background.append(writer)
