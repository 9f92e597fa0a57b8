"""Link queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    Select,
    String,
    Table,
    UnaryExpression,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.db.base import sqlite_datetime
from xqr.db.engine import dialect_name
from xqr.links.models import LabelChange, Link, LinkBatch, LinkChange, LinkLabel


async def get(session: AsyncSession, workspace_id: uuid.UUID, link_id: uuid.UUID) -> Link | None:
    return await session.scalar(
        select(Link).where(Link.id == link_id, Link.workspace_id == workspace_id)
    )


async def get_many(
    session: AsyncSession, workspace_id: uuid.UUID, link_ids: Sequence[uuid.UUID]
) -> Sequence[Link]:
    rows = await session.scalars(
        select(Link).where(Link.workspace_id == workspace_id, Link.id.in_(list(link_ids)))
    )
    return rows.all()


async def code_taken(
    session: AsyncSession, code: str, *, except_id: uuid.UUID | None = None, domain_key: str = ""
) -> bool:
    query = select(Link.id).where(Link.domain_key == domain_key, Link.code_lower == code.lower())
    if except_id is not None:
        query = query.where(Link.id != except_id)
    return await session.scalar(query.limit(1)) is not None


async def count(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(Link).where(Link.workspace_id == workspace_id)
        )
        or 0
    )


SORTS: dict[str, tuple[UnaryExpression[Any], ...]] = {
    "created": (Link.created_at.desc(), Link.id.desc()),
    "scans": (Link.scan_count.desc(), Link.id.desc()),
    "last_scan": (Link.last_scan_at.desc(), Link.id.desc()),
}
# Each sort backwards, NULLs included (a deep page is read from the other end).
_BACKWARDS: dict[str, tuple[UnaryExpression[Any], ...]] = {
    "created": (Link.created_at.asc(), Link.id.asc()),
    "scans": (Link.scan_count.asc(), Link.id.asc()),
    "last_scan": (Link.last_scan_at.asc(), Link.id.asc()),
}


def _escaped_like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def list_page(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    *,
    label: str | None,
    search: str | None,
    limit: int,
    offset: int,
    enabled: bool | None = None,
    sort: str = "created",
    search_codes: bool = False,
    health: str | None = None,
) -> tuple[Sequence[Link], int]:
    """A page of the workspace's links and how many match. `search` looks in destinations
    (and in short codes with `search_codes`), ignoring case; `sort` is a key of SORTS, newest
    first.

    Stays fast at 100,000 links (`bench/dashboard.py`): the page's ids come from the sort's
    index, which ends with `id`, so a deep page skips index entries rather than rows, and a
    page past the middle is read from the other end, backwards; a label is a probe of
    `link_labels` per link walked, and counted from `link_labels` alone when it is the only
    filter; a search, which must read every destination, reads them once for both the page
    and the count.
    """
    where: list[ColumnElement[bool]] = [Link.workspace_id == workspace_id]
    if label is not None:
        # The label goes into the SQL text: a label on ten links and one on every link need
        # different plans, and PostgreSQL would otherwise reuse one for all of them.
        named = literal(label, String(), literal_execute=True)
        where.append(
            select(LinkLabel.link_id)
            .where(
                LinkLabel.workspace_id == workspace_id,
                LinkLabel.link_id == Link.id,
                LinkLabel.label == named,
            )
            .exists()
        )
    if search:
        pattern = _escaped_like(search)
        # lower() folds beyond ASCII on both databases (xqr.db.engine gives SQLite one)
        matches: ColumnElement[bool] = func.lower(Link.destination).like(pattern, escape="\\")
        if dialect_name(session) == "sqlite":
            # SQLite's LIKE folds ASCII itself: the same answer for an ASCII destination, so
            # the Python lower() runs only for the others.
            beyond_ascii = func.length(Link.destination) < func.length(
                cast(Link.destination, LargeBinary)  # bytes: more than characters
            )
            matches = or_(Link.destination.like(pattern, escape="\\"), and_(beyond_ascii, matches))
        if search_codes:
            matches = or_(matches, Link.code_lower.like(pattern, escape="\\"))
        where.append(matches)
    if enabled is not None:
        where.append(Link.enabled.is_(enabled))
    if health is not None:
        where.append(Link.health_status == health)
    order = SORTS[sort]
    page = select(Link.id).where(*where).order_by(*order).limit(limit).offset(offset)
    if search:
        found = (await session.execute(page.add_columns(func.count().over()))).all()
        ids = [row[0] for row in found]
        total = int(found[0][1]) if found else (0 if offset == 0 else await _count(session, where))
    else:
        if label is not None and enabled is None and health is None:  # its own index counts it
            total = await _count_of(
                session,
                select(func.count())
                .select_from(LinkLabel)
                .where(LinkLabel.workspace_id == workspace_id, LinkLabel.label == label),
            )
        else:
            total = await _count(session, where)
        end = min(offset + limit, total)
        if offset > total // 2 and offset < end:  # nearer the end: read it from there
            backwards = (
                select(Link.id)
                .where(*where)
                .order_by(*_BACKWARDS[sort])
                .limit(end - offset)
                .offset(total - end)
            )
            ids = list(reversed((await session.scalars(backwards)).all()))
        else:
            ids = list((await session.scalars(page)).all())
    if not ids:
        return [], total
    rows = await session.scalars(select(Link).where(Link.id.in_(ids)).order_by(*order))
    return rows.all(), total


async def _count(session: AsyncSession, where: list[ColumnElement[bool]]) -> int:
    return await _count_of(session, select(func.count()).select_from(Link).where(*where))


async def _count_of(session: AsyncSession, query: Any) -> int:
    return int(await session.scalar(query) or 0)


async def ids_with_label(
    session: AsyncSession, workspace_id: uuid.UUID, label: str, limit: int
) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(LinkLabel.link_id)
        .where(LinkLabel.workspace_id == workspace_id, LinkLabel.label == label)
        .order_by(LinkLabel.link_id)
        .limit(limit)
    )
    return list(rows.all())


async def labels_in_use(session: AsyncSession, workspace_id: uuid.UUID) -> list[str]:
    """The workspace's distinct labels, A to Z: one index step per label (a recursive query
    from each label to the next), not a read of every (link, label) row."""
    first = (
        select(func.min(LinkLabel.label).label("label"))
        .where(LinkLabel.workspace_id == workspace_id)
        .cte("found", recursive=True)
    )
    following = (
        select(func.min(LinkLabel.label))
        .where(LinkLabel.workspace_id == workspace_id, LinkLabel.label > first.c.label)
        .scalar_subquery()
    )
    found = first.union_all(select(following).where(first.c.label.is_not(None)))
    rows = await session.scalars(
        select(found.c.label).where(found.c.label.is_not(None)).order_by(found.c.label)
    )
    return list(rows.all())


async def first_in_order(session: AsyncSession, workspace_id: uuid.UUID, sort: str) -> Link | None:
    """The workspace's first link in the order of SORTS[sort], without counting the rest."""
    return await session.scalar(
        select(Link).where(Link.workspace_id == workspace_id).order_by(*SORTS[sort]).limit(1)
    )


