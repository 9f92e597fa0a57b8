"""Generate the SDK's synchronous modules from their async originals (as httpcore does).

`python scripts/unasync.py` rewrites `src/xqr/client/_sync_*.py`; `--check` exits 1 when
they are stale (tests/client/test_unasync.py runs the same check).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "src" / "xqr" / "client"
PAIRS = {"_async_client.py": "_sync_client.py", "_async_resources.py": "_sync_resources.py"}
RUFF = Path(sys.executable).parent / "ruff"

# Applied in order to every line of the async module.
SUBSTITUTIONS: list[tuple[str, str]] = [
    (r"\basync def\b", "def"),
    (r"\basync with\b", "with"),
    (r"\basync for\b", "for"),
    (r"\bawait ", ""),
    (r"\b_async_(client|resources)\b", r"_sync_\1"),
    (r"\bimport asyncio\b", "import time"),
    (r"\basyncio\.sleep\b", "time.sleep"),
    (r"\bhttpx\.AsyncBaseTransport\b", "httpx.BaseTransport"),
    (r"\.aclose\(\)", ".close()"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\bAsync(?=[A-Z])", ""),
    (
        r"Edit this module, not its generated synchronous twin",
        "Generated from its asynchronous twin: edit that one, not this module",
    ),
]


def unasync(source: str, origin: str) -> str:
    lines = []
    for line in source.splitlines(keepends=True):
        for pattern, replacement in SUBSTITUTIONS:
            line = re.sub(pattern, replacement, line)
        lines.append(line)
    text = "".join(lines)
    header = f"# Generated from {origin} by scripts/unasync.py: do not edit.\n"
    return _format(header + text)


def _format(text: str) -> str:
    result = subprocess.run(
        [str(RUFF), "format", "--stdin-filename", "generated.py", "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    fixed = subprocess.run(
        [
            str(RUFF),
            "check",
            "--fix",
            "--select",
            "I,F401,UP028",
            "--unsafe-fixes",
            "--stdin-filename",
            "generated.py",
        ],
        input=result.stdout,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return fixed.stdout or result.stdout


def generated() -> dict[Path, str]:
    return {
        CLIENT / target: unasync((CLIENT / origin).read_text(), origin)
        for origin, target in PAIRS.items()
    }


def main(argv: list[str]) -> int:
    stale = [path for path, text in generated().items() if _read(path) != text]
    if "--check" in argv:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is stale: run python scripts/unasync.py")
        return 1 if stale else 0
    for path, text in generated().items():
        path.write_text(text)
    return 0


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
