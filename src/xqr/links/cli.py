"""`xqr links import` / `xqr links export`: CSV in and out through the same service as the API."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from xqr.clitools import err, fail, out, parse_uuid, run, unit_of_work
from xqr.links.csvcells import join_labels, protect_cell, split_labels, unprotect_cell

if TYPE_CHECKING:
    from xqr.context import AppContext

app = typer.Typer(help="Import and export links as CSV.", no_args_is_help=True)

CHUNK = 100
EXPORT_COLUMNS = [
    "url",
    "custom_slug",
    "labels",
    "expires_at",
    "routing_rules",
    "enabled",
    "id",
    "short_url",
    "scan_count",
    "last_scan_at",
    "created_at",
]
# Column names accepted on import, mapped to link fields.
ALIASES = {"destination": "url", "slug": "custom_slug", "short_code": "custom_slug"}
IGNORED_ON_IMPORT = {
    "id",
    "short_url",
    "scan_count",
    "last_scan_at",
    "created_at",
    "updated_at",
    "enabled",
}


def row_to_item(row: dict[str, str | None]) -> dict[str, Any]:
    """A CSV row as a link-create body; empty cells are absent fields."""
    item: dict[str, Any] = {}
    for column, value in row.items():
        if column is None:
            raise ValueError("the row has more cells than the header")
        name = ALIASES.get(column.strip(), column.strip())
        if name in IGNORED_ON_IMPORT or value is None or value.strip() == "":
            continue
        value = unprotect_cell(value.strip())
        if name == "labels":
            item[name] = split_labels(value)
        elif name == "routing_rules":
            try:
                item[name] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"routing_rules is not valid JSON: {exc.msg}") from exc
        else:
            item[name] = value
    return item


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

    from xqr.links import service
    from xqr.links.service import IMPORT_FIELDS, LinkRules
    from xqr.workspaces import service as workspaces

    handle: TextIO = sys.stdin if str(file) == "-" else file.open(newline="", encoding="utf-8-sig")
    with handle:
        reader = csv.DictReader(handle)
        try:
            fieldnames = reader.fieldnames
            if fieldnames is None or "url" not in {
                ALIASES.get(f.strip(), f.strip()) for f in fieldnames
            }:
                fail("the CSV needs a header row with a `url` column")
            unknown = {ALIASES.get(f.strip(), f.strip()) for f in fieldnames or []} - (
                IMPORT_FIELDS | IGNORED_ON_IMPORT
            )
            if unknown:
                fail(f"unknown columns: {', '.join(sorted(unknown))}")
            rows = list(reader)
        except UnicodeDecodeError:
            fail("the file is not UTF-8 text")
        except csv.Error as exc:
            fail(f"line {reader.line_num}: not readable as CSV: {exc}")

    async def _import(ctx: AppContext) -> tuple[int, list[tuple[int, str, str]]]:
        rules = LinkRules.from_settings(ctx.settings)
        failures: list[tuple[int, str, str]] = []
        created = 0
        async with unit_of_work(ctx) as session:
            ws = await workspaces.get_workspace(session, parse_uuid(workspace, "workspace id"))
            tenant = workspaces.tenant_for(ws, ctx.plans)
        columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=err, transient=False) as progress:
            task = progress.add_task("links", total=len(rows))
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                items: list[Any] = []
                for offset, row in enumerate(chunk):
                    try:
                        items.append(row_to_item(row))
                    except ValueError as exc:
                        items.append(None)
                        failures.append((start + offset + 2, "VALIDATION_ERROR", str(exc)))
                valid = [(i, item) for i, item in enumerate(items) if item is not None]
                async with unit_of_work(ctx) as session:
                    links, errors, _ = await service.create_many(
                        session, tenant, rules, [item for _, item in valid], allowed=IMPORT_FIELDS
                    )
                created += len(links)
                for error in errors:
                    line = start + valid[error["index"]][0] + 2  # header is line 1
                    failures.append((line, error["code"], error["message"]))
                progress.advance(task, len(chunk))
        return created, sorted(failures)

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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from xqr.links import service
    from xqr.workspaces import service as workspaces

    async def _export(ctx: AppContext) -> list[dict[str, Any]]:
        async with unit_of_work(ctx) as session:
            ws = await workspaces.get_workspace(session, parse_uuid(workspace, "workspace id"))
            links = await service.all_links(session, workspaces.tenant_for(ws, ctx.plans))
            base = ctx.settings.short_base
            return [service.link_view(link, base).model_dump(mode="json") for link in links]

    views = run(_export)
    handle: TextIO = (
        sys.stdout if str(output) == "-" else output.open("w", newline="", encoding="utf-8")
    )
    try:
        writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        columns = (TextColumn("exporting"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=err, transient=True) as progress:
            for view in progress.track(views, description="links"):
                row = {
                    "url": view["destination"],
                    "custom_slug": view["short_code"],
                    "labels": join_labels(view["labels"]),
                    "expires_at": view["expires_at"] or "",
                    "routing_rules": json.dumps(view["routing_rules"])
                    if view["routing_rules"]
                    else "",
                    "enabled": str(view["enabled"]).lower(),
                    "id": view["id"],
                    "short_url": view["short_url"],
                    "scan_count": view["scan_count"],
                    "last_scan_at": view["last_scan_at"] or "",
                    "created_at": view["created_at"],
                }
                writer.writerow({k: protect_cell(str(v)) for k, v in row.items()})
    finally:
        if handle is not sys.stdout:
            handle.close()
    if str(output) != "-":
        out.print(f"Exported {len(views)} link(s) to {output}.")
