"""Docs stay true: generated sections are current, and every code, scope and plan is described."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from xqr.auth.scopes import SCOPES
from xqr.core.errors import ERROR_CODES
from xqr.workspaces.plans import LIMIT_LABELS, PLAN_ORDER

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_generated_docs_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr + " — run scripts/gen_docs.py"


def test_every_error_code_is_documented() -> None:
    text = (DOCS / "errors.md").read_text()
    for code, spec in ERROR_CODES.items():
        assert re.search(rf"\| `{code}` \| {spec.status} \|", text), code


def test_every_scope_is_documented() -> None:
    text = (DOCS / "authentication.md").read_text()
    for scope in SCOPES:
        assert f"| `{scope}` |" in text, scope


def test_every_plan_and_limit_is_documented() -> None:
    text = (DOCS / "plans.md").read_text()
    for plan in PLAN_ORDER:
        assert f"| {plan} |" in text
    for name in LIMIT_LABELS:
        if name != "storage_bytes":
            assert f"`{name}`" in text, name


def test_the_readme_commands_are_make_targets() -> None:
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"^make (\w+)$", readme, flags=re.M):
        assert re.search(rf"^{target}:", makefile, flags=re.M), target
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")


def test_every_docs_link_points_at_a_file() -> None:
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(((?!http)[^)#]+)(?:#[^)]*)?\)", page.read_text()):
            if target.startswith("/"):
                continue
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
