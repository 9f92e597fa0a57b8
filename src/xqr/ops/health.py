"""Readiness: can this process do its job? The database answers, scans are being stored, the
scan journal has room. Each failed check gives a reason a person can act on."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from xqr.context import AppContext

PROBE_TIMEOUT = 2.0  # seconds the database has to answer `SELECT 1`
RECENT_DROP_SECONDS = 60.0  # a scan dropped this recently makes the process not ready
JOURNAL_NEARLY_FULL = 0.9


@dataclass
class Readiness:
    ready: bool
    reasons: list[str] = field(default_factory=list)
    checks: dict[str, object] = field(default_factory=dict)


async def database_answers(ctx: AppContext) -> str | None:
    """None when the database answers `SELECT 1` in time, else why not."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            # The read engine: on SQLite it takes no write lock to answer.
            async with ctx.read_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except TimeoutError:
        return f"the database did not answer within {PROBE_TIMEOUT:g} s"
    except Exception as error:
        return f"the database cannot be reached ({type(error).__name__})"
    return None


async def readiness(ctx: AppContext) -> Readiness:
    settings = ctx.settings
    writer = ctx.parts.scan_writer
    journal = ctx.parts.scan_journal
    reasons: list[str] = []
    problem = await database_answers(ctx)
    if problem:
        reasons.append(problem)
    elif not writer.database_ok:
        reasons.append(f"scans cannot be stored: the last write failed ({writer.last_error})")
    lag = writer.lag_seconds
    if lag > settings.ready_max_lag_seconds:
        reasons.append(
            f"the scan writer is {lag:.0f} s behind ({writer.lag_scans} scans waiting; "
            f"the limit is {settings.ready_max_lag_seconds:g} s)"
        )
    dropped_recently = (
        journal.last_drop is not None and time.monotonic() - journal.last_drop < RECENT_DROP_SECONDS
    )
    if dropped_recently:
        reasons.append(
            f"the scan journal is full: {journal.dropped} scans dropped ({journal.drop_reason})"
        )
    elif journal.bytes >= JOURNAL_NEARLY_FULL * journal.max_bytes:
        reasons.append(
            f"the scan journal is nearly full ({journal.bytes} of {journal.max_bytes} bytes)"
        )
    return Readiness(
        ready=not reasons,
        reasons=reasons,
        checks={
            "database": problem is None and writer.database_ok,
            "scan_writer_lag_seconds": round(lag, 3),
            "scan_writer_lag_scans": writer.lag_scans,
            "scan_journal_bytes": journal.bytes,
            "scan_journal_max_bytes": journal.max_bytes,
            "scans_dropped": journal.dropped + ctx.parts.scan_buffer.dropped,
        },
    )
