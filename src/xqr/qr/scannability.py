"""Does a rendered code scan? Decoded with zxing-cpp, the reader the tests use too."""

from __future__ import annotations

import io
from dataclasses import dataclass

import zxingcpp
from PIL import Image


@dataclass(frozen=True)
class ScanResult:
    decodes: bool
    reason: str | None = None


def check_png(png: bytes, content: str) -> ScanResult:
    """Whether `png` decodes to exactly `content`, and if not, why not."""
    with Image.open(io.BytesIO(png)) as image:
        found = zxingcpp.read_barcodes(image.convert("L"))
    if not found:
        return ScanResult(
            False,
            "A reader found no QR code in the image: the logo may cover too much of it, or the "
            "dots may be too small or too far apart to read.",
        )
    if found[0].text != content:
        return ScanResult(False, "The code reads back as different text than it should.")
    return ScanResult(True)
