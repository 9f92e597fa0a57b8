"""Drawing a QR matrix as a one-page vector PDF with ReportLab, for print.

Everything is a vector path — modules, finder patterns, frame and the call to action (the
font's outlines, so no font is embedded) — except a raster logo, embedded as an image. The
page is exactly the code (with its quiet zone) plus its frame. Gradients are PDF shadings
clipped to the modules.
"""

from __future__ import annotations

import io
from typing import Any

from xqr.qr.render.design import Design, hex_to_rgb
from xqr.qr.render.layout import Layout, Rect
from xqr.qr.render.logo import Logo, LogoPlacement, flat_logo
from xqr.qr.render.matrix import QrMatrix, data_modules, neighbour_masks
from xqr.qr.render.paint import gradient_stops, linear_ends, radial_extent
from xqr.qr.render.shapes import Box, finder_boxes, module_radii
from xqr.qr.render.text import placed_outline

POINTS_PER_MM = 72 / 25.4
# Without a physical width, a pixel of `size` is a CSS pixel: 1/96 inch, 0.75 pt.
POINTS_PER_PIXEL = 0.75
# A quarter circle as one cubic Bézier curve: the control points sit this far along the
# tangents (4/3 · (√2 − 1)).
KAPPA = 0.5522847498


def _box(path: Any, box: Box) -> None:
    """Add ``box`` (y down) to ``path`` as a closed outline."""
    x, y, w, h = box.x, box.y, box.width, box.height
    tl, tr, br, bl = box.radii
    if not any(box.radii):
        path.rect(x, y, w, h)
        return

    def corner(
        start: tuple[float, float], at: tuple[float, float], end: tuple[float, float]
    ) -> None:
        if start == end:
            return
        path.curveTo(
            start[0] + KAPPA * (at[0] - start[0]),
            start[1] + KAPPA * (at[1] - start[1]),
            end[0] + KAPPA * (at[0] - end[0]),
            end[1] + KAPPA * (at[1] - end[1]),
            end[0],
            end[1],
        )

    path.moveTo(x + tl, y)
    path.lineTo(x + w - tr, y)
    corner((x + w - tr, y), (x + w, y), (x + w, y + tr))
    path.lineTo(x + w, y + h - br)
    corner((x + w, y + h - br), (x + w, y + h), (x + w - br, y + h))
    path.lineTo(x + bl, y + h)
    corner((x + bl, y + h), (x, y + h), (x, y + h - bl))
    path.lineTo(x, y + tl)
    corner((x, y + tl), (x, y), (x + tl, y))
    path.close()


def _rect_box(rect: Rect) -> Box:
    radius = min(rect.radius, rect.width / 2, rect.height / 2)
    return Box(rect.x, rect.y, rect.width, rect.height, (radius,) * 4)


def _colour(hex_colour: str) -> Any:
    from reportlab.lib.colors import Color

    r, g, b = hex_to_rgb(hex_colour)
    return Color(r / 255, g / 255, b / 255)


