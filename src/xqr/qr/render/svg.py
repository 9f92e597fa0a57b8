"""Drawing a QR matrix as a compact SVG document."""

from __future__ import annotations

import functools
from xml.sax.saxutils import quoteattr

from xqr.qr.render.design import Design
from xqr.qr.render.layout import Layout, Rect
from xqr.qr.render.logo import LogoPlacement
from xqr.qr.render.matrix import QrMatrix, data_modules, neighbour_masks
from xqr.qr.render.paint import gradient_stops, linear_ends, radial_extent
from xqr.qr.render.shapes import (
    Box,
    box_path,
    box_path_parts,
    finder_boxes,
    format_number,
    module_radii,
)
from xqr.qr.render.text import placed_outline

GRADIENT_ID = "modules"


@functools.lru_cache(maxsize=16)
def _module_paths(dot_style: str) -> tuple[tuple[float, float, str], ...]:
    """Return, per neighbour mask, the start offset and relative path of one data module."""
    return tuple(
        box_path_parts(Box(0, 0, 1, 1, module_radii(dot_style, mask))) for mask in range(16)
    )


def _square_runs(modules: bytearray, n: int, x0: float, y0: float) -> list[str]:
    """Return one closed rectangle per horizontal run of dark modules."""
    parts = []
    plain = x0 == int(x0) and y0 == int(y0)
    for row in range(n):
        line = modules[row * n : (row + 1) * n]
        col = line.find(1)
        while col != -1:
            end = line.find(0, col)
            if end == -1:
                end = n
            length = end - col
            if plain:
                parts.append(f"M{col + int(x0)} {row + int(y0)}h{length}v1h-{length}z")
            else:
                x = format_number(col + x0)
                y = format_number(row + y0)
                parts.append(f"M{x} {y}h{length}v1h-{length}z")
            col = line.find(1, end)
    return parts


def _rect_path(rect: Rect, hole: bool = False) -> str:
    radius = min(rect.radius, rect.width / 2, rect.height / 2)
    return box_path(Box(rect.x, rect.y, rect.width, rect.height, (radius,) * 4, hole=hole))


def _text_path(layout: Layout) -> str:
    assert layout.text is not None
    placement = layout.text
    parts = []
    for command, points in placed_outline(
        placement.text, placement.em, placement.centre_x, placement.baseline
    ):
        parts.append(command + " ".join(format_number(p) for p in points))
    return "".join(parts)


def _gradient_def(design: Design, layout: Layout, n: int) -> str:
    gradient = design.gradient
    assert gradient is not None
    stops = "".join(
        f'<stop offset="{format_number(offset)}" stop-color="{colour}"/>'
        for offset, colour in gradient_stops(gradient)
    )
    if gradient.type == "linear":
        x1, y1, x2, y2 = (
            format_number(v) for v in linear_ends(gradient, layout.symbol_x, layout.symbol_y, n)
        )
        return (
            f'<linearGradient id="{GRADIENT_ID}" gradientUnits="userSpaceOnUse" '
            f'x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}">{stops}</linearGradient>'
        )
    cx, cy, r = (format_number(v) for v in radial_extent(layout.symbol_x, layout.symbol_y, n))
    return (
        f'<radialGradient id="{GRADIENT_ID}" gradientUnits="userSpaceOnUse" '
        f'cx="{cx}" cy="{cy}" r="{r}">{stops}</radialGradient>'
    )


def render_svg(
    matrix: QrMatrix,
    design: Design,
    layout: Layout,
    size: int,
    placement: LogoPlacement | None,
    logo_uri: str | None,
    width_mm: float | None = None,
) -> bytes:
    """Return the SVG document of ``matrix`` drawn with ``design`` at ``size`` px per module
    (or ``width_mm`` millimetres for the code and its quiet zone)."""
    n = matrix.size
    x0, y0 = layout.symbol_x, layout.symbol_y
    modules = data_modules(matrix, placement.cleared if placement else None)
    if design.dot_style == "square":
        parts = _square_runs(modules, n, x0, y0)
    else:
        paths = _module_paths(design.dot_style)
        parts = []
        for row, col, mask in neighbour_masks(modules, n):
            dx, dy, rest = paths[mask]
            x = format_number(col + x0 + dx)
            y = format_number(row + y0 + dy)
            parts.append(f"M{x} {y}{rest}")
    eyes = design.eye_color
    rings: list[str] = []
    balls: list[str] = []
    for row, col in matrix.finder_origins():
        outer, hole, ball = finder_boxes(design.corner_style, col + x0, row + y0)
        ring = [box_path(outer), box_path(hole)]
        if eyes is not None and eyes.outer is not None:
            rings += ring
        else:
            parts += ring
        if eyes is not None and eyes.inner is not None:
            balls.append(box_path(ball))
        else:
            parts.append(box_path(ball))
    width, height = layout.width, layout.height
    w, h = format_number(width), format_number(height)
    if width_mm is not None:
        scale = width_mm / layout.code_side
        outer_size = (
            f'width="{format_number(width * scale)}mm" height="{format_number(height * scale)}mm"'
        )
    else:
        outer_size = (
            f'width="{format_number(width * size)}" height="{format_number(height * size)}"'
        )
    xlink = ' xmlns:xlink="http://www.w3.org/1999/xlink"' if logo_uri else ""
    document = [
        f'<svg xmlns="http://www.w3.org/2000/svg"{xlink} {outer_size} viewBox="0 0 {w} {h}">'
    ]
    fill = design.foreground
    if design.gradient is not None:
        document.append(f"<defs>{_gradient_def(design, layout, n)}</defs>")
        fill = f"url(#{GRADIENT_ID})"
    document.append(f'<rect width="{w}" height="{h}" fill="{design.background}"/>')
    if layout.frame is not None:
        frame_path = _rect_path(layout.frame) + "".join(
            _rect_path(r, hole=True) for r in layout.holes
        )
        document.append(f'<path fill="{layout.frame_colour}" d="{frame_path}"/>')
    document.append(f'<path fill="{fill}" d="{"".join(parts)}"/>')
    if rings and eyes is not None:
        document.append(f'<path fill="{eyes.outer}" d="{"".join(rings)}"/>')
    if balls and eyes is not None:
        document.append(f'<path fill="{eyes.inner}" d="{"".join(balls)}"/>')
    if layout.text is not None:
        document.append(f'<path fill="{layout.text.colour}" d="{_text_path(layout)}"/>')
    if placement is not None and logo_uri is not None:
        x, y, lw, lh = (
            format_number(value)
            for value in (placement.x + x0, placement.y + y0, placement.width, placement.height)
        )
        document.append(
            f'<image x="{x}" y="{y}" width="{lw}" height="{lh}" xlink:href={quoteattr(logo_uri)}/>'
        )
    document.append("</svg>")
    return "".join(document).encode("utf-8")
