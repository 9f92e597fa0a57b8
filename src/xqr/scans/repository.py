"""Writing scans and their rollups, and pruning raw events: the dialect fast paths live here.

SQLite: one `executemany` per table of statements of `ROWS_PER_STATEMENT` rows each (see
`_execute_sqlite_rows`), with values already in SQLite's storage form (UUIDs as 32 hex digits,
datetimes as `YYYY-MM-DD HH:MM:SS.ffffff`, as SQLAlchemy stores them), which runs in the
driver's thread and costs a few µs a row. PostgreSQL: one `INSERT … SELECT FROM
unnest(arrays)` per table and chunk, so a chunk is one round trip. Rows are converted and
statements sent `CHUNK` rows at a time, yielding to the event loop in between, so the
redirects served by the same loop never wait long.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import delete, func, insert, literal, select, text, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from xqr.db.base import sqlite_datetime
from xqr.db.engine import dialect_name, on_commit
from xqr.scans.aggregate import (
    LABEL_KIND,
    BreakdownKey,
    DimensionKey,
    EnrichedScan,
    FactKey,
    Target,
    TotalKey,
    VisitorKey,
    day_of,
)
from xqr.scans.models import (
    ScanDimension,
    ScanEvent,
    ScanJournalPosition,
    ScanRollup,
    ScanTotal,
    ScanVisitor,
)
from xqr.scans.visitors import VisitorMemory

T = TypeVar("T")

WRITER_CACHE_KIB = 64 * 1024
# A batch rewrites the same hot pages (each link's latest rows, today's visitors) every time;
# checkpointing after every ~1,000 WAL pages (the default) copies them back after each batch.
# The write-ahead log grows to about this many pages between checkpoints (4 KiB each), and is
# truncated back to `WAL_SIZE_LIMIT` after one; the writer also truncates it when idle.
WRITER_CHECKPOINT_PAGES = 4_000
WAL_SIZE_LIMIT = 16 * 1024 * 1024
WRITER_BUSY_TIMEOUT_MS = 2000

# Rows converted between two yields to the event loop (well under 1 ms of Python), and rows
# per PostgreSQL statement (asyncpg encodes its arguments on the event loop).
CHUNK = 250
PG_CHUNK = 500
# SQLite binds at most 32,766 parameters a statement (older builds 999: not supported).
SQLITE_RETURNING_CHUNK = 250

# An EnrichedScan is a named tuple of the event's columns (all but the id), in order.
EVENT_COLUMNS: tuple[str, ...] = EnrichedScan._fields
FACT_KEY = ("target_id", "hour", "country", "device_type", "browser", "os", "source")
BREAKDOWN_KEY = ("target_id", "day", "dim", "value")
TOTAL_KEY = ("workspace_id", "kind", "grain", "bucket", "target_id")
DIMENSION_KEY = ("workspace_id", "kind", "dim", "grain", "bucket", "value")
VISITOR_KEY = ("day", "visitor", "scope_id", "kind")

# PostgreSQL array types of the columns, for `unnest`.
PG_TYPES = {
    "workspace_id": "uuid",
    "target_id": "uuid",
    "parent_id": "uuid",
    "scope_id": "uuid",
    "occurred_at": "timestamptz",
    "bucket": "timestamptz",
    "hour": "timestamptz",
    "day": "date",
    "visitor": "bigint",
    "scans": "bigint",
    "visitors": "bigint",
    "expired": "boolean",
    "rule": "smallint",
}


async def _pause() -> None:
    await asyncio.sleep(0)


# --- value conversion ------------------------------------------------------------------------


class _SQLiteValues:
    """Python values in SQLite's storage form, memoising the few distinct UUIDs and buckets.

    UUIDs are memoised by object identity (hashing a `uuid.UUID` runs Python code, and the
    scans of a batch share their UUID objects); the objects are held so identities stay unique.
    """

    def __init__(self) -> None:
        self.hexes: dict[int, str] = {}  # id(uuid) → hex, for callers that inline the lookup
        self._held: list[uuid.UUID] = []
        self._strings: dict[datetime | date, str] = {}

    def uuid(self, value: uuid.UUID | None) -> str | None:
        if value is None:
            return None
        found = self.hexes.get(id(value))
        if found is None:
            found = self.hexes[id(value)] = value.hex
            self._held.append(value)
        return found

    time = staticmethod(sqlite_datetime)

    def bucket(self, value: datetime) -> str:
        found = self._strings.get(value)
        if found is None:
            found = self._strings[value] = self.time(value)
        return found

    def day(self, value: date) -> str:
        found = self._strings.get(value)
        if found is None:
            found = self._strings[value] = value.isoformat()
        return found


def _pg_statement(
    table: str, columns: Sequence[str], conflict: Sequence[str] | None, update: Sequence[str]
) -> str:
    arrays = ", ".join(f"CAST(:{name} AS {PG_TYPES.get(name, 'text')}[])" for name in columns)
    # Table and column names are this module's constants, never user input.
    statement = f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"  # noqa: S608
    if conflict is None:
        return statement
    if not update:
        return f"{statement} ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    sets = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in update)
    return f"{statement} ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {sets}"


# Rows per SQLite statement: one row a statement spends about a third of an insert, and half
# of an upsert, on running the statement itself. Only a batch's last statement has fewer.
ROWS_PER_STATEMENT = 50


class _SQLiteInsert(NamedTuple):
    """An INSERT whose VALUES repeat `row` once per row: `head VALUES row, row, … tail`."""

    head: str
    row: str
    tail: str = ""


@functools.cache  # a few statements, each in at most ROWS_PER_STATEMENT sizes
def _sqlite_text(insert: _SQLiteInsert, rows: int) -> str:
    return f"{insert.head} VALUES {', '.join([insert.row] * rows)}{insert.tail}"


def _sqlite_insert(
    table: str, columns: Sequence[str], conflict: Sequence[str] | None, update: Sequence[str]
) -> _SQLiteInsert:
    head = f"INSERT INTO {table} ({', '.join(columns)})"
    row = f"({', '.join('?' for _ in columns)})"
    if conflict is None:
        return _SQLiteInsert(head, row)
    if not update:
        return _SQLiteInsert(head, row, f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING")
    sets = ", ".join(f"{name} = {name} + excluded.{name}" for name in update)
    return _SQLiteInsert(head, row, f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {sets}")


async def _execute_sqlite_rows(
    conn: AsyncConnection, insert: _SQLiteInsert, rows: Sequence[tuple[Any, ...]]
) -> int:
    """Run `insert` for `rows` in order, `ROWS_PER_STATEMENT` rows a statement; how many rows
    it inserted or updated (a conflict it leaves alone counts none).

    The parameters are flattened about `CHUNK` rows at a time, with the event loop's turns
    before and between (callers come here straight from converting their last slice).
    """
    await _pause()
    flat = itertools.chain.from_iterable
    size = ROWS_PER_STATEMENT
    whole = len(rows) - len(rows) % size
    statements: list[tuple[Any, ...]] = []
    paused_at = 0
    for start in range(0, whole, size):
        if start - paused_at >= CHUNK:
            paused_at = start
            await _pause()
        statements.append(tuple(flat(rows[start : start + size])))
    changed = 0
    if statements:
        result = await conn.exec_driver_sql(_sqlite_text(insert, size), statements)
        changed += result.rowcount
    if whole < len(rows):  # after the others: rows keep their order
        rest = tuple(flat(rows[whole:]))
        result = await conn.exec_driver_sql(_sqlite_text(insert, len(rows) - whole), rest)
        changed += result.rowcount
    return changed


def _lock_order(key: Sequence[Any]) -> tuple[Any, ...]:
    """A sort key for a row key whose parts may be None.

    PostgreSQL locks the rows of an upsert one by one in the order given. Scan writers of
    several processes adding to the same rollup rows in different orders can each hold a row
    the other waits for (a deadlock: one batch is aborted and retried, its scans delayed);
    in one order, whichever comes second waits for the first to commit."""
    return tuple((part is None, part) for part in key)


async def _write_rows(
    session: AsyncSession,
    table: str,
    columns: Sequence[str],
    items: Sequence[T],
    *,
    row: Callable[[T], tuple[Any, ...]],
    sqlite_row: Callable[[T], tuple[Any, ...]],
    conflict: Sequence[str] | None = None,
    update: Sequence[str] = (),
) -> None:
    """Insert (or add to) one row per item, in the fastest way per dialect.

    `row` gives an item's column values as Python objects (for PostgreSQL), `sqlite_row` in
    SQLite's storage form.
    """
    if not items:
        return
    conn = await session.connection()
    if dialect_name(session) == "sqlite":
        converted: list[tuple[Any, ...]] = []
        for start in range(0, len(items), CHUNK):
            if start:
                await _pause()
            converted.extend(map(sqlite_row, items[start : start + CHUNK]))
        insert = _sqlite_insert(table, columns, conflict, update)
        await _execute_sqlite_rows(conn, insert, converted)
        return
    statement = text(_pg_statement(table, columns, conflict, update))
    if conflict:  # items are (key, counts…): upserts lock their rows in key order
        items = sorted(items, key=lambda item: _lock_order(item[0]))  # type: ignore[index]
    for start in range(0, len(items), PG_CHUNK):
        if start:
            await _pause()
        rows = [row(item) for item in items[start : start + PG_CHUNK]]
        arrays = {name: [values[i] for values in rows] for i, name in enumerate(columns)}
        await conn.execute(statement, arrays)


# --- the batch -------------------------------------------------------------------------------


async def tune_connection(session: AsyncSession) -> None:
    """SQLite: give the writing connection a page cache that holds a day of visitor keys, and
    checkpoint its write-ahead log less often.

    SQLite's default cache (2 MB) makes the random inserts into `scan_visitors` read pages
    from the OS over and over. Both settings belong to the connection, so they are made once
    per connection.
    """
    if dialect_name(session) != "sqlite":
        return
    conn = await session.connection()
    if not conn.info.get("xqr_scan_cache"):
        await conn.exec_driver_sql(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
        await conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_PAGES}")
        await conn.exec_driver_sql(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        # A transaction that cannot get the write lock soon fails and is retried (its scans
        # wait in the journal), rather than holding up a shutdown for the default 30 s.
        await conn.exec_driver_sql(f"PRAGMA busy_timeout={WRITER_BUSY_TIMEOUT_MS}")
        conn.info["xqr_scan_cache"] = True


async def insert_events(session: AsyncSession, scans: Sequence[EnrichedScan]) -> None:
    if dialect_name(session) == "sqlite":
        await _insert_events_sqlite(session, scans)
        return
    await _write_rows(session, "scan_events", EVENT_COLUMNS, scans, row=tuple, sqlite_row=tuple)


# Python's sqlite3 binds None only after looking for an adapter (a failed attribute lookup,
# about a fifth of a row's insert), so the columns that may be NULL are bound as '' (never a
# stored value of theirs: a hex UUID, a host name) and turned back into NULL by SQLite.
_NULLABLE_EVENT_COLUMNS = ("parent_id", "referrer_host")
_INSERT_EVENTS_SQLITE = _SQLiteInsert(
    f"INSERT INTO scan_events ({', '.join(EVENT_COLUMNS)})",
    "("
    + ", ".join(
        "NULLIF(?, '')" if c in _NULLABLE_EVENT_COLUMNS else "NULLIF(?, -1)" if c == "rule" else "?"
        for c in EVENT_COLUMNS
    )
    + ")",
)


async def _insert_events_sqlite(session: AsyncSession, scans: Sequence[EnrichedScan]) -> None:
    if not scans:
        return
    conn = await session.connection()
    values = _SQLiteValues()
    hexes, to_hex = values.hexes, values.uuid
    to_time = sqlite_datetime
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(scans), CHUNK):
        if start:
            await _pause()
        rows += [
            (
                to_time(at),
                hexes.get(id(workspace)) or to_hex(workspace),
                kind,
                hexes.get(id(target)) or to_hex(target),
                "" if parent is None else to_hex(parent),
                country,
                device,
                browser,
                os,
                referrer or "",
                source,
                visitor,
                expired,
                -1 if rule is None else rule,
            )
            for (
                at,
                workspace,
                kind,
                target,
                parent,
                country,
                device,
                browser,
                os,
                referrer,
                source,
                visitor,
                expired,
                rule,
            ) in scans[start : start + CHUNK]
        ]
    await _execute_sqlite_rows(conn, _INSERT_EVENTS_SQLITE, rows)


async def upsert_facts(
    session: AsyncSession, facts: Sequence[tuple[FactKey, int]], targets: dict[uuid.UUID, Target]
) -> None:
    """Add to `scan_rollups`; `targets` gives each target's workspace and kind."""
    values = _SQLiteValues()

    def row(item: tuple[FactKey, int]) -> tuple[Any, ...]:
        key, n = item
        info = targets[key[0]]
        return (*key, info.workspace_id, info.kind, n)

    def sqlite_row(item: tuple[FactKey, int]) -> tuple[Any, ...]:
        (target, hour, *facets), n = item
        info = targets[target]
        return (
            values.uuid(target),
            values.bucket(hour),
            *facets,
            values.uuid(info.workspace_id),
            info.kind,
            n,
        )

    await _write_rows(
        session,
        "scan_rollups",
        (*FACT_KEY, "workspace_id", "kind", "scans"),
        facts,
        row=row,
        sqlite_row=sqlite_row,
        conflict=FACT_KEY,
        update=("scans",),
    )


