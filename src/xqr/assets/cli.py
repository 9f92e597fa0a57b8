"""`xqr assets …`: maintenance of stored assets."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from xqr.assets import service
from xqr.client.cli import upload_asset
from xqr.clitools import out, run, unit_of_work

if TYPE_CHECKING:
    from xqr.context import AppContext

app = typer.Typer(help="Manage stored assets.", no_args_is_help=True)
app.command("upload")(upload_asset)


@app.command("prune-pending")
def prune_pending(
    older_than_hours: Annotated[
        float, typer.Option(help="Remove pending assets created longer ago than this.")
    ] = service.PENDING_TTL.total_seconds() / 3600,
) -> None:
    """Delete uploads never confirmed (pending assets) and any bytes sent for them."""

    async def _prune(ctx: AppContext) -> int:
        async with unit_of_work(ctx) as session:
            return await service.prune_pending(
                session, service.storage_of(ctx), older_than=timedelta(hours=older_than_hours)
            )

    removed = run(_prune)
    out.print(f"Removed {removed} pending asset{'s' if removed != 1 else ''}.")
