"""`xqr scans prune` and `xqr dev seed-scans`."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from xqr.context import AppContext

app = typer.Typer(help="Scan data: pruning raw events.", no_args_is_help=True)
dev = typer.Typer(help="Development helpers: realistic demo data.", no_args_is_help=True)


@app.command("prune")
def prune(
    older_than_days: Annotated[
        int | None,
        typer.Option(
            min=1, help="Delete raw events older than this many days (default: the retention)."
        ),
    ] = None,
) -> None:
    """Delete raw scan events (and visitor rows) older than XQR_SCAN_RETENTION_DAYS.

    Rollups are kept, so analytics of every period stay complete.
    """
    from xqr.cli import fail, out, run
    from xqr.config import get_settings
    from xqr.core.clock import utcnow
    from xqr.scans.retention import prune as prune_scans

    days = older_than_days or get_settings().scan_retention_days
    if days is None:
        fail("No retention is set: pass --older-than-days or set XQR_SCAN_RETENTION_DAYS.")
        return

    async def _prune(ctx: AppContext) -> int:
        return await prune_scans(ctx.sessionmaker, utcnow() - timedelta(days=days))

    removed = run(_prune)
    out.print(f"Deleted {removed} scan event{'s' if removed != 1 else ''} older than {days} days.")


@dev.command("seed-scans")
def seed_scans(
    workspace: Annotated[str, typer.Option(help="Workspace id.")],
    links: Annotated[int, typer.Option(min=1, help="Links to spread the scans over.")] = 100,
    events: Annotated[int, typer.Option(min=1, help="Scans to generate (~1% are bots).")] = 10_000,
    days: Annotated[float, typer.Option(min=0.01, help="Over this many days up to now.")] = 90,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same scans).")] = 0,
) -> None:
    """Generate realistic scans (countries, devices, hours, sources) through the real ingest.

    Uses the workspace's oldest links, creating links labelled `seed` when it has fewer.
    """
    from xqr.cli import out, parse_uuid, run
    from xqr.scans import seeding

    workspace_id: uuid.UUID = parse_uuid(workspace, "workspace id")
    step = max(events // 20, 1)

    def progress(done: int, total: int) -> None:
        if done % step < 20_000 or done == total:
            out.print(f"  {done:,} / {total:,} scans")

    async def _seed(ctx: AppContext) -> str:
        result = await seeding.seed_scans(
            ctx, workspace_id, links=links, events=events, days=days, seed=seed, progress=progress
        )
        return (
            f"Wrote {result.written:,} scans ({result.generated - result.written:,} bots left "
            f"out) across {result.links:,} links in {result.seconds:.1f} s "
            f"({result.per_second:,.0f} scans/s)."
        )

    out.print(run(_seed))