async def upsert_breakdowns(
    session: AsyncSession, counts: Sequence[tuple[BreakdownKey, int]]
) -> None:
    values = _SQLiteValues()

    def row(item: tuple[BreakdownKey, int]) -> tuple[Any, ...]:
        return (*item[0], item[1])

    def sqlite_row(item: tuple[BreakdownKey, int]) -> tuple[Any, ...]:
        (target, day, dim, value), n = item
        return (values.uuid(target), values.day(day), dim, value, n)

    await _write_rows(
        session,
        "scan_breakdowns",
        (*BREAKDOWN_KEY, "scans"),
        counts,
        row=row,
        sqlite_row=sqlite_row,
        conflict=BREAKDOWN_KEY,
        update=("scans",),
    )


async def upsert_totals(
    session: AsyncSession,
    totals: Sequence[tuple[TotalKey, int, int]],
    targets: dict[uuid.UUID, Target],
) -> None:
    """Add to `scan_totals`; `targets` gives each target's parent."""
    values = _SQLiteValues()

    def row(item: tuple[TotalKey, int, int]) -> tuple[Any, ...]:
        key, scans, visitors = item
        return (*key, targets[key[4]].parent_id, scans, visitors)

    def sqlite_row(item: tuple[TotalKey, int, int]) -> tuple[Any, ...]:
        (workspace, kind, grain, bucket, target), scans, visitors = item
        return (
            values.uuid(workspace),
            kind,
            grain,
            values.bucket(bucket),
            values.uuid(target),
            values.uuid(targets[target].parent_id),
            scans,
            visitors,
        )

    await _write_rows(
        session,
        "scan_totals",
        (*TOTAL_KEY, "parent_id", "scans", "visitors"),
        totals,
        row=row,
        sqlite_row=sqlite_row,
        conflict=TOTAL_KEY,
        update=("scans", "visitors"),
    )


