"""Drawing a QR matrix as a compact SVG document."""

from __future__ import annotations

import functools
from xml.sax.saxutils import quoteattr

from xqr.qr.render.design import Design
from xqr.qr.render.logo import LogoPlacement
from xqr.qr.render.matrix import QrMatrix, data_modules, neighbour_masks
from xqr.qr.render.shapes import (
    Box,
    box_path,
    box_path_parts,
    finder_boxes,
    format_number,
    module_radii,
)

QUIET_ZONE = 4


@functools.lru_cache(maxsize=16)
def _module_paths(dot_style: str) -> tuple[tuple[float, float, str], ...]:
    """Return, per neighbour mask, the start offset and relative path of one data module."""
    return tuple(
        box_path_parts(Box(0, 0, 1, 1, module_radii(dot_style, mask))) for mask in range(16)
    )


def _square_runs(modules: bytearray, n: int) -> list[str]:
    """Return one closed rectangle per horizontal run of dark modules."""
    parts = []
    for row in range(n):
        line = modules[row * n : (row + 1) * n]
        col = line.find(1)
        while col != -1:
            end = line.find(0, col)
            if end == -1:
                end = n
            length = end - col
            parts.append(f"M{col + QUIET_ZONE} {row + QUIET_ZONE}h{length}v1h-{length}z")
            col = line.find(1, end)
    return parts


def render_svg(
    matrix: QrMatrix,
    design: Design,
    size: int,
    placement: LogoPlacement | None,
    logo_uri: str | None,
) -> bytes:
    """Return the SVG document of ``matrix`` drawn with ``design`` at ``size`` px per module."""
    n = matrix.size
    total = n + 2 * QUIET_ZONE
    modules = data_modules(matrix, placement.cleared if placement else None)
    if design.dot_style == "square":
        parts = _square_runs(modules, n)
    else:
        paths = _module_paths(design.dot_style)
        parts = []
        for row, col, mask in neighbour_masks(modules, n):
            dx, dy, rest = paths[mask]
            x = format_number(col + QUIET_ZONE + dx)
            y = format_number(row + QUIET_ZONE + dy)
            parts.append(f"M{x} {y}{rest}")
    for row, col in matrix.finder_origins():
        for box in finder_boxes(design.corner_style, col + QUIET_ZONE, row + QUIET_ZONE):
            parts.append(box_path(box))
    pixels = total * size
    xlink = ' xmlns:xlink="http://www.w3.org/1999/xlink"' if logo_uri else ""
    document = [
        f'<svg xmlns="http://www.w3.org/2000/svg"{xlink} width="{pixels}" height="{pixels}" '
        f'viewBox="0 0 {total} {total}">',
        f'<rect width="{total}" height="{total}" fill="{design.background}"/>',
        f'<path fill="{design.foreground}" d="{"".join(parts)}"/>',
    ]
    if placement is not None and logo_uri is not None:
        x, y, w, h = (
            format_number(value)
            for value in (
                placement.x + QUIET_ZONE,
                placement.y + QUIET_ZONE,
                placement.width,
                placement.height,
            )
        )
        document.append(
            f'<image x="{x}" y="{y}" width="{w}" height="{h}" xlink:href={quoteattr(logo_uri)}/>'
        )
    document.append("</svg>")
    return "".join(document).encode("utf-8")