async def iterate(session: AsyncSession, workspace_id: uuid.UUID) -> Sequence[Link]:
    rows = await session.scalars(
        select(Link).where(Link.workspace_id == workspace_id).order_by(Link.created_at)
    )
    return rows.all()


async def iterate_records(session: AsyncSession, workspace_id: uuid.UUID) -> Sequence[Any]:
    """The columns a listing of every link reads, as rows with attributes, oldest first: no
    ORM objects, and no routing rules, previews or UTM to decode (a report of 100,000 links)."""
    rows = await session.execute(
        select(
            Link.id,
            Link.code,
            Link.domain_key,
            Link.destination,
            Link.labels,
            Link.enabled,
            Link.created_at,
        )
        .where(Link.workspace_id == workspace_id)
        .order_by(Link.created_at)
    )
    return rows.all()


async def set_labels(session: AsyncSession, link: Link, labels: list[str]) -> None:
    await session.execute(delete(LinkLabel).where(LinkLabel.link_id == link.id))
    session.add_all(
        LinkLabel(link_id=link.id, label=label, workspace_id=link.workspace_id) for label in labels
    )


async def mark_labels_changed(
    session: AsyncSession, workspace_id: uuid.UUID, labels: Sequence[str]
) -> None:
    """Note that these labels' sets of links changed (their scan rollups need rebuilding)."""
    if not labels:
        return
    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    statement = insert(LabelChange).on_conflict_do_update(
        index_elements=[LabelChange.workspace_id, LabelChange.label],
        set_={"version": LabelChange.version + 1},
    )
    await session.execute(
        statement,
        [{"workspace_id": workspace_id, "label": label, "version": 1} for label in labels],
    )


