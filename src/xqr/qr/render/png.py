"""Drawing a QR matrix as an anti-aliased PNG with Pillow.

Shapes are drawn once per (style, size) as supersampled, box-filtered coverage tiles and then
only pasted, so a styled code costs one paste per dark module. Coverage (0 = background,
255 = foreground) becomes colour through a palette, so tiles do not depend on the colours.
"""

from __future__ import annotations

import functools
import io

from PIL import Image, ImageDraw

from xqr.qr.render.design import Design, hex_to_rgb
from xqr.qr.render.logo import Logo, LogoPlacement, indexed_logo
from xqr.qr.render.matrix import FINDER_SIZE, QrMatrix, data_modules, neighbour_masks
from xqr.qr.render.shapes import Box, box_polygon, finder_boxes, module_radii

QUIET_ZONE = 4
# Side of the supersampled drawing of a shape, at least; its box filter gives the coverage.
SUPERSAMPLED_PIXELS = 512
# With a logo, palette entries from here up hold its colours; those below, the code's.
LOGO_FIRST_INDEX = 128


def _supersample_factor(pixels: int) -> int:
    return max(4, min(16, -(-SUPERSAMPLED_PIXELS // pixels)))


def _draw_boxes(boxes: tuple[Box, ...], pixels: int, modules: int) -> Image.Image:
    """Return the anti-aliased coverage of ``boxes`` drawn in a square of ``pixels``."""
    factor = _supersample_factor(pixels)
    image = Image.new("L", (pixels * factor, pixels * factor), 0)
    draw = ImageDraw.Draw(image)
    scale = pixels * factor / modules
    # Pillow fills every pixel a polygon's closed outline touches, one pixel too many on the
    # right and bottom; insetting by half a pixel and shifting by half a pixel makes a box
    # from 0 to w fill exactly pixels 0 to w-1, and curves sample pixel centres.
    inset = 0.5 / scale
    for box in boxes:
        draw.polygon(box_polygon(box.inset(inset), scale, -0.5), fill=0 if box.hole else 255)
    return image.reduce(factor)


@functools.lru_cache(maxsize=128)
def module_tiles(dot_style: str, size: int) -> tuple[Image.Image, ...]:
    """Return the 16 coverage tiles of a data module, one per neighbour mask."""
    tiles: dict[tuple[float, ...], Image.Image] = {}
    result = []
    for mask in range(16):
        radii = module_radii(dot_style, mask)
        if radii not in tiles:
            tiles[radii] = _draw_boxes((Box(0, 0, 1, 1, radii),), size, 1)
        result.append(tiles[radii])
    return tuple(result)


@functools.lru_cache(maxsize=128)
def finder_tile(corner_style: str, size: int) -> Image.Image:
    """Return the coverage tile of one 7x7 finder pattern."""
    return _draw_boxes(finder_boxes(corner_style, 0, 0), FINDER_SIZE * size, FINDER_SIZE)


@functools.lru_cache(maxsize=256)
def _gradient(foreground: str, background: str, levels: int) -> bytes:
    """Return ``levels`` palette colours running from the background to the foreground."""
    fg, bg = hex_to_rgb(foreground), hex_to_rgb(background)
    top = levels - 1
    return bytes(
        (b * (top - level) + f * level + top // 2) // top
        for level in range(levels)
        for f, b in zip(fg, bg, strict=True)
    )


def _coverage_to_levels(levels: int) -> list[int]:
    return [(value * (levels - 1) + 127) // 255 for value in range(256)]


_TWO_LEVELS = _coverage_to_levels(2)
_LOGO_LEVELS = _coverage_to_levels(LOGO_FIRST_INDEX)


def render_png(
    matrix: QrMatrix,
    design: Design,
    size: int,
    placement: LogoPlacement | None,
    logo: Logo | None,
) -> bytes:
    """Return the PNG of ``matrix`` drawn with ``design`` at ``size`` px per module."""
    n = matrix.size
    total = (n + 2 * QUIET_ZONE) * size
    dot_style, corner_style = design.dot_style, design.corner_style
    modules = data_modules(matrix, placement.cleared if placement else None)
    offset = QUIET_ZONE * size
    canvas = Image.new("L", (total, total), 0)
    if dot_style == "square":
        symbol = Image.frombytes("L", (n, n), bytes(modules).replace(b"\x01", b"\xff"))
        canvas.paste(
            symbol.resize((n * size, n * size), Image.Resampling.NEAREST), (offset, offset)
        )
    else:
        tiles = module_tiles(dot_style, size)
        paste = canvas.paste
        for row, col, mask in neighbour_masks(modules, n):
            paste(tiles[mask], (offset + col * size, offset + row * size))
    finder = finder_tile(corner_style, size)
    for row, col in matrix.finder_origins():
        canvas.paste(finder, (offset + col * size, offset + row * size))
    if placement is not None and logo is not None:
        # One palette shared by the code's anti-aliasing levels and the logo's own colours
        # keeps the PNG 8-bit, which encodes several times faster and smaller than RGB.
        width, height = round(placement.width * size), round(placement.height * size)
        indexes, logo_palette = indexed_logo(
            logo, width, height, hex_to_rgb(design.background), LOGO_FIRST_INDEX
        )
        canvas = canvas.point(_LOGO_LEVELS)
        left = offset + round((n * size - width) / 2)
        top = offset + round((n * size - height) / 2)
        canvas.paste(indexes, (left, top))
        palette = _gradient(design.foreground, design.background, LOGO_FIRST_INDEX) + logo_palette
    elif dot_style == "square" and corner_style == "square":
        # Nothing is anti-aliased, so a two-colour, one-bit PNG is enough and far smaller.
        canvas = canvas.point(_TWO_LEVELS)
        palette = _gradient(design.foreground, design.background, 2)
    else:
        palette = _gradient(design.foreground, design.background, 256)
    canvas.putpalette(palette)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()
