"""Rendering content and a design to SVG or PNG bytes, and the cache key of a rendering."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json

from xqr.qr.render.design import (
    Design,
    DesignError,
    validate_design,
    validate_format,
    validate_size,
)
from xqr.qr.render.logo import load_logo, logo_data_uri, place_logo
from xqr.qr.render.matrix import encode
from xqr.qr.render.png import QUIET_ZONE, render_png
from xqr.qr.render.svg import render_svg

# Part of every cache key: bump it whenever the same inputs start to render differently.
RENDERER_VERSION = 1
# Below this many pixels per module curves blur into grey blobs that phones cannot read,
# so smaller codes are drawn with plain squares whatever their style.
STYLED_MIN_SIZE = 4
# A PNG is drawn whole in memory (a byte a pixel, and a copy or two while it is coloured and
# encoded), so its side is capped before anything is allocated: 4,096 px (16.8 megapixels,
# some 35 MB at the peak of a render, against 110 MB for the 9,250 px of version 40 at 50 px a
# module) is a 35 cm print at 300 dpi and holds any code, even version 40, at 22 px a module.
# An SVG's cost does not grow with its size (its width and height are two attributes), so it
# has no cap.
MAX_PNG_SIDE = 4096


def image_side(modules: int, size: int) -> int:
    """Return the side in pixels of a code of ``modules`` a side at ``size`` px a module."""
    return (modules + 2 * QUIET_ZONE) * size


def check_png_side(modules: int, size: int) -> None:
    """Raise DesignError on ``size`` when such a PNG would be over MAX_PNG_SIDE pixels a side."""
    side = image_side(modules, size)
    if side <= MAX_PNG_SIDE:
        return
    largest = MAX_PNG_SIDE // image_side(modules, 1)
    raise DesignError(
        "size",
        f"A PNG of this content at {size} pixels per module would be {side:,} pixels a side; "
        f"PNG images are at most {MAX_PNG_SIDE:,} pixels a side, so use a size of at most "
        f"{largest} for it, shorter content, or SVG.",
    )


def effective_error_correction(design: Design, has_logo: bool) -> str:
    """Return the error correction a code is encoded with: H whenever a logo covers modules."""
    return "H" if has_logo else design.error_correction


def render(
    content: str,
    design: Design,
    *,
    size: int = 10,
    fmt: str = "svg",
    logo: bytes | None = None,
) -> bytes:
    """Return ``content`` as a QR code image in ``fmt`` ("svg" or "png").

    Codes under STYLED_MIN_SIZE pixels per module are drawn with square modules and corners.
    Raises DesignError for an invalid design, size, format, content or logo, and for a PNG
    over MAX_PNG_SIDE pixels a side.
    """
    design = validate_design(design)
    size = validate_size(size)
    fmt = validate_format(fmt)
    loaded = None
    if logo is not None:
        if not isinstance(logo, bytes) or not logo:
            raise DesignError("design.logo_url", "The logo is empty.")
        loaded = load_logo(logo)
        if fmt == "png" and loaded.image is None:
            raise DesignError(
                "design.logo_url",
                "SVG logos can only be placed on SVG QR codes; use a PNG, JPEG, GIF or WebP "
                "logo for PNG output.",
            )
    if size < STYLED_MIN_SIZE:
        design = dataclasses.replace(design, dot_style="square", corner_style="square")
    matrix = encode(content, effective_error_correction(design, loaded is not None))
    if fmt == "png":
        check_png_side(matrix.size, size)
    placement = place_logo(loaded, matrix.size) if loaded is not None else None
    if fmt == "svg":
        uri = logo_data_uri(loaded) if loaded is not None else None
        return render_svg(matrix, design, size, placement, uri)
    return render_png(matrix, design, size, placement, loaded)


def render_cache_key(
    content: str,
    design: Design,
    size: int,
    fmt: str,
    logo_digest: str | None,
) -> str:
    """Return a stable hex digest of every input of a rendering, for ETags and caches.

    Designs that normalise to the same thing (``#FFF`` and ``#ffffff``) share a key.
    """
    with contextlib.suppress(DesignError):
        design = validate_design(design)
    payload = {
        "v": RENDERER_VERSION,
        "content": content,
        "design": dataclasses.asdict(design),
        "size": size,
        "fmt": fmt,
        "logo": logo_digest,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