async def changed_labels(session: AsyncSession, limit: int) -> list[tuple[uuid.UUID, str, int]]:
    """(workspace, label, version) of labels waiting for a rollup rebuild."""
    rows = await session.execute(
        select(LabelChange.workspace_id, LabelChange.label, LabelChange.version).limit(limit)
    )
    return [(w, label, int(v)) for w, label, v in rows.all()]


async def label_change(session: AsyncSession, workspace_id: uuid.UUID, label: str) -> int | None:
    """The version of the label's listed change (None: not listed)."""
    found = await session.scalar(
        select(LabelChange.version).where(
            LabelChange.workspace_id == workspace_id, LabelChange.label == label
        )
    )
    return None if found is None else int(found)


async def forget_label_change(
    session: AsyncSession, workspace_id: uuid.UUID, label: str, version: int
) -> None:
    """The rebuild that saw `version` is done (a newer change stays listed)."""
    await session.execute(
        delete(LabelChange).where(
            LabelChange.workspace_id == workspace_id,
            LabelChange.label == label,
            LabelChange.version == version,
        )
    )


def label_link_ids(workspace_id: uuid.UUID, label: str) -> Select[uuid.UUID]:
    return select(LinkLabel.link_id).where(
        LinkLabel.workspace_id == workspace_id, LinkLabel.label == label
    )


async def labels_of(
    session: AsyncSession, link_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str]]:
    """(link, label) of the given links."""
    rows = await session.execute(
        select(LinkLabel.link_id, LinkLabel.label).where(LinkLabel.link_id.in_(list(link_ids)))
    )
    return [(link_id, label) for link_id, label in rows.all()]


async def log_change(session: AsyncSession, *codes: str) -> None:
    session.add_all(LinkChange(code=code) for code in codes)


async def add_scans(
    session: AsyncSession, counts: dict[uuid.UUID, tuple[int, datetime]]
) -> dict[uuid.UUID, tuple[int, str, uuid.UUID]]:
    """Add scan counts in one statement; the links' new (scan_count, code, workspace)."""
    if dialect_name(session) == "sqlite":
        return await _add_scans_sqlite(session, counts)
    table: Table = Link.__table__  # type: ignore[assignment]
    latest = bindparam("b_latest", type_=Link.last_scan_at.type)
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            scan_count=table.c.scan_count + bindparam("b_n"),
            last_scan_at=case(
                (or_(table.c.last_scan_at.is_(None), table.c.last_scan_at < latest), latest),
                else_=table.c.last_scan_at,
            ),
            updated_at=table.c.updated_at,  # a scan is not an edit: no `onupdate` here
        ),
        [{"b_id": link_id, "b_n": n, "b_latest": at} for link_id, (n, at) in counts.items()],
    )
    rows = await session.execute(
        select(Link.id, Link.scan_count, Link.code, Link.workspace_id).where(
            Link.id.in_(list(counts))
        )
    )
    return {r[0]: (int(r[1]), str(r[2]), r[3]) for r in rows.all()}


