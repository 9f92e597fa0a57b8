"""Drawing a QR matrix as an anti-aliased PNG with Pillow.

Shapes are drawn once per (style, size) as supersampled, box-filtered coverage tiles and then
only pasted, so a styled code costs one paste per dark module. Coverage (0 = background,
255 = foreground) becomes colour through a palette, so tiles do not depend on the colours.
Designs with a gradient, eye colours or a frame are composed in RGB instead: each coverage
layer is a mask through which its paint (a colour or the gradient) is pasted.
"""

from __future__ import annotations

import functools
import io
import math

from PIL import Image, ImageChops, ImageDraw

from xqr.qr.render.design import Design, Gradient, hex_to_rgb
from xqr.qr.render.layout import Layout, Rect
from xqr.qr.render.logo import Logo, LogoPlacement, flat_logo, indexed_logo
from xqr.qr.render.matrix import FINDER_SIZE, QrMatrix, data_modules, neighbour_masks
from xqr.qr.render.paint import ramp
from xqr.qr.render.shapes import Box, box_polygon, finder_boxes, module_radii
from xqr.qr.render.text import pillow_font

# Side of the supersampled drawing of a shape, at least; its box filter gives the coverage.
SUPERSAMPLED_PIXELS = 512
# With a logo, palette entries from here up hold its colours; those below, the code's.
LOGO_FIRST_INDEX = 128
# Frames are drawn this many times larger and then reduced, for smooth rounded corners.
FRAME_SUPERSAMPLE = 4


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
def finder_tile(corner_style: str, size: int, part: str = "whole") -> Image.Image:
    """Return the coverage tile of one 7x7 finder pattern: the whole of it, or only its
    ``ring`` (outer edge less the hole) or its ``ball``."""
    outer, hole, ball = finder_boxes(corner_style, 0, 0)
    boxes = {"whole": (outer, hole, ball), "ring": (outer, hole), "ball": (ball,)}[part]
    return _draw_boxes(boxes, FINDER_SIZE * size, FINDER_SIZE)


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


def _coverage(
    matrix: QrMatrix, design: Design, size: int, modules: bytearray, finder_part: str | None
) -> Image.Image:
    """The coverage of the symbol (no quiet zone): data modules, plus the finders' ``part``."""
    n = matrix.size
    canvas = Image.new("L", (n * size, n * size), 0)
    if design.dot_style == "square":
        symbol = Image.frombytes("L", (n, n), bytes(modules).replace(b"\x01", b"\xff"))
        canvas.paste(symbol.resize((n * size, n * size), Image.Resampling.NEAREST), (0, 0))
    else:
        tiles = module_tiles(design.dot_style, size)
        paste = canvas.paste
        for row, col, mask in neighbour_masks(modules, n):
            paste(tiles[mask], (col * size, row * size))
    if finder_part is not None:
        finder = finder_tile(design.corner_style, size, finder_part)
        for row, col in matrix.finder_origins():
            canvas.paste(finder, (col * size, row * size))
    return canvas


def _finders(matrix: QrMatrix, design: Design, size: int, part: str) -> Image.Image:
    n = matrix.size
    canvas = Image.new("L", (n * size, n * size), 0)
    finder = finder_tile(design.corner_style, size, part)
    for row, col in matrix.finder_origins():
        canvas.paste(finder, (col * size, row * size))
    return canvas


def _palette_png(
    matrix: QrMatrix,
    design: Design,
    size: int,
    placement: LogoPlacement | None,
    logo: Logo | None,
) -> Image.Image:
    """A plain design (one colour, no frame) as an 8-bit palette image."""
    n = matrix.size
    quiet = design.quiet_zone
    total = (n + 2 * quiet) * size
    offset = quiet * size
    modules = data_modules(matrix, placement.cleared if placement else None)
    canvas = Image.new("L", (total, total), 0)
    canvas.paste(_coverage(matrix, design, size, modules, "whole"), (offset, offset))
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
    elif design.dot_style == "square" and design.corner_style == "square":
        # Nothing is anti-aliased, so a two-colour, one-bit PNG is enough and far smaller.
        canvas = canvas.point(_TWO_LEVELS)
        palette = _gradient(design.foreground, design.background, 2)
    else:
        palette = _gradient(design.foreground, design.background, 256)
    canvas.putpalette(palette)
    return canvas


def _gradient_paint(gradient: Gradient, side: int) -> Image.Image:
    """The gradient as an RGB square of ``side`` pixels (the symbol)."""
    if gradient.type == "linear":
        # Image.linear_gradient runs 0 to 255 from top to bottom; an affine map samples it
        # along the gradient's direction, from the first corner it meets to the last.
        angle = math.radians(gradient.angle)
        dx, dy = math.cos(angle), math.sin(angle)
        reach = side / 2 * (abs(dx) + abs(dy)) or 1.0
        k = 255 / (2 * reach)
        c = side / 2
        source = Image.linear_gradient("L")
        coefficients: tuple[float, ...] = (0, 0, 128, dx * k, dy * k, 127.5 - (c * dx + c * dy) * k)
    else:
        # Image.radial_gradient is 0 at its centre and 255 at 128 px out; the corners of the
        # symbol are mapped to 127 px.
        radius = side / math.sqrt(2)
        k = 127 / radius
        c = side / 2
        source = Image.radial_gradient("L")
        coefficients = (k, 0, 128 - c * k, 0, k, 128 - c * k)
    levels = source.transform(
        (side, side), Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR
    )
    red, green, blue = ramp(gradient.colors)
    return Image.merge("RGB", (levels.point(red), levels.point(green), levels.point(blue)))