def render_pdf(
    matrix: QrMatrix,
    design: Design,
    layout: Layout,
    size: int,
    placement: LogoPlacement | None,
    logo: Logo | None,
    width_mm: float | None = None,
) -> bytes:
    """Return a one-page PDF of the code; the code and its quiet zone are ``width_mm`` wide,
    or ``size`` CSS pixels (0.75 pt) a module."""
    from reportlab import rl_config
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    # Streams are compressed; ASCII85 on top would only make them a quarter larger and slower.
    rl_config.useA85 = 0

    if width_mm is not None:
        points = width_mm * POINTS_PER_MM / layout.code_side
    else:
        points = size * POINTS_PER_PIXEL
    page = (layout.width * points, layout.height * points)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=page, pageCompression=1, invariant=1)
    canvas.setTitle("QR code")
    canvas.setCreator("xQR")
    # Draw in modules with y going down, like the SVG and PNG renderers.
    canvas.translate(0, page[1])
    canvas.scale(points, -points)
    canvas.setFillColor(_colour(design.background))
    canvas.rect(0, 0, layout.width, layout.height, stroke=0, fill=1)
    if layout.frame is not None and layout.frame_colour is not None:
        frame = canvas.beginPath()
        _box(frame, _rect_box(layout.frame))
        for cut in layout.holes:
            _box(frame, _rect_box(cut))
        canvas.setFillColor(_colour(layout.frame_colour))
        canvas.drawPath(frame, stroke=0, fill=1, fillMode=0)  # even-odd: holes cut out

    n = matrix.size
    x0, y0 = layout.symbol_x, layout.symbol_y
    modules = data_modules(matrix, placement.cleared if placement else None)
    body = canvas.beginPath()
    if design.dot_style == "square":
        for row in range(n):
            line = modules[row * n : (row + 1) * n]
            col = line.find(1)
            while col != -1:
                end = line.find(0, col)
                if end == -1:
                    end = n
                body.rect(x0 + col, y0 + row, end - col, 1)
                col = line.find(1, end)
    else:
        for row, col, mask in neighbour_masks(modules, n):
            radii = module_radii(design.dot_style, mask)
            _box(body, Box(x0 + col, y0 + row, 1, 1, radii))
    eyes = design.eye_color
    rings = canvas.beginPath()
    balls = canvas.beginPath()
    for row, col in matrix.finder_origins():
        outer, hole, ball = finder_boxes(design.corner_style, x0 + col, y0 + row)
        ring_path = rings if eyes is not None and eyes.outer is not None else body
        _box(ring_path, outer)
        _box(ring_path, hole)
        _box(balls if eyes is not None and eyes.inner is not None else body, ball)

    if design.gradient is not None:
        gradient = design.gradient
        stops = gradient_stops(gradient)
        colours = [_colour(colour) for _, colour in stops]
        positions = [offset for offset, _ in stops]
        canvas.saveState()
        canvas.clipPath(body, stroke=0, fill=0, fillMode=0)
        if gradient.type == "linear":
            x1, y1, x2, y2 = linear_ends(gradient, x0, y0, n)
            canvas.linearGradient(x1, y1, x2, y2, colours, positions, extend=True)
        else:
            cx, cy, radius = radial_extent(x0, y0, n)
            canvas.radialGradient(cx, cy, radius, colours, positions, extend=True)
        canvas.restoreState()
    else:
        canvas.setFillColor(_colour(design.foreground))
        canvas.drawPath(body, stroke=0, fill=1, fillMode=0)
    if eyes is not None and eyes.outer is not None:
        canvas.setFillColor(_colour(eyes.outer))
        canvas.drawPath(rings, stroke=0, fill=1, fillMode=0)
    if eyes is not None and eyes.inner is not None:
        canvas.setFillColor(_colour(eyes.inner))
        canvas.drawPath(balls, stroke=0, fill=1, fillMode=0)

    if placement is not None and logo is not None and logo.image is not None:
        canvas.saveState()
        canvas.translate(x0 + placement.x, y0 + placement.y + placement.height)
        canvas.scale(1, -1)
        pixels = flat_logo(logo, *logo.image.size, hex_to_rgb(design.background))
        canvas.drawImage(ImageReader(pixels), 0, 0, placement.width, placement.height)
        canvas.restoreState()

    if layout.text is not None:
        text = layout.text
        glyphs = canvas.beginPath()
        for command, values in placed_outline(text.text, text.em, text.centre_x, text.baseline):
            if command == "M":
                glyphs.moveTo(*values)
            elif command == "L":
                glyphs.lineTo(*values)
            elif command == "C":
                glyphs.curveTo(*values)
            else:
                glyphs.close()
        canvas.setFillColor(_colour(text.colour))
        canvas.drawPath(glyphs, stroke=0, fill=1, fillMode=1)  # nonzero, as fonts are drawn
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