async def _add_scans_sqlite(
    session: AsyncSession, counts: dict[uuid.UUID, tuple[int, datetime]]
) -> dict[uuid.UUID, tuple[int, str, uuid.UUID]]:
    """One `UPDATE … FROM (VALUES …) RETURNING` with values in SQLite's storage form: the
    scan writer calls this for every link of every batch, and an `executemany` through the
    ORM plus a `SELECT` cost about 60 µs a link."""
    values: list[Any] = []
    for link_id, (n, latest) in counts.items():
        values += (link_id.hex, n, sqlite_datetime(latest))
    rows = ", ".join(["(?, ?, ?)"] * len(counts))
    statement = (
        "UPDATE links SET scan_count = links.scan_count + v.column2, "  # noqa: S608 (only ?s)
        "last_scan_at = CASE WHEN links.last_scan_at IS NULL OR links.last_scan_at < v.column3 "
        "THEN v.column3 ELSE links.last_scan_at END "
        f"FROM (VALUES {rows}) AS v WHERE links.id = v.column1 "
        "RETURNING links.id, links.scan_count, links.code, links.workspace_id"
    )
    conn = await session.connection()
    result = await conn.exec_driver_sql(statement, tuple(values))
    after: dict[uuid.UUID, tuple[int, str, uuid.UUID]] = {}
    for row in result.all():
        link_id, scan_count, code, workspace_id = tuple(row)
        after[uuid.UUID(hex=link_id)] = (int(scan_count), str(code), uuid.UUID(hex=workspace_id))
    return after


async def get_batch(
    session: AsyncSession, workspace_id: uuid.UUID, batch_id: uuid.UUID
) -> LinkBatch | None:
    return await session.scalar(
        select(LinkBatch).where(LinkBatch.id == batch_id, LinkBatch.workspace_id == workspace_id)
    )


async def claim_health_checks(
    session: AsyncSession, checked_before: datetime, now: datetime, limit: int
) -> list[tuple[uuid.UUID, str, list[dict[str, Any]]]]:
    """Enabled links last checked before `checked_before` (or never), claimed by setting their
    check time to `now`: a link another worker claimed first is left out."""
    due = or_(Link.health_checked_at.is_(None), Link.health_checked_at < checked_before)
    rows = (
        await session.execute(
            select(Link.id, Link.destination, Link.routing_rules, Link.health_checked_at)
            .where(Link.enabled.is_(True), due)
            .order_by(Link.health_checked_at.is_not(None), Link.health_checked_at)
            .limit(limit)
        )
    ).all()
    claimed: list[tuple[uuid.UUID, str, list[dict[str, Any]]]] = []
    for link_id, destination, rules, seen in rows:
        still_due = (
            Link.health_checked_at.is_(None) if seen is None else Link.health_checked_at == seen
        )
        result = await session.execute(
            update(Link)
            .where(Link.id == link_id, still_due)
            .values(health_checked_at=now, updated_at=Link.updated_at)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            claimed.append((link_id, destination, list(rules or [])))
    return claimed


async def set_health(
    session: AsyncSession,
    link_id: uuid.UUID,
    status: str,
    code: int | None,
    reason: str | None,
    checked_at: datetime,
) -> tuple[Link, str] | None:
    """Store a link's health (not an edit: `updated_at` stays); the link and its previous
    status, or None when the link is gone."""
    query = select(Link.health_status).where(Link.id == link_id)
    if dialect_name(session) != "sqlite":
        query = query.with_for_update()
    previous = await session.scalar(query)
    if previous is None:
        return None
    await session.execute(
        update(Link)
        .where(Link.id == link_id)
        .values(
            health_status=status,
            health_code=code,
            health_reason=reason,
            health_checked_at=checked_at,
            updated_at=Link.updated_at,
        )
        .execution_options(synchronize_session=False)
    )
    link = await session.get(Link, link_id, populate_existing=True)
    if link is None:
        return None
    return link, previous
