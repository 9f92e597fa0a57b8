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

from xqr.links import service as links
from xqr.scans import repository
from xqr.scans.aggregate import Target, label_scope

logger = logging.getLogger("xqr.scans")

REBUILDS_PER_TRANSACTION = 20


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


async def rebuild_changed(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Rebuild the rows of labels whose links changed (up to `REBUILDS_PER_TRANSACTION` in one
    transaction); how many were rebuilt."""
    async with sessionmaker() as session:
        if not await links.changed_labels(session, limit=1):
            return 0
    async with sessionmaker() as session:
        await repository.hold_labels_exclusive(session)
        changed = await links.changed_labels(session, limit=REBUILDS_PER_TRANSACTION)
        for workspace_id, label, version in changed:
            await repository.rebuild_label(
                session, label_scope(workspace_id, label), links.label_link_ids(workspace_id, label)
            )
            await links.label_rebuilt(session, workspace_id, label, version)
        await session.commit()
    if changed:
        logger.info("rebuilt the scan rollups of %d labels", len(changed))
    return len(changed)


async def rebuild_all_changed(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Rebuild until no label waits (scripts, tests); how many were rebuilt."""
    total = 0
    while n := await rebuild_changed(sessionmaker):
        total += n
    return total


async def rollups_ready(session: AsyncSession, workspace_id: uuid.UUID, label: str) -> bool:
    """Whether the label's rows count exactly its links now (no rebuild waits)."""
    return not await links.label_changed(session, workspace_id, label)
