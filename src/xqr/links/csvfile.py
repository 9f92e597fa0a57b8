"""Links as CSV: reading and writing the file, and importing its rows as a tracked batch.

`xqr links import/export` and the dashboard's import and export both use this module, so a
file one of them writes the other reads the same way.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from xqr.links import service
from xqr.links.csvcells import join_labels, protect_cell, split_labels, unprotect_cell
from xqr.links.models import LinkBatch
from xqr.links.schemas import LinkOut
from xqr.links.service import IMPORT_FIELDS, LinkRules
from xqr.workspaces.tenant import Tenant

if TYPE_CHECKING:
    from xqr.context import AppContext

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


class CsvProblem(ValueError):
    """The file as a whole cannot be imported (not CSV, no `url` column, unknown columns)."""


@dataclass
class ImportResult:
    created: int = 0
    # (line in the file, error code, message); the header is line 1
    failures: list[tuple[int, str, str]] = field(default_factory=list)


def read_rows(handle: Iterable[str]) -> list[dict[str, str | None]]:
    """The rows of a links CSV, after checking its header."""
    reader = csv.DictReader(handle)
    try:
        fieldnames = reader.fieldnames
        names = {ALIASES.get(f.strip(), f.strip()) for f in fieldnames or []}
        if fieldnames is None or "url" not in names:
            raise CsvProblem("the CSV needs a header row with a `url` column")
        unknown = names - (IMPORT_FIELDS | IGNORED_ON_IMPORT)
        if unknown:
            raise CsvProblem(f"unknown columns: {', '.join(sorted(unknown))}")
        return list(reader)
    except UnicodeDecodeError:
        raise CsvProblem("the file is not UTF-8 text") from None
    except csv.Error as exc:
        raise CsvProblem(f"line {reader.line_num}: not readable as CSV: {exc}") from None


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


def export_row(view: LinkOut) -> dict[str, str]:
    """A link as a CSV row; cells a spreadsheet would run as formulas are protected."""
    data = view.model_dump(mode="json")
    row = {
        "url": data["destination"],
        "custom_slug": data["short_code"],
        "labels": join_labels(data["labels"]),
        "expires_at": data["expires_at"] or "",
        "routing_rules": json.dumps(data["routing_rules"]) if data["routing_rules"] else "",
        "enabled": str(data["enabled"]).lower(),
        "id": data["id"],
        "short_url": data["short_url"],
        "scan_count": data["scan_count"],
        "last_scan_at": data["last_scan_at"] or "",
        "created_at": data["created_at"],
    }
    return {name: protect_cell(str(value)) for name, value in row.items()}


def write_links(handle: IO[str], views: Iterable[LinkOut]) -> int:
    writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    count = 0
    for view in views:
        writer.writerow(export_row(view))
        count += 1
    return count


async def start_import(ctx: AppContext, tenant: Tenant, total: int) -> LinkBatch:
    """The batch an import reports its progress in (`GET /links/bulk/{id}` shows it too)."""
    async with ctx.sessionmaker() as session:
        batch = LinkBatch(
            workspace_id=tenant.workspace_id, status="processing", total=total, results=[]
        )
        session.add(batch)
        await session.commit()
        return batch


async def import_rows(
    ctx: AppContext,
    tenant: Tenant,
    rows: Sequence[dict[str, str | None]],
    *,
    batch: LinkBatch | None = None,
    on_chunk: Callable[[int], Awaitable[None] | None] | None = None,
) -> ImportResult:
    """Create a link for every valid row, `CHUNK` rows a transaction; with `batch`, its
    counts and per-row results advance in the same transactions."""
    rules = LinkRules.from_settings(ctx.settings)
    result = ImportResult()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        items: list[Any] = []
        results: list[dict[str, Any]] = []
        for offset, row in enumerate(chunk):
            try:
                items.append(row_to_item(row))
            except ValueError as exc:
                items.append(None)
                index = start + offset
                result.failures.append((index + 2, "VALIDATION_ERROR", str(exc)))
                results.append(
                    {
                        "index": index,
                        "status": "failed",
                        "code": "VALIDATION_ERROR",
                        "message": str(exc),
                    }
                )
        valid = [(i, item) for i, item in enumerate(items) if item is not None]
        async with ctx.sessionmaker() as session:
            links, errors, outcomes = await service.create_many(
                session, tenant, rules, [item for _, item in valid], allowed=IMPORT_FIELDS
            )
            for error in errors:
                index = start + valid[error["index"]][0]
                result.failures.append((index + 2, error["code"], error["message"]))
            for outcome in outcomes:
                results.append({**outcome, "index": start + valid[outcome["index"]][0]})
            if batch is not None:
                await service.advance_batch(
                    session,
                    batch.id,
                    succeeded=len(links),
                    failed=len(chunk) - len(links),
                    results=sorted(results, key=lambda r: int(r["index"])),
                    done=start + len(chunk) >= len(rows),
                )
            await session.commit()
        result.created += len(links)
        if on_chunk is not None:
            waited = on_chunk(len(chunk))
            if waited is not None:
                await waited
    if batch is not None and not rows:
        async with ctx.sessionmaker() as session:
            await service.advance_batch(
                session, batch.id, succeeded=0, failed=0, results=[], done=True
            )
            await session.commit()
    result.failures.sort()
    return result