async def upsert_dimensions(
    session: AsyncSession, counts: Sequence[tuple[DimensionKey, int]]
) -> None:
    values = _SQLiteValues()

    def row(item: tuple[DimensionKey, int]) -> tuple[Any, ...]:
        return (*item[0], item[1])

    def sqlite_row(item: tuple[DimensionKey, int]) -> tuple[Any, ...]:
        (workspace, kind, dim, grain, bucket, value), n = item
        return (values.uuid(workspace), kind, dim, grain, values.bucket(bucket), value, n)

    await _write_rows(
        session,
        "scan_dimensions",
        (*DIMENSION_KEY, "scans"),
        counts,
        row=row,
        sqlite_row=sqlite_row,
        conflict=DIMENSION_KEY,
        update=("scans",),
    )


async def insert_visitors(
    session: AsyncSession, keys: Sequence[VisitorKey], memory: VisitorMemory | None = None
) -> list[VisitorKey]:
    """Insert visitor-days; returns the ones that were not stored yet.

    Keys `memory` knows are stored are skipped; the rest are remembered once the session
    commits.
    """
    if memory is not None:
        candidates: list[VisitorKey] = []
        for _ in memory.unknown(keys, candidates):
            await _pause()
        on_commit(session, lambda: memory.remember(candidates))
        if len(memory) and dialect_name(session) == "sqlite":
            return await _insert_visitors_sqlite_expecting_new(session, candidates)
        keys = candidates
    if not keys:
        return []
    conn = await session.connection()
    if dialect_name(session) == "sqlite":
        return await _insert_visitors_sqlite(conn, keys)
    statement = text(
        _pg_statement("scan_visitors", VISITOR_KEY, VISITOR_KEY, ())
        + " RETURNING day, visitor, scope_id, kind"
    )
    keys = sorted(keys, key=_lock_order)  # see `_lock_order`
    new: list[VisitorKey] = []
    for start in range(0, len(keys), PG_CHUNK):
        if start:
            await _pause()
        chunk = keys[start : start + PG_CHUNK]
        arrays = {name: [key[i] for key in chunk] for i, name in enumerate(VISITOR_KEY)}
        result = await conn.execute(statement, arrays)
        new.extend((r[0], r[1], r[2], r[3]) for r in result.all())
    return new


