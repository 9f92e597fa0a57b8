"""`xqr dev seed-scans`: realistic scans through the real ingest path, for demos and benchmarks.

Synthetic raw scans (`xqr.scans.synthetic`) go through the same `Enricher` and `write_batch`
as the buffered writer's, in large transactions, so every table, counter and webhook event is
exactly what live traffic would have produced.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from xqr.context import AppContext
from xqr.core.clock import utcnow
from xqr.links.schemas import LinkCreate
from xqr.links.service import CreatingMany, LinkRules, create_link, list_links
from xqr.scans.enricher import Enricher
from xqr.scans.enrichment import warm_up
from xqr.scans.synthetic import SyntheticTraffic
from xqr.scans.visitors import VisitorMemory
from xqr.scans.writer import collector_paused, cooperate_enrich, write_batch
from xqr.workspaces.service import get_workspace, tenant_for

SEED_LABEL = "seed"
LINKS_PER_COMMIT = 1000


@dataclass
class SeedResult:
    links: int
    generated: int
    written: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.written / self.seconds if self.seconds else 0.0


async def seed_links(ctx: AppContext, workspace_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    """`count` links of the workspace: its oldest existing ones, then new ones labelled seed."""
    rules = LinkRules.from_settings(ctx.settings)
    async with ctx.sessionmaker() as session:
        tenant = tenant_for(await get_workspace(session, workspace_id), ctx.plans)
        existing, total = await list_links(
            session, tenant, label=None, search=None, limit=count, offset=0
        )
        ids = [link.id for link in existing]
    while len(ids) < count:
        async with ctx.sessionmaker() as session:
            many = await CreatingMany.begin(session, tenant)  # one count a commit, not a link
            for _ in range(min(LINKS_PER_COMMIT, count - len(ids))):
                body = LinkCreate(
                    url=f"https://example.com/campaign/{len(ids) + total}", labels=[SEED_LABEL]
                )
                ids.append((await create_link(session, tenant, rules, body, many=many)).id)
            await session.commit()
    return ids


async def seed_scans(
    ctx: AppContext,
    workspace_id: uuid.UUID,
    *,
    links: int,
    events: int,
    days: float = 90,
    seed: int = 0,
    batch: int = 20_000,
    progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Write `events` realistic scans over the last `days` days across `links` links."""
    link_ids = await seed_links(ctx, workspace_id, links)
    end = utcnow()
    traffic = SyntheticTraffic(
        workspace_id,
        link_ids,
        seed=seed,
        visitors=max(1_000, int(events / max(days, 1))),
    )
    enricher = Enricher(ctx.settings.secret)
    visitors = VisitorMemory()
    warm_up()
    generated = written = 0
    started = time.perf_counter()
    for raw in traffic.scans(events, end - timedelta(days=days), end, chunk=batch):
        with collector_paused():
            enriched = await cooperate_enrich(enricher, raw)
            async with ctx.sessionmaker() as session:
                await write_batch(session, enriched, visitors)
                await session.commit()
        generated += len(raw)
        written += len(enriched)
        if progress is not None:
            progress(generated, events)
    return SeedResult(len(link_ids), generated, written, time.perf_counter() - started)
