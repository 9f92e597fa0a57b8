"""Headless Chromium (Debian's, not a downloaded build) driven by `tests/e2e/browser/drive.mjs`.

Used by the end-to-end bio page tests and by `scripts/bio_screenshots.py`. The node packages
(playwright-core, axe-core) are installed with `npm ci` from the committed lock file, once:
a stamp in `node_modules` remembers which lock file they came from.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

BROWSER_DIR = Path(__file__).resolve().parents[1] / "e2e" / "browser"
DRIVER = BROWSER_DIR / "drive.mjs"
_STAMP = BROWSER_DIR / "node_modules" / ".xqr-lock-sha256"

# A desktop Chrome user agent: headless Chromium's own says "HeadlessChrome", which the scan
# writer rightly counts as a bot.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
PHONE = (390, 844)
DESKTOP = (1280, 800)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_tools() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    if chromium_path() is None:
        return "Chromium is not installed (scripts/test-deps installs it with apt-get as root)"
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are not installed"
    return None


def install_node_packages() -> None:
    """`npm ci` in tests/e2e/browser unless node_modules already matches the lock file.

    Test processes running side by side (pytest-xdist) take turns: one installs, the others
    wait for it and find the stamp."""
    lock = hashlib.sha256((BROWSER_DIR / "package-lock.json").read_bytes()).hexdigest()
    turns = (
        Path(tempfile.gettempdir())
        / f"xqr-npm-ci-{hashlib.sha256(bytes(BROWSER_DIR)).hexdigest()[:12]}.lock"
    )
    with turns.open("w") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)
        if _STAMP.exists() and _STAMP.read_text().strip() == lock:
            return
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=BROWSER_DIR,
            check=True,
            capture_output=True,
            timeout=300,
        )
        _STAMP.write_text(lock)


def drive(steps: list[dict[str, Any]], *, user_agent: str = USER_AGENT) -> list[dict[str, Any]]:
    """Run the steps (see drive.mjs) in one fresh browser profile; their results in order."""
    install_node_packages()
    chromium = chromium_path()
    assert chromium is not None
    plan = {"executablePath": chromium, "userAgent": user_agent, "steps": steps}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(plan, handle)
        plan_path = Path(handle.name)
    try:
        completed = subprocess.run(
            ["node", str(DRIVER), str(plan_path)],
            cwd=BROWSER_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        plan_path.unlink(missing_ok=True)
    if completed.returncode != 0:
        raise RuntimeError(f"the browser driver failed:\n{completed.stderr[-4000:]}")
    results: list[dict[str, Any]] = json.loads(completed.stdout)
    return results
