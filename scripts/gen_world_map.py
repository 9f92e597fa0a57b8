"""Regenerate src/xqr/dashboard/world_map.py: country outlines as SVG paths (Natural Earth).

    python scripts/gen_world_map.py

Fetches the npm package `world-atlas` (Natural Earth 1:110m admin-0 countries as TopoJSON,
public domain) with `npm pack` at the pinned version, checks the file's SHA-256, decodes the
arcs, projects them with the Equal Earth projection (equal-area, so a country's colour covers
its true share of the map) and writes one simplified SVG path per ISO 3166-1 alpha-2 code.
Numeric codes are matched to alpha-2 codes with Debian's iso-codes (apt-get install
iso-codes). Antarctica is left out: nobody scans a poster there, and it would take a fifth of
the map.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE, VERSION = "world-atlas", "2.0.2"
INNER = "package/countries-110m.json"
SHA256 = "2516c915867c7baf18ddec727aec46c315541a07cfb3d79a6559b05d5e94eee8"
ISO_CODES = Path("/usr/share/iso-codes/json/iso_3166-1.json")
TARGET = Path(__file__).resolve().parents[1] / "src" / "xqr" / "dashboard" / "world_map.py"
WIDTH = 1000
LEFT_OUT = {"AQ"}
# Natural Earth names a few places ISO 3166-1 gives no numeric code (or world-atlas none).
BY_NAME = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}

# Equal Earth projection constants (Šavrič, Patterson, Jenny 2018).
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


def fetch() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            ["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        [archive] = Path(folder).glob("*.tgz")
        with tarfile.open(archive) as tar:
            member = tar.extractfile(INNER)
            assert member is not None
            return member.read()


def arcs_of(topology: dict) -> list[list[tuple[float, float]]]:
    """The topology's arcs as absolute (lon, lat) points (TopoJSON delta-encodes them)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc[1:] if points else arc)
    return points


def unwrapped(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A ring that crosses the antimeridian (Fiji, Chukotka) kept on the side where most of
    it lies; the rest runs past the map's edge, where the SVG cuts it off (instead of a line
    across the whole map)."""
    if all(abs(b[0] - a[0]) <= 180 for a, b in itertools.pairwise(points)):
        return points
    east = sum(1 for lon, _ in points if lon > 0) >= len(points) / 2
    if east:
        return [(lon + 360 if lon < 0 else lon, lat) for lon, lat in points]
    return [(lon - 360 if lon > 0 else lon, lat) for lon, lat in points]


def main() -> int:
    raw = fetch()
    digest = hashlib.sha256(raw).hexdigest()
    if "--accept" not in sys.argv and digest != SHA256:
        print(f"{INNER} of {PACKAGE}@{VERSION} has SHA-256 {digest}, expected {SHA256}")
        return 1
    topology = json.loads(raw)
    arcs = arcs_of(topology)
    numeric = {e["numeric"]: e["alpha_2"] for e in json.loads(ISO_CODES.read_text())["3166-1"]}
    top = equal_earth(0, 90)[1]
    half_width = equal_earth(180, 0)[0]
    scale = WIDTH / (2 * half_width)
    bottom = -equal_earth(0, -60)[1]  # the map ends south of Tierra del Fuego

    def point(lon: float, lat: float) -> tuple[float, float]:
        x, y = equal_earth(lon, lat)
        return round((x + half_width) * scale), round((top - y) * scale)

    paths: dict[str, str] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name", "")
        code = numeric.get(str(geometry.get("id", "")), BY_NAME.get(name))
        if code is None or code in LEFT_OUT or geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        parts = []
        for polygon in polygons:
            for indexes in polygon:
                projected = []
                for lon, lat in unwrapped(ring(indexes, arcs)):
                    p = point(lon, lat)
                    if not projected or p != projected[-1]:
                        projected.append(p)
                if len(projected) < 3:
                    continue
                # Relative moves between whole pixels: a third of the bytes of absolute ones.
                (x0, y0), steps = projected[0], []
                for (ax, ay), (bx, by) in itertools.pairwise(projected):
                    steps.append(f"{bx - ax} {by - ay}".replace(" -", "-"))
                parts.append(f"M{x0} {y0}l" + " ".join(steps) + "z")
        if parts:
            paths[code] = paths.get(code, "") + "".join(parts)
    height = round((top + bottom) * scale)
    lines = [
        "# ruff: noqa: E501",
        '"""Country outlines for the dashboard\'s world map, as SVG path data by ISO 3166-1',
        "alpha-2 code. Generated by scripts/gen_world_map.py from Natural Earth's 1:110m admin-0",
        f"countries (npm `{PACKAGE}` {VERSION}, TopoJSON, SHA-256 {digest[:16]}…), projected",
        "with the Equal Earth projection. Natural Earth is in the public domain",
        '(https://www.naturalearthdata.com/about/terms-of-use/). Do not edit by hand."""',
        "",
        "from __future__ import annotations",
        "",
        f"WIDTH = {WIDTH}",
        f"HEIGHT = {height}",
        "",
        "PATHS: dict[str, str] = {",
    ]
    lines += [f"    {json.dumps(code)}: {json.dumps(d)}," for code, d in sorted(paths.items())]
    lines += ["}", ""]
    TARGET.write_text("\n".join(lines))
    print(f"{TARGET}: {len(paths)} countries, {TARGET.stat().st_size:,} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
