"""`xqr` starts without importing what the command at hand does not use."""

from __future__ import annotations

import subprocess
import sys

import pytest

from xqr.cli import LAZY, load_command

SERVER_PACKAGES = ("fastapi", "starlette", "sqlalchemy", "uvicorn", "alembic", "xqr.app")

# Runs `xqr ARGS` in this interpreter, then prints the server packages that were imported.
PROBE = """
import sys
from xqr.cli import main
sys.argv = ["xqr", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    code = exit.code
loaded = [name for name in {packages!r} if name in sys.modules]
print("LOADED:", ",".join(loaded), file=sys.stderr)
sys.exit(code)
"""


def _loaded_by(*args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(packages=SERVER_PACKAGES), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: xqr" in result.stdout
    [line] = [line for line in result.stderr.splitlines() if line.startswith("LOADED:")]
    return [name for name in line.removeprefix("LOADED:").strip().split(",") if name]


@pytest.mark.parametrize(
    "args",
    [["--help"], ["links", "--help"], ["links", "import", "--help"], ["admin", "key", "--help"]],
)
def test_help_imports_none_of_the_server(args: list[str]) -> None:
    assert _loaded_by(*args) == []


@pytest.mark.parametrize("name", sorted(LAZY))
def test_the_listed_summary_is_the_commands_own(name: str) -> None:
    """`xqr --help` shows a summary of each lazily imported command without importing it;
    it must say what the command's own help says first."""
    command = load_command(name)
    assert command.name == name
    assert (command.help or "").split("\n\n")[0].strip() == LAZY[name][1]
