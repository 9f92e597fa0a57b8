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
from xqr.qr.render.png import render_png
from xqr.qr.render.svg import render_svg

# Part of every cache key: bump it whenever the same inputs start to render differently.
RENDERER_VERSION = 1
# Below this many pixels per module curves blur into grey blobs that phones cannot read,
# so smaller codes are drawn with plain squares whatever their style.
STYLED_MIN_SIZE = 4


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
    Raises DesignError for an invalid design, size, format, content or logo.
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