def _frame_layer(layout: Layout, size: int, width: int, height: int) -> Image.Image:
    """Coverage of the frame (the frame shape less its holes), anti-aliased."""
    factor = FRAME_SUPERSAMPLE
    image = Image.new("L", (width * factor, height * factor), 0)
    draw = ImageDraw.Draw(image)
    scale = size * factor

    def rect(r: Rect, fill: int) -> None:
        box = (
            round(r.x * scale),
            round(r.y * scale),
            round((r.x + r.width) * scale) - 1,
            round((r.y + r.height) * scale) - 1,
        )
        draw.rounded_rectangle(box, radius=round(r.radius * scale), fill=fill)

    assert layout.frame is not None
    rect(layout.frame, 255)
    for hole in layout.holes:
        rect(hole, 0)
    return image.reduce(factor)


def _composed_png(
    matrix: QrMatrix,
    design: Design,
    layout: Layout,
    size: int,
    placement: LogoPlacement | None,
    logo: Logo | None,
) -> Image.Image:
    """A design with a gradient, eye colours or a frame, composed in RGB."""
    n = matrix.size
    width, height = round(layout.width * size), round(layout.height * size)
    canvas = Image.new("RGB", (width, height), hex_to_rgb(design.background))
    if layout.frame is not None and layout.frame_colour is not None:
        canvas.paste(
            hex_to_rgb(layout.frame_colour),
            (0, 0, width, height),
            _frame_layer(layout, size, width, height),
        )
    left, top = round(layout.symbol_x * size), round(layout.symbol_y * size)
    side = n * size
    modules = data_modules(matrix, placement.cleared if placement else None)
    eyes = design.eye_color
    separate_outer = eyes is not None and eyes.outer is not None
    separate_inner = eyes is not None and eyes.inner is not None
    if not separate_outer and not separate_inner:
        coverage = _coverage(matrix, design, size, modules, "whole")
    else:
        coverage = _coverage(matrix, design, size, modules, None)
        if not separate_outer:
            coverage = ImageChops.lighter(coverage, _finders(matrix, design, size, "ring"))
        if not separate_inner:
            coverage = ImageChops.lighter(coverage, _finders(matrix, design, size, "ball"))
    symbol = canvas.crop((left, top, left + side, top + side))
    if design.gradient is not None:
        symbol.paste(_gradient_paint(design.gradient, side), (0, 0), coverage)
    else:
        symbol.paste(hex_to_rgb(design.foreground), (0, 0, side, side), coverage)
    if eyes is not None and eyes.outer is not None:
        symbol.paste(
            hex_to_rgb(eyes.outer), (0, 0, side, side), _finders(matrix, design, size, "ring")
        )
    if eyes is not None and eyes.inner is not None:
        symbol.paste(
            hex_to_rgb(eyes.inner), (0, 0, side, side), _finders(matrix, design, size, "ball")
        )
    if placement is not None and logo is not None:
        logo_width, logo_height = round(placement.width * size), round(placement.height * size)
        image = flat_logo(logo, logo_width, logo_height, hex_to_rgb(design.background))
        symbol.paste(image, (round((side - logo_width) / 2), round((side - logo_height) / 2)))
    canvas.paste(symbol, (left, top))
    if layout.text is not None:
        text = layout.text
        font = pillow_font(round(text.em * size))
        draw = ImageDraw.Draw(canvas)
        draw.text(
            (text.centre_x * size, text.baseline * size),
            text.text,
            fill=hex_to_rgb(text.colour),
            font=font,
            anchor="ms",
        )
    return canvas


def draw_image(
    matrix: QrMatrix,
    design: Design,
    layout: Layout,
    size: int,
    placement: LogoPlacement | None,
    logo: Logo | None,
) -> Image.Image:
    """The image of ``matrix`` drawn with ``design`` at ``size`` px per module: a palette
    image for plain designs, RGB for those with a gradient, eye colours or a frame."""
    if design.gradient is None and design.eye_color is None and layout.frame is None:
        return _palette_png(matrix, design, size, placement, logo)
    return _composed_png(matrix, design, layout, size, placement, logo)


def render_png(
    matrix: QrMatrix,
    design: Design,
    layout: Layout,
    size: int,
    placement: LogoPlacement | None,
    logo: Logo | None,
    *,
    target_width: int | None = None,
    dpi: int | None = None,
) -> bytes:
    """Return the PNG of ``matrix`` drawn with ``design`` at ``size`` px per module.

    With ``target_width`` the code and its quiet zone are scaled to exactly that many pixels
    (the frame with them); ``dpi`` is written into the file (its pHYs chunk).
    """
    image = draw_image(matrix, design, layout, size, placement, logo)
    if target_width is not None:
        scale = target_width / (layout.code_side * size)
        width = round(layout.width * size * scale)
        height = round(layout.height * size * scale)
        if (width, height) != image.size:
            image = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    if image.mode == "RGB":
        # Pillow encodes RGB PNGs with adaptive row filters, several times slower than the
        # image took to draw; a code's few colours and their anti-aliasing fit a palette.
        image = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    if dpi is not None:
        image.save(buffer, format="PNG", dpi=(dpi, dpi))
    else:
        image.save(buffer, format="PNG")
    return buffer.getvalue()
