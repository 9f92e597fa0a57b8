"""Check the vendored front-end files against their npm packages (`--update` rewrites them).

Each `VENDORED.md` table row names a file, its npm package and version, the file inside the
package and its SHA-256. The package is fetched with `npm pack` from the npm registry.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLES = [
    ROOT / "src" / "xqr" / "dashboard" / "static" / "vendor" / "VENDORED.md",
    ROOT / "tests" / "support" / "VENDORED.md",
]


def rows(table: Path) -> list[list[str]]:
    found = []
    for line in table.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] not in ("file", "---") and not cells[0].startswith("-"):
            found.append(cells)
    return found


def packed(package: str, version: str, inner: str, work: Path) -> bytes:
    subprocess.run(
        ["npm", "pack", f"{package}@{version}", "--silent"],
        cwd=work,
        check=True,
        capture_output=True,
    )
    [archive] = work.glob("*.tgz")
    with tarfile.open(archive) as tar:
        member = tar.extractfile(f"package/{inner}")
        assert member is not None, inner
        data = member.read()
    archive.unlink()
    return data


def main() -> int:
    update = "--update" in sys.argv
    failures = 0
    for table in TABLES:
        for name, package, version, inner, _licence, digest in rows(table):
            target = table.parent / name
            with tempfile.TemporaryDirectory() as folder:
                data = packed(package, version, inner, Path(folder))
            fetched = hashlib.sha256(data).hexdigest()
            local = hashlib.sha256(target.read_bytes()).hexdigest() if target.exists() else ""
            if update:
                target.write_bytes(data)
                table.write_text(table.read_text().replace(digest, fetched))
                print(f"{target.relative_to(ROOT)}: {package}@{version} written")
            elif fetched == local == digest:
                print(f"{target.relative_to(ROOT)}: matches {package}@{version}")
            else:
                failures += 1
                print(f"{target.relative_to(ROOT)}: DIFFERS from {package}@{version}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
