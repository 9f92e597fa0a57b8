"""Benchmark the QR engine against plain segno: ms/code and codes/s at 10 px/module, EC M.

Run with ``python bench/qr_engine.py [--repetitions 7] [--batch 100]``. Every case renders the
same list of distinct short URLs (so nothing is served from an output cache; the engine's own
shape-tile caches stay warm except in the "cold tiles" case). Cases run round-robin, once per
repetition, and the table shows medians over the repetitions. Results are also written to
``bench/results/qr_engine.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import statistics
import string
import time
from collections.abc import Callable
from pathlib import Path

import segno
import zxingcpp
from PIL import Image, ImageDraw

from xqr.qr.render import Design, render
from xqr.qr.render.png import finder_tile, module_tiles

SIZE = 10
ERROR = "M"
RESULTS = Path(__file__).resolve().parent / "results" / "qr_engine.json"

PLAIN = Design(error_correction=ERROR)
STYLED = Design(error_correction=ERROR, dot_style="rounded", corner_style="extra-rounded")


def short_urls(count: int) -> list[str]:
    """Distinct link-QR contents like the ones the app renders."""
    rng = random.Random(1234)
    alphabet = string.ascii_letters + string.digits
    return [f"https://xqr.co/{''.join(rng.choices(alphabet, k=7))}?qr=1" for _ in range(count)]


def sample_logo() -> bytes:
    """A 256x256 PNG logo, a typical upload."""
    image = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 255, 255), radius=48, fill=(220, 38, 38, 255))
    draw.ellipse((64, 64, 191, 191), outline="white", width=24)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def segno_matrix(content: str) -> object:
    return segno.make(content, error=ERROR, micro=False).matrix


def segno_svg(content: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(content, error=ERROR, micro=False).save(buffer, kind="svg", scale=SIZE)
    return buffer.getvalue()


def segno_png(content: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(content, error=ERROR, micro=False).save(buffer, kind="png", scale=SIZE)
    return buffer.getvalue()


def zxing_matrix(content: str) -> bytes:
    barcode = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.QRCode, ec_level=ERROR)
    image = barcode.to_image(scale=1, add_quiet_zones=False)
    return bytes(memoryview(image))  # type: ignore[arg-type]


def ours(design: Design, fmt: str, logo: bytes | None = None) -> Callable[[str], bytes]:
    def run(content: str) -> bytes:
        return render(content, design, size=SIZE, fmt=fmt, logo=logo)

    return run


def ours_cold_tiles(content: str) -> bytes:
    module_tiles.cache_clear()
    finder_tile.cache_clear()
    return render(content, STYLED, size=SIZE, fmt="png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--batch", type=int, default=100, help="codes per repetition")
    args = parser.parse_args()

    contents = short_urls(args.batch)
    logo = sample_logo()
    cases: dict[str, Callable[[str], object]] = {
        "segno matrix": segno_matrix,
        "segno SVG": segno_svg,
        "segno PNG": segno_png,
        "zxing-cpp matrix": zxing_matrix,
        "xqr SVG plain": ours(PLAIN, "svg"),
        "xqr SVG styled": ours(STYLED, "svg"),
        "xqr SVG styled + logo": ours(STYLED, "svg", logo),
        "xqr PNG plain": ours(PLAIN, "png"),
        "xqr PNG plain + logo": ours(PLAIN, "png", logo),
        "xqr PNG styled": ours(STYLED, "png"),
        "xqr PNG styled + logo": ours(STYLED, "png", logo),
        "xqr PNG styled, cold tile cache": ours_cold_tiles,
    }
    sizes: dict[str, int] = {}
    for name, case in cases.items():
        output = case(contents[0])
        if isinstance(output, bytes) and not name.endswith("matrix"):
            sizes[name] = len(output)

    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repetitions):
        for name, case in cases.items():
            start = time.perf_counter()
            for content in contents:
                case(content)
            samples[name].append((time.perf_counter() - start) * 1000 / len(contents))

    baseline = statistics.median(samples["segno PNG"])
    rows = []
    for name, times in samples.items():
        ms = statistics.median(times)
        rows.append(
            {
                "case": name,
                "ms_per_code": round(ms, 3),
                "codes_per_s": round(1000 / ms, 1),
                "vs_segno_png": round(ms / baseline, 3),
                "bytes": sizes.get(name),
            }
        )

    print(
        f"QR engine, {SIZE} px/module, EC {ERROR}, median of {args.repetitions} x "
        f"{args.batch} distinct short URLs"
    )
    print(f"{'case':34} {'ms/code':>9} {'codes/s':>9} {'x segno PNG':>12} {'bytes':>7}")
    for row in rows:
        size = "" if row["bytes"] is None else str(row["bytes"])
        print(
            f"{row['case']:34} {row['ms_per_code']:>9.3f} {row['codes_per_s']:>9.1f} "
            f"{row['vs_segno_png']:>12.2f} {size:>7}"
        )

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "qr_engine",
                "size": SIZE,
                "error_correction": ERROR,
                "repetitions": args.repetitions,
                "batch": args.batch,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "segno": segno.__version__,
                "results": rows,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
