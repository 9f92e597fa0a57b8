"""Rendering content and a design to SVG, PNG or PDF bytes, and the cache key of a rendering."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass

from xqr.qr.render.design import (
    Design,
    DesignError,
    validate_design,
    validate_format,
    validate_size,
)
from xqr.qr.render.layout import Layout, layout
from xqr.qr.render.logo import Logo, LogoPlacement, load_logo, logo_data_uri, place_logo
from xqr.qr.render.matrix import QrMatrix, encode
from xqr.qr.render.png import render_png
from xqr.qr.render.svg import render_svg

# Part of every cache key: bump it whenever the same inputs start to render differently.
RENDERER_VERSION = 2
# Below this many pixels per module curves blur into grey blobs that phones cannot read,
# so smaller codes are drawn with plain squares whatever their style.
STYLED_MIN_SIZE = 4
# A PNG is drawn whole in memory (a byte a pixel, and a copy or two while it is coloured and
# encoded), so its side is capped before anything is allocated: 4,096 px (16.8 megapixels,
# some 35 MB at the peak of a render, against 110 MB for the 9,250 px of version 40 at 50 px a
# module) is a 35 cm print at 300 dpi and holds any code, even version 40, at 22 px a module.
# An SVG's or a PDF's cost does not grow with its size (its width and height are two
# numbers), so they have no cap.
MAX_PNG_SIDE = 4096
# Physical output: the width of the code with its quiet zone, and the PNG's resolution.
MIN_WIDTH_MM = 5.0
MAX_WIDTH_MM = 2000.0
MIN_DPI = 72
MAX_DPI = 2400
DEFAULT_DPI = 300
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class PrintSize:
    """A physical size: the code and its quiet zone ``width_mm`` wide; a PNG at ``dpi``."""

    width_mm: float | None = None
    dpi: int | None = None


def validate_print(fmt: str, width_mm: float | None, dpi: int | None) -> PrintSize:
    """Check a physical size for ``fmt``; a PNG ``width_mm`` without ``dpi`` is at 300 dpi."""
    if width_mm is not None and (
        isinstance(width_mm, bool)
        or not isinstance(width_mm, (int, float))
        or not math.isfinite(width_mm)
        or not MIN_WIDTH_MM <= width_mm <= MAX_WIDTH_MM
    ):
        raise DesignError(
            "width_mm",
            f"The width is the code's printed width with its quiet zone, from {MIN_WIDTH_MM:g} "
            f"to {MAX_WIDTH_MM:g} mm; got {width_mm!r}.",
        )
    if dpi is not None:
        if isinstance(dpi, bool) or not isinstance(dpi, int) or not MIN_DPI <= dpi <= MAX_DPI:
            raise DesignError(
                "dpi",
                f"The resolution must be a whole number of dots per inch from {MIN_DPI} to "
                f"{MAX_DPI}; got {dpi!r}.",
            )
        if fmt != "png":
            raise DesignError(
                "dpi",
                "A resolution applies to PNG images only; SVG and PDF are vector images that "
                "print sharp at any resolution (give width_mm for their printed size).",
            )
    if fmt == "png" and width_mm is not None and dpi is None:
        dpi = DEFAULT_DPI
    return PrintSize(float(width_mm) if width_mm is not None else None, dpi)


def pixels_for(width_mm: float, dpi: int) -> int:
    """The pixel width of ``width_mm`` printed at ``dpi`` (30 mm at 300 dpi: 354 px)."""
    return round(width_mm / MM_PER_INCH * dpi)


def check_png_side(width: float, height: float, what: str, field: str, advice: str) -> None:
    """Raise DesignError on ``field`` when a PNG would be over MAX_PNG_SIDE pixels a side."""
    side = round(max(width, height))
    if side <= MAX_PNG_SIDE:
        return
    raise DesignError(
        field,
        f"A PNG of this content {what} would be {side:,} pixels a side; PNG images are at most "
        f"{MAX_PNG_SIDE:,} pixels a side, so {advice}, shorter content, or SVG.",
    )


def effective_error_correction(design: Design, has_logo: bool) -> str:
    """Return the error correction a code is encoded with: H whenever a logo covers modules."""
    return "H" if has_logo else design.error_correction


@dataclass(frozen=True)
class Prepared:
    """A checked design, encoded and laid out: everything but the drawing."""

    design: Design
    matrix: QrMatrix
    layout: Layout
    logo: Logo | None
    placement: LogoPlacement | None


def prepare(
    content: str,
    design: Design,
    *,
    fmt: str,
    logo: bytes | None = None,
    enforce_contrast: bool = True,
    size: int = 10,
) -> Prepared:
    """Validate ``design``, load the logo, encode ``content`` and lay the image out."""
    design = validate_design(design, enforce_contrast=enforce_contrast)
    loaded = None
    if logo is not None:
        if not isinstance(logo, bytes) or not logo:
            raise DesignError("design.logo_url", "The logo is empty.")
        loaded = load_logo(logo)
        if fmt in ("png", "pdf") and loaded.image is None:
            raise DesignError(
                "design.logo_url",
                "SVG logos can only be placed on SVG QR codes; use a PNG, JPEG, GIF or WebP "
                f"logo for {fmt.upper()} output.",
            )
    if size < STYLED_MIN_SIZE:
        design = dataclasses.replace(design, dot_style="square", corner_style="square")
    matrix = encode(content, effective_error_correction(design, loaded is not None))
    placement = place_logo(loaded, matrix.size, design.logo_size) if loaded is not None else None
    return Prepared(design, matrix, layout(design, matrix.size), loaded, placement)


def render(
    content: str,
    design: Design,
    *,
    size: int = 10,
    fmt: str = "svg",
    logo: bytes | None = None,
    width_mm: float | None = None,
    dpi: int | None = None,
) -> bytes:
    """Return ``content`` as a QR code image in ``fmt`` ("svg", "png" or "pdf").

    ``width_mm`` sets the printed width of the code with its quiet zone (a frame adds to it);
    a PNG is then drawn at ``dpi`` (default 300) and carries it. PNGs under STYLED_MIN_SIZE
    pixels per module are drawn with square modules and corners. Raises DesignError for an
    invalid design, size, format, content or logo, and for a PNG over MAX_PNG_SIDE pixels a
    side.
    """
    size = validate_size(size)
    fmt = validate_format(fmt)
    physical = validate_print(fmt, width_mm, dpi)
    target = None
    if fmt == "png" and physical.width_mm is not None and physical.dpi is not None:
        target = pixels_for(physical.width_mm, physical.dpi)
        if target < 1:
            raise DesignError("width_mm", "The code would be less than a pixel wide.")
    prepared = prepare(content, design, fmt=fmt, logo=logo, size=size if target is None else 50)
    design, matrix, lay = prepared.design, prepared.matrix, prepared.layout
    if fmt == "png":
        if target is not None:
            scale = target / lay.code_side
            check_png_side(
                lay.width * scale,
                lay.height * scale,
                f"at {physical.width_mm:g} mm and {physical.dpi} dpi",
                "width_mm",
                "use a smaller width or resolution",
            )
            # Drawn at whole pixels a module, at least as large as asked, then scaled to it.
            size = min(50, max(1, math.ceil(scale)))
            if size < STYLED_MIN_SIZE:
                design = dataclasses.replace(design, dot_style="square", corner_style="square")
        else:
            largest = int(MAX_PNG_SIDE // max(lay.width, lay.height))
            check_png_side(
                lay.width * size,
                lay.height * size,
                f"at {size} pixels per module",
                "size",
                f"use a size of at most {largest} for it",
            )
        return render_png(
            matrix,
            design,
            lay,
            size,
            prepared.placement,
            prepared.logo,
            target_width=target,
            dpi=physical.dpi,
        )
    if fmt == "svg":
        uri = logo_data_uri(prepared.logo) if prepared.logo is not None else None
        return render_svg(matrix, design, lay, size, prepared.placement, uri, physical.width_mm)
    from xqr.qr.render.pdf import render_pdf  # ReportLab is imported by PDF renders only

    return render_pdf(
        matrix, design, lay, size, prepared.placement, prepared.logo, physical.width_mm
    )


def render_cache_key(
    content: str,
    design: Design,
    size: int,
    fmt: str,
    logo_digest: str | None,
    width_mm: float | None = None,
    dpi: int | None = None,
) -> str:
    """Return a stable hex digest of every input of a rendering, for ETags and caches.

    Designs that normalise to the same thing (``#FFF`` and ``#ffffff``) share a key.
    """
    with contextlib.suppress(DesignError):
        design = validate_design(design, enforce_contrast=False)
    payload = {
        "v": RENDERER_VERSION,
        "content": content,
        "design": dataclasses.asdict(design),
        "size": size,
        "fmt": fmt,
        "logo": logo_digest,
        "width_mm": width_mm,
        "dpi": dpi,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
