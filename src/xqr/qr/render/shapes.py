"""The geometry of modules and finder patterns, shared by the SVG and PNG renderers.

Every shape is a rectangle with its own radius per corner, in module units; the SVG renderer
turns it into path data and the PNG renderer into a polygon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xqr.qr.render.matrix import BOTTOM, LEFT, RIGHT, TOP

# Corner radii in module units, clockwise from the top-left corner.
Radii = tuple[float, float, float, float]

SQUARE: Radii = (0.0, 0.0, 0.0, 0.0)
CIRCLE: Radii = (0.5, 0.5, 0.5, 0.5)


def _rounded_where_exposed(mask: int, radius: float) -> Radii:
    """Round each corner whose two sides both have no dark neighbour."""
    top, right, bottom, left = (not mask & side for side in (TOP, RIGHT, BOTTOM, LEFT))
    return (
        radius if top and left else 0.0,
        radius if top and right else 0.0,
        radius if bottom and right else 0.0,
        radius if bottom and left else 0.0,
    )


def _extra_rounded(mask: int) -> Radii:
    """Like rounded, but an outer bend (exactly two perpendicular neighbours) is a quarter disc."""
    bends = {RIGHT | BOTTOM: 0, BOTTOM | LEFT: 1, LEFT | TOP: 2, TOP | RIGHT: 3}
    if mask in bends:
        radii = [0.0, 0.0, 0.0, 0.0]
        radii[bends[mask]] = 1.0
        return (radii[0], radii[1], radii[2], radii[3])
    return _rounded_where_exposed(mask, 0.5)


def _classy(mask: int, radius: float) -> Radii:
    """Round only the top-left and bottom-right corners, where both their sides are exposed."""
    top, right, bottom, left = (not mask & side for side in (TOP, RIGHT, BOTTOM, LEFT))
    return (radius if top and left else 0.0, 0.0, radius if bottom and right else 0.0, 0.0)


def module_radii(dot_style: str, mask: int) -> Radii:
    """Return the corner radii of a data module given its dark-neighbour ``mask``."""
    if dot_style == "square":
        return SQUARE
    if dot_style == "dots":
        return CIRCLE
    if dot_style == "rounded":
        return _rounded_where_exposed(mask, 0.5)
    if dot_style == "extra-rounded":
        return _extra_rounded(mask)
    if dot_style == "classy":
        return _classy(mask, 0.5)
    if dot_style == "classy-rounded":
        return _classy(mask, 1.0)
    raise ValueError(f"unknown dot style {dot_style!r}")


@dataclass(frozen=True)
class FinderShape:
    """Corner radii of a finder's 7x7 outer edge, its 5x5 hole and its 3x3 eye."""

    outer: float
    hole: float
    eye: float


FINDER_SHAPES = {
    "square": FinderShape(0.0, 0.0, 0.0),
    "rounded": FinderShape(1.5, 0.5, 0.5),
    "extra-rounded": FinderShape(2.75, 1.75, 1.0),
    "dot": FinderShape(3.5, 2.5, 1.5),
}


@dataclass(frozen=True)
class Box:
    """A rectangle with rounded corners; ``hole`` ones are cut out of the shapes under them."""

    x: float
    y: float
    width: float
    height: float
    radii: Radii
    hole: bool = False

    def inset(self, amount: float) -> Box:
        """Return this box shrunk by ``amount`` on every side, its radii with it."""
        tl, tr, br, bl = (max(0.0, r - amount) for r in self.radii)
        return Box(
            self.x + amount,
            self.y + amount,
            self.width - 2 * amount,
            self.height - 2 * amount,
            (tl, tr, br, bl),
            self.hole,
        )


def finder_boxes(corner_style: str, x: float, y: float) -> tuple[Box, Box, Box]:
    """Return the outer edge, hole and eye of a finder pattern whose top-left is (x, y)."""
    shape = FINDER_SHAPES[corner_style]
    return (
        Box(x, y, 7, 7, (shape.outer,) * 4),
        Box(x + 1, y + 1, 5, 5, (shape.hole,) * 4, hole=True),
        Box(x + 2, y + 2, 3, 3, (shape.eye,) * 4),
    )