async def _insert_visitors_sqlite_expecting_new(
    session: AsyncSession, keys: Sequence[VisitorKey]
) -> list[VisitorKey]:
    """Keys a warm memory does not know are almost always new: insert them with plain
    multi-row statements and check the row count. Should some be stored already (another
    process, a restart), undo to a savepoint and take the exact, slower way."""
    if not keys:
        return []
    conn = await session.connection()
    values = _SQLiteValues()
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(keys), CHUNK):
        if start:
            await _pause()
        rows.extend(
            (values.day(day), visitor, values.uuid(scope), kind)
            for day, visitor, scope, kind in keys[start : start + CHUNK]
        )
    await conn.exec_driver_sql("SAVEPOINT scan_visitors")
    insert = _sqlite_insert("scan_visitors", VISITOR_KEY, VISITOR_KEY, ())
    if await _execute_sqlite_rows(conn, insert, rows) == len(rows):
        await conn.exec_driver_sql("RELEASE scan_visitors")
        return list(keys)
    await conn.exec_driver_sql("ROLLBACK TO scan_visitors")
    await conn.exec_driver_sql("RELEASE scan_visitors")
    return await _insert_visitors_sqlite(conn, keys)


async def _insert_visitors_sqlite(
    conn: AsyncConnection, keys: Sequence[VisitorKey]
) -> list[VisitorKey]:
    # executemany cannot return rows, so chunks of multi-row VALUES … RETURNING.
    values = _SQLiteValues()
    new: list[VisitorKey] = []
    for start in range(0, len(keys), SQLITE_RETURNING_CHUNK):
        if start:
            await _pause()
        chunk = keys[start : start + SQLITE_RETURNING_CHUNK]
        stored = {
            (values.day(day), visitor, values.uuid(scope), kind): key
            for key in chunk
            for day, visitor, scope, kind in (key,)
        }
        marks = ", ".join(["(?, ?, ?, ?)"] * len(stored))
        statement = (
            f"INSERT INTO scan_visitors ({', '.join(VISITOR_KEY)}) VALUES {marks} "  # noqa: S608
            "ON CONFLICT DO NOTHING RETURNING day, visitor, scope_id, kind"
        )
        flat = tuple(itertools.chain.from_iterable(stored))
        result = await conn.exec_driver_sql(statement, flat)
        new.extend(stored[tuple(row)] for row in result.all())  # type: ignore[index]
    return new


