"""Write docs/bio-themes/*.png: every bio page theme at phone size, from a real `xqr serve`.

Run with ``python scripts/bio_screenshots.py`` (`make docs` does). Needs Debian's Chromium
(`scripts/test-deps`), node and npm; the node packages come from tests/e2e/browser.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import bio_showcase, browser  # noqa: E402
from tests.support.server import ServerProcess, xqr_env  # noqa: E402

IMAGES = ROOT / "docs" / "bio-themes"


def main() -> int:
    problem = browser.missing_tools()
    if problem:
        print(f"bio screenshots skipped: {problem}", file=sys.stderr)
        return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xqr-bio-shots-") as folder:
        work = Path(folder)
        env = xqr_env(f"sqlite+aiosqlite:///{work / 'xqr.db'}", work / "data")
        with ServerProcess(env, work) as server:
            key = bio_showcase.bootstrap_key(server)
            names = bio_showcase.themes(server, key)
            pages = bio_showcase.create_pages(server, key, names)
            width, height = browser.PHONE
            steps = [
                {
                    "name": theme,
                    "url": f"{server.url}/bio/{page['slug']}",
                    "width": width,
                    "height": height,
                    "screenshot": str(IMAGES / f"{theme}.png"),
                }
                for theme, page in zip(names, pages, strict=True)
            ]
            for result in browser.drive(steps):
                print(f"docs/bio-themes/{result['name']}.png  ({result['status']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
