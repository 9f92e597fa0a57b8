"""Reading a logo and placing it in the middle of a QR code."""

from __future__ import annotations

import base64
import functools
import io
import math
import re
from dataclasses import dataclass

from PIL import Image

from xqr.qr.render.design import DesignError

LOGO_FIELD = "design.logo_url"
# By default a logo covers at most this fraction of the symbol's width (a design's
# `logo_size` changes it); with error correction H (30% of codewords recoverable) that leaves
# room for the margin and for damage to the print.
LOGO_MAX_FRACTION = 0.22
LOGO_MARGIN = 0.5
MAX_LOGO_SIDE = 8192
MAX_LOGO_PIXELS = 16_000_000
# Decoded logos are kept at most this big: 22% of the largest code (version 40 at 50 px a
# module) is about 1,950 px, and the cache must not hold 64 MB bitmaps.
MAX_KEPT_SIDE = 1024
# Raster logos embedded in SVG output are downscaled past this, to keep SVGs small.
MAX_EMBEDDED_SIDE = 512
MAX_EMBEDDED_BYTES = 128 * 1024

RASTER_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}

_UNREADABLE = "The logo could not be read; use a PNG, JPEG, GIF, WebP or SVG image."
_SVG_ROOT = re.compile(rb"<svg\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = r"""\b{name}\s*=\s*["']\s*([^"']*)["']"""
_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(px)?\s*")


@dataclass(frozen=True, eq=False)
class Logo:
    """A readable logo: its bytes, media type, intrinsic size and (for rasters) pixels.

    Compared and hashed by identity, so the caches below can key on the object that
    ``load_logo`` returns for the same bytes.
    """

    data: bytes
    media_type: str
    width: float
    height: float
    image: Image.Image | None


@dataclass(frozen=True)
class LogoPlacement:
    """Where a logo sits, in modules from the symbol's top-left, and the modules it clears."""

    x: float
    y: float
    width: float
    height: float
    cleared: tuple[int, int, int, int]


def _svg_size(data: bytes) -> tuple[float, float]:
    """Return an SVG's aspect from its root viewBox or width/height, else a square."""
    root = _SVG_ROOT.search(data[:65536])
    if root is None:
        raise DesignError(LOGO_FIELD, _UNREADABLE)
    tag = root.group(0).decode("utf-8", "replace")
    view_box = re.search(_ATTRIBUTE.format(name="viewBox"), tag)
    if view_box:
        parts = view_box.group(1).replace(",", " ").split()
        try:
            width, height = float(parts[2]), float(parts[3])
        except (IndexError, ValueError):
            width = height = 0.0
        if width > 0 and height > 0:
            return width, height
    sizes = []
    for name in ("width", "height"):
        found = re.search(_ATTRIBUTE.format(name=name), tag)
        length = _LENGTH.fullmatch(found.group(1)) if found else None
        sizes.append(float(length.group(1)) if length else 0.0)
    if sizes[0] > 0 and sizes[1] > 0:
        return sizes[0], sizes[1]
    return 1.0, 1.0


def _is_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in (
        data[:65536].lower()
    )


@functools.lru_cache(maxsize=8)
def load_logo(data: bytes) -> Logo:
    """Decode ``data`` as a PNG, JPEG, GIF or WebP (first frame) or SVG logo."""
    if _is_svg(data):
        width, height = _svg_size(data)
        return Logo(data, "image/svg+xml", width, height, None)
    try:
        image = Image.open(io.BytesIO(data), formats=list(RASTER_TYPES))
        width, height = image.size
        if (
            max(width, height) > MAX_LOGO_SIDE
            or width * height > MAX_LOGO_PIXELS
            or min(width, height) < 1
        ):
            raise DesignError(
                LOGO_FIELD,
                f"The logo is {width}x{height} pixels; use one of at most "
                f"{MAX_LOGO_SIDE} pixels a side.",
            )
        media_type = RASTER_TYPES[str(image.format)]
        image.seek(0)
        image.draft("RGB", (MAX_KEPT_SIDE, MAX_KEPT_SIDE))
        pixels = image.convert("RGBA")
        pixels.thumbnail((MAX_KEPT_SIDE, MAX_KEPT_SIDE), Image.Resampling.LANCZOS)
    except DesignError:
        raise
    except Exception as exc:
        raise DesignError(LOGO_FIELD, _UNREADABLE) from exc
    return Logo(data, media_type, float(width), float(height), pixels)


def place_logo(logo: Logo, modules: int, fraction: float = LOGO_MAX_FRACTION) -> LogoPlacement:
    """Centre ``logo`` on a symbol of ``modules`` a side, at most ``fraction`` of its width,
    keeping its aspect ratio."""
    box = fraction * modules
    if logo.width >= logo.height:
        width, height = box, box * logo.height / logo.width
    else:
        width, height = box * logo.width / logo.height, box

    def cleared_span(extent: float) -> int:
        span = math.ceil(extent + 2 * LOGO_MARGIN - 1e-9)
        # The same parity as the symbol keeps the cleared block exactly centred.
        return span + (modules - span) % 2

    rows, cols = cleared_span(height), cleared_span(width)
    return LogoPlacement(
        x=(modules - width) / 2,
        y=(modules - height) / 2,
        width=width,
        height=height,
        cleared=((modules - rows) // 2, (modules - cols) // 2, rows, cols),
    )


@functools.lru_cache(maxsize=32)
def indexed_logo(
    logo: Logo, width: int, height: int, background: tuple[int, int, int], first_index: int
) -> tuple[Image.Image, bytes]:
    """Return the logo resized and flattened onto ``background`` as palette indexes.

    The indexes start at ``first_index`` (an "L" image); the palette entries come with them.
    """
    if logo.image is None:
        raise ValueError("an SVG logo has no pixels")
    flat = Image.new("RGB", logo.image.size, background)
    flat.paste(logo.image, (0, 0), logo.image)
    resized = flat.resize((max(1, width), max(1, height)), Image.Resampling.LANCZOS)
    colours = 256 - first_index
    quantised = resized.quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    palette = bytes((quantised.getpalette() or [])[: 3 * colours])
    palette += bytes(3 * colours - len(palette))
    indexes = Image.frombytes("L", quantised.size, quantised.tobytes())
    return indexes.point([min(255, index + first_index) for index in range(256)]), palette


@functools.lru_cache(maxsize=32)
def flat_logo(logo: Logo, width: int, height: int, background: tuple[int, int, int]) -> Image.Image:
    """Return the logo resized to ``width`` x ``height`` and flattened onto ``background``."""
    if logo.image is None:
        raise ValueError("an SVG logo has no pixels")
    flat = Image.new("RGB", logo.image.size, background)
    flat.paste(logo.image, (0, 0), logo.image)
    return flat.resize((max(1, width), max(1, height)), Image.Resampling.LANCZOS)


@functools.lru_cache(maxsize=8)
def logo_data_uri(logo: Logo) -> str:
    """Return a ``data:`` URI of the logo for SVG output, downscaling large rasters."""
    media_type, payload = logo.media_type, logo.data
    if logo.image is not None and (
        max(logo.width, logo.height) > MAX_EMBEDDED_SIDE or len(payload) > MAX_EMBEDDED_BYTES
    ):
        image = logo.image.copy()
        image.thumbnail((MAX_EMBEDDED_SIDE, MAX_EMBEDDED_SIDE), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        media_type, payload = "image/png", buffer.getvalue()
    return f"data:{media_type};base64,{base64.b64encode(payload).decode('ascii')}"