# --- retention -------------------------------------------------------------------------------

PRUNE_CHUNK = 20_000


async def prune_events(session: AsyncSession, before: datetime, after_id: int = 0) -> PruneStep:
    """Delete the events from before `before` among the next `PRUNE_CHUNK` stored after
    event `after_id`, in the order they were stored.

    Events are stored in about the order they happen, so the oldest come first; a caller
    goes on from `last_id` while a chunk still holds some (see `xqr.scans.retention`).
    """
    chunk = (
        select(ScanEvent.id)
        .where(ScanEvent.id > after_id)
        .order_by(ScanEvent.id)
        .limit(PRUNE_CHUNK)
        .subquery()
    )
    last = (await session.execute(select(func.max(chunk.c.id)))).scalar()
    if last is None:
        return PruneStep(0, None)
    result = await session.execute(
        delete(ScanEvent).where(
            ScanEvent.id > after_id, ScanEvent.id <= last, ScanEvent.occurred_at < before
        )
    )
    return PruneStep(int(result.rowcount or 0), int(last))  # type: ignore[attr-defined]


class PruneStep(NamedTuple):
    deleted: int
    last_id: int | None  # the last event looked at; None: there are no more


async def prune_visitors(session: AsyncSession, before: date) -> int:
    """Delete the visitor rows of UTC days before `before` (the rollups keep their counts)."""
    result = await session.execute(delete(ScanVisitor).where(ScanVisitor.day < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- the journal's stored position -------------------------------------------------------------


async def journal_position(session: AsyncSession, journal_id: str) -> int:
    """The last sequence number of journal `journal_id` stored (0: none yet)."""
    found = await session.scalar(
        select(ScanJournalPosition.position).where(ScanJournalPosition.journal_id == journal_id)
    )
    return int(found or 0)


async def store_journal_position(
    session: AsyncSession, journal_id: str, position: int, now: datetime
) -> None:
    """Record, in the batch's transaction, that the journal is stored up to `position`."""
    updated = await session.execute(
        update(ScanJournalPosition)
        .where(ScanJournalPosition.journal_id == journal_id)
        .values(position=position, updated_at=now)
    )
    if not getattr(updated, "rowcount", 0):
        await session.execute(
            insert(ScanJournalPosition).values(
                journal_id=journal_id, position=position, updated_at=now
            )
        )


async def checkpoint_wal(engine: AsyncEngine) -> None:
    """SQLite: copy the write-ahead log back into the database and truncate it to nothing
    (outside any transaction; readers in flight just make it partial, which is harmless)."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        await cursor.close()


# --- label rollups -----------------------------------------------------------------------------

# Held by every batch transaction (shared) and by a label rebuild (exclusive) on PostgreSQL, so
# a rebuild reads every batch that counted the label's old links, and no batch commits
# counts that a rebuild missed. SQLite runs one writing transaction at a time anyway.
_LABEL_LOCK = 0x78717252  # "xqrR"


async def hold_labels_shared(session: AsyncSession) -> None:
    if dialect_name(session) == "postgresql":
        await session.execute(text(f"SELECT pg_advisory_xact_lock_shared({_LABEL_LOCK})"))


async def hold_labels_exclusive(session: AsyncSession) -> None:
    if dialect_name(session) == "postgresql":
        await session.execute(text(f"SELECT pg_advisory_xact_lock({_LABEL_LOCK})"))


LabelRow = tuple[str, str, datetime, str, int]  # dim, grain, bucket, value, scans


async def label_rows(session: AsyncSession, link_ids: Any) -> list[LabelRow]:
    """The `scan_dimensions` rows (dim, grain, bucket, value, scans) of a label whose links are
    `link_ids` (a query of link ids): its links' hourly facts and first-of-the-day visitors
    added up per hour, then per UTC day (as the writer derives days from hours)."""
    r, t = ScanRollup.__table__.c, ScanTotal.__table__.c
    ids = link_ids.scalar_subquery()
    facts = {
        "country": r.country,
        "device": r.device_type,
        "browser": r.browser,
        "os": r.os,
        "source": r.source,
    }
    parts: list[Any] = [
        select(
            literal(dim).label("dim"), r.hour.label("bucket"), column.label("value"), r.scans
        ).where(r.target_id.in_(ids))
        for dim, column in facts.items()
    ]
    parts.append(select(literal("total"), r.hour, literal(""), r.scans).where(r.target_id.in_(ids)))
    parts.append(
        select(literal("visitors"), t.bucket, literal(""), t.visitors).where(
            t.target_id.in_(ids), t.grain == "h", t.visitors > 0
        )
    )
    rows = union_all(*parts).subquery()
    result = await session.execute(
        select(rows.c.dim, rows.c.bucket, rows.c.value, func.sum(rows.c.scans)).group_by(
            rows.c.dim, rows.c.bucket, rows.c.value
        )
    )
    found: list[LabelRow] = []
    days: dict[tuple[str, datetime, str], int] = {}
    for dim, hour, value, n in result.all():
        found.append((dim, "h", hour, value, int(n)))
        key = (dim, day_of(hour), value)
        days[key] = days.get(key, 0) + int(n)
    found.extend((dim, "d", day, value, n) for (dim, day, value), n in days.items())
    return found


async def replace_label_rows(
    session: AsyncSession, scope: uuid.UUID, rows: Sequence[LabelRow]
) -> None:
    """Replace a label's `scan_dimensions` rows (workspace column `scope`, kind `label`)."""
    d = ScanDimension.__table__.c
    await session.execute(
        delete(ScanDimension).where(d.workspace_id == scope, d.kind == LABEL_KIND)
    )
    for start in range(0, len(rows), 5000):
        await session.execute(
            insert(ScanDimension),
            [
                {
                    "workspace_id": scope,
                    "kind": LABEL_KIND,
                    "dim": dim,
                    "grain": grain,
                    "bucket": bucket,
                    "value": value,
                    "scans": n,
                }
                for dim, grain, bucket, value, n in rows[start : start + 5000]
            ],
        )
