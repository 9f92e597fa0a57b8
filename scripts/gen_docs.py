"""Regenerate the docs sections derived from code: settings table and CLI reference.

`python scripts/gen_docs.py` rewrites them; `--check` exits 1 when the docs are stale
(the test suite runs the same check).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
import typer.main

from xqr.cli import app
from xqr.config import Settings

ROOT = Path(__file__).resolve().parents[1]
CONFIGURATION = ROOT / "docs" / "configuration.md"
CLI = ROOT / "docs" / "cli.md"
BEGIN, END = "<!-- generated:begin -->", "<!-- generated:end -->"


def settings_table() -> str:
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "—" if default is None or default == "" else f"`{default}`"
        rows.append(f"| `XQR_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows)


def _commands(group: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    found: list[tuple[list[str], Any]] = [(path, group)]
    ctx = typer.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None:
            continue
        if hasattr(command, "list_commands"):
            found.extend(_commands(command, [*path, name]))
        else:
            found.append(([*path, name], command))
    return found


def command_paths() -> list[str]:
    """Every command as typed, e.g. `xqr admin key create`."""
    group = typer.main.get_command(app)
    return [" ".join(["xqr", *path]) for path, _ in _commands(group, [])]


def cli_reference() -> str:
    from typer.testing import CliRunner

    runner = CliRunner()
    group = typer.main.get_command(app)
    sections = []
    for path, _ in _commands(group, []):
        title = " ".join(["xqr", *path])
        result = runner.invoke(
            app,
            [*path, "--help"],
            prog_name="xqr",
            terminal_width=100,
            color=False,
            env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"},
        )
        lines = [line.rstrip() for line in result.output.strip("\n").splitlines()]
        help_text = "\n".join(lines).strip("\n")
        sections.append(f"## `{title}`\n\n```text\n{help_text}\n```")
    return "\n\n".join(sections)


def replace_generated(path: Path, generated: str) -> str:
    text = path.read_text()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{generated}\n{END}{tail}"


TARGETS = {CONFIGURATION: settings_table, CLI: cli_reference}


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for path, build in TARGETS.items():
        updated = replace_generated(path, build())
        if path.read_text() != updated:
            stale.append(path)
            if not check:
                path.write_text(updated)
    if check and stale:
        print("stale generated docs:", ", ".join(str(p) for p in stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