def format_number(value: float) -> str:
    """Format a coordinate as compactly as SVG allows (``0.5`` -> ``.5``)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return "0" if text == "-0" else text


def _join(values: tuple[float, ...]) -> str:
    """Join numbers, leaving out the separators an SVG path parser does not need."""
    out: list[str] = []
    previous = ""
    for value in values:
        text = format_number(value)
        if previous and not (text.startswith("-") or (text.startswith(".") and "." in previous)):
            out.append(" ")
        out.append(text)
        previous = text
    return "".join(out)


def box_path_parts(box: Box) -> tuple[float, float, str]:
    """Return the start point of ``box``'s outline and the relative SVG path data after it.

    The outline runs clockwise, or anticlockwise when the box is a hole, so that under the
    nonzero fill rule a hole cuts out of the shape it lies on.
    """
    x, y, w, h = box.x, box.y, box.width, box.height
    tl, tr, br, bl = box.radii
    if w == h and tl == tr == br == bl == w / 2:
        r = w / 2
        sweep = 0 if box.hole else 1
        return x, y + r, f"a{_join((r, r, 0, 1, sweep, w, 0))}a{_join((r, r, 0, 1, sweep, -w, 0))}z"
    if not box.hole:
        segments: list[tuple[str, tuple[float, ...]]] = [
            ("h", (w - tl - tr,)),
            ("a", (tr, tr, 0, 0, 1, tr, tr)),
            ("v", (h - tr - br,)),
            ("a", (br, br, 0, 0, 1, -br, br)),
            ("h", (-(w - br - bl),)),
            ("a", (bl, bl, 0, 0, 1, -bl, -bl)),
            ("v", (-(h - bl - tl),)),
            ("a", (tl, tl, 0, 0, 1, tl, -tl)),
        ]
    else:
        segments = [
            ("a", (tl, tl, 0, 0, 0, -tl, tl)),
            ("v", (h - tl - bl,)),
            ("a", (bl, bl, 0, 0, 0, bl, bl)),
            ("h", (w - bl - br,)),
            ("a", (br, br, 0, 0, 0, br, -br)),
            ("v", (-(h - br - tr),)),
            ("a", (tr, tr, 0, 0, 0, -tr, -tr)),
            ("h", (-(w - tr - tl),)),
        ]
    kept = [(cmd, args) for cmd, args in segments if abs(args[0]) > 1e-9]
    if kept and kept[-1][0] != "a":
        kept.pop()  # "z" draws the closing straight line itself.
    return x + tl, y, "".join(cmd + _join(args) for cmd, args in kept) + "z"


def box_path(box: Box) -> str:
    """Return SVG path data for ``box``, starting with an absolute move."""
    x, y, rest = box_path_parts(box)
    return f"M{_join((x, y))}{rest}"


def box_polygon(box: Box, scale: float, offset: float = 0.0) -> list[tuple[float, float]]:
    """Return the outline of ``box`` scaled to pixels, with arcs as short straight segments."""
    x, y, w, h = box.x, box.y, box.width, box.height
    tl, tr, br, bl = box.radii
    corners = (
        (x + tl, y + tl, tl, math.pi),
        (x + w - tr, y + tr, tr, 1.5 * math.pi),
        (x + w - br, y + h - br, br, 0.0),
        (x + bl, y + h - bl, bl, 0.5 * math.pi),
    )
    points: list[tuple[float, float]] = []
    for cx, cy, r, start in corners:
        steps = max(1, math.ceil(r * scale / 2)) if r else 0
        if steps == 0:
            points.append((cx * scale + offset, cy * scale + offset))
            continue
        for step in range(steps + 1):
            angle = start + (math.pi / 2) * step / steps
            points.append(
                (
                    (cx + r * math.cos(angle)) * scale + offset,
                    (cy + r * math.sin(angle)) * scale + offset,
                )
            )
    return points
