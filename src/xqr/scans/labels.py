"""Rollups per label: a label's scans kept as its own `scan_dimensions` rows (kind `label`).

Analytics of a label would otherwise add up each of its links' rollups, a cost that grows
with the links it covers. The scan writer adds each batch's scans to the rows of their links'
labels (`xqr.scans.aggregate.Rollups.derive`), as it does to their workspace's. When a label's
set of links changes (a link gains or loses it, or is deleted), the links service lists the
label in `label_changes`; until the writer has rebuilt its rows from its links' rollups,
analytics count its links one by one, so an answer is never wrong, only slower for a moment.

On PostgreSQL a batch holds a shared advisory lock and a rebuild an exclusive one: a rebuild
sees every batch committed before it, and a batch after it sees the new set of links. A batch
that read a label's old set of links counts it under a label that is listed for a rebuild,
which replaces those rows.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from xqr.db.engine import dialect_name
from xqr.links import service as links
from xqr.scans import repository
from xqr.scans.aggregate import Target, label_scope

logger = logging.getLogger("xqr.scans")

REBUILDS_PER_PASS = 20


async def label_scopes(
    session: AsyncSession, targets: Mapping[uuid.UUID, Target]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The label scopes whose rows each link of the batch adds to."""
    link_ids = [target for target, about in targets.items() if about.kind == "link"]
    if not link_ids:
        return {}
    found = await links.labels_of_links(session, link_ids)
    return {
        link_id: [label_scope(targets[link_id].workspace_id, label) for label in labels]
        for link_id, labels in found.items()
    }


async def rebuild_changed(
    sessionmaker: async_sessionmaker[AsyncSession],
    read_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> int:
    """Rebuild the rows of labels whose links changed (up to `REBUILDS_PER_PASS`, one
    transaction each); how many were rebuilt.

    On SQLite the caller must be the process's scan writer between its batches (no batch may
    commit meanwhile): the rows are read in a read transaction, so other writers (the API) wait
    only for the short write of the result, not for the read. On PostgreSQL the exclusive lock
    keeps every batch out, in every process, from the read to the commit."""
    reader = read_sessionmaker or sessionmaker
    async with reader() as session:
        changed = await links.changed_labels(session, limit=REBUILDS_PER_PASS)
    for workspace_id, label, _ in changed:
        async with sessionmaker() as session:
            if dialect_name(session) == "postgresql":
                await repository.hold_labels_exclusive(session)
                found = await _current_rows(session, workspace_id, label)
            else:  # read before the write transaction (BEGIN IMMEDIATE takes the lock)
                async with reader() as reading:
                    found = await _current_rows(reading, workspace_id, label)
            if found is None:  # another process rebuilt it while this one waited
                continue
            version, rows = found
            await repository.replace_label_rows(session, label_scope(workspace_id, label), rows)
            await links.label_rebuilt(session, workspace_id, label, version)
            await session.commit()
    if changed:
        logger.info("rebuilt the scan rollups of %d labels", len(changed))
    return len(changed)


async def _current_rows(
    session: AsyncSession, workspace_id: uuid.UUID, label: str
) -> tuple[int, list[repository.LabelRow]] | None:
    """The version of the label's listed change and the rows its links add up to now (None:
    no change is listed any more)."""
    version = await links.label_change(session, workspace_id, label)
    if version is None:
        return None
    return version, await repository.label_rows(session, links.label_link_ids(workspace_id, label))


async def rebuild_all_changed(
    sessionmaker: async_sessionmaker[AsyncSession],
    read_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> int:
    """Rebuild until no label waits (scripts, tests; no scan batch may run meanwhile on
    SQLite); how many were rebuilt."""
    total = 0
    while n := await rebuild_changed(sessionmaker, read_sessionmaker):
        total += n
    return total


async def rollups_ready(session: AsyncSession, workspace_id: uuid.UUID, label: str) -> bool:
    """Whether the label's rows count exactly its links now (no rebuild waits)."""
    return await links.label_change(session, workspace_id, label) is None
