"""`xqr links import` / `xqr links export`: CSV in and out through the same service as the API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from xqr.clitools import err, fail, out, parse_uuid, run, unit_of_work

if TYPE_CHECKING:
    from xqr.context import AppContext
    from xqr.links.schemas import LinkOut

app = typer.Typer(help="Import and export links as CSV.", no_args_is_help=True)


@app.command("import")
def import_links(
    file: Annotated[Path, typer.Argument(help="CSV file with a header row; `-` reads stdin.")],
    workspace: Annotated[str, typer.Option(help="Workspace id.")],
) -> None:
    """Create links from a CSV file (columns: url, custom_slug, labels, expires_at, routing_rules).

    `labels` are separated by `|` (a `|` or `\\` inside a label is written `\\|` or `\\\\`);
    `routing_rules` is JSON; one `'` before a cell that would start with `=`, `+`, `-`, `@`
    is removed (export adds it). Each row is validated alone: valid rows are created, the
    others are reported with their line number. Exits 1 if any failed.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from xqr.links import csvfile
    from xqr.workspaces import service as workspaces

    handle: TextIO = sys.stdin if str(file) == "-" else file.open(newline="", encoding="utf-8-sig")
    with handle:
        try:
            rows = csvfile.read_rows(handle)
        except csvfile.CsvProblem as exc:
            fail(str(exc))

    async def _import(ctx: AppContext) -> tuple[int, list[tuple[int, str, str]]]:
        async with unit_of_work(ctx) as session:
            ws = await workspaces.get_workspace(session, parse_uuid(workspace, "workspace id"))
            tenant = workspaces.tenant_for(ws, ctx.plans)
        batch = await csvfile.start_import(ctx, tenant, len(rows))
        columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=err, transient=False) as progress:
            task = progress.add_task("links", total=len(rows))
            result = await csvfile.import_rows(
                ctx, tenant, rows, batch=batch, on_chunk=lambda n: progress.advance(task, n)
            )
        return result.created, result.failures

    created, failures = run(_import)
    out.print(f"Created {created} link(s); {len(failures)} row(s) failed.")
    for line, code, message in failures:
        err.print(f"  line {line}: {code}: {message}")
    if failures:
        raise typer.Exit(1)


@app.command("export")
def export_links(
    workspace: Annotated[str, typer.Option(help="Workspace id.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="CSV file to write; `-` for stdout.")
    ] = Path("-"),
) -> None:
    """Write every link of a workspace as CSV (re-importable with `xqr links import`).

    A cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
    carriage return) is written with a `'` in front; import removes it.
    """
    from xqr.links import csvfile, service
    from xqr.workspaces import service as workspaces

    async def _export(ctx: AppContext) -> list[LinkOut]:
        async with unit_of_work(ctx) as session:
            ws = await workspaces.get_workspace(session, parse_uuid(workspace, "workspace id"))
            links = await service.all_links(session, workspaces.tenant_for(ws, ctx.plans))
            base = ctx.settings.short_base
            return [service.link_view(link, base) for link in links]

    views = run(_export)
    handle: TextIO = (
        sys.stdout if str(output) == "-" else output.open("w", newline="", encoding="utf-8")
    )
    try:
        csvfile.write_links(handle, views)
    finally:
        if handle is not sys.stdout:
            handle.close()
    if str(output) != "-":
        out.print(f"Exported {len(views)} link(s) to {output}.")
