"""Where everything of a QR image sits, in modules: the code, its quiet zone, the frame and
its call to action. Shared by the SVG, PNG and PDF renderers, so all three agree.

A frame lies outside the quiet zone, so it never touches what a reader needs:

- ``box``: a border one module wide; a call to action goes under the code, inside the border,
  on the background.
- ``rounded-box``: the same with rounded corners.
- ``banner-bottom`` / ``banner-top``: a border with a band below (or above) the code, in the
  frame colour, holding the call to action in the text colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xqr.qr.render.design import Design
from xqr.qr.render.text import metrics, text_width_em

BORDER = 1.0
# A band (or the caption area of a box) is this fraction of the code's width, at least
# MIN_BAND modules; the text's capitals take TEXT_CAP_FRACTION of it.
BAND_FRACTION = 0.2
MIN_BAND = 4.0
TEXT_CAP_FRACTION = 0.45
TEXT_SIDE_MARGIN = 1.0
ROUNDED_BOX_RADIUS = 3.0
BANNER_RADIUS = 1.0


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    radius: float = 0.0


@dataclass(frozen=True)
class TextPlacement:
    text: str
    em: float  # font size: modules per em
    centre_x: float
    baseline: float
    colour: str


@dataclass(frozen=True)
class Layout:
    """An image of ``width`` × ``height`` modules; the code's quiet zone starts at
    (``code_x``, ``code_y``) and is ``code_side`` wide, its symbol ``quiet_zone`` further in.

    ``frame`` is filled with the frame colour and ``holes`` cut back to the background.
    """

    width: float
    height: float
    code_x: float
    code_y: float
    code_side: float
    quiet_zone: int
    frame: Rect | None
    holes: tuple[Rect, ...]
    frame_colour: str | None
    text: TextPlacement | None

    @property
    def symbol_x(self) -> float:
        return self.code_x + self.quiet_zone

    @property
    def symbol_y(self) -> float:
        return self.code_y + self.quiet_zone


def _text(text: str, area: Rect, colour: str) -> TextPlacement:
    """The largest size at which ``text`` fits ``area``, centred in it."""
    cap = metrics().cap_height / metrics().units_per_em  # ems
    em = area.height * TEXT_CAP_FRACTION / cap
    width = text_width_em(text)
    if width > 0:
        em = min(em, (area.width - 2 * TEXT_SIDE_MARGIN) / width)
    baseline = area.y + area.height / 2 + em * cap / 2
    return TextPlacement(text, em, area.x + area.width / 2, baseline, colour)


def layout(design: Design, modules: int) -> Layout:
    """The layout of a symbol of ``modules`` a side drawn with ``design`` (validated)."""
    quiet = design.quiet_zone
    side = modules + 2 * quiet
    frame = design.frame
    if frame is None or frame.style == "none":
        return Layout(side, side, 0, 0, side, quiet, None, (), None, None)
    band = max(MIN_BAND, math.ceil(side * BAND_FRACTION))
    has_text = frame.text is not None
    width = side + 2 * BORDER
    style = frame.style
    if style in ("box", "rounded-box"):
        extra = band if has_text else 0.0
        radius = ROUNDED_BOX_RADIUS if style == "rounded-box" else 0.0
        height = width + extra
        outer = Rect(0, 0, width, height, radius)
        hole = Rect(BORDER, BORDER, side, side + extra, max(0.0, radius - BORDER))
        text = None
        if frame.text is not None:
            area = Rect(BORDER, BORDER + side, side, band)
            text = _text(frame.text, area, str(frame.text_color))
        return Layout(width, height, BORDER, BORDER, side, quiet, outer, (hole,), frame.color, text)
    height = width + band
    outer = Rect(0, 0, width, height, BANNER_RADIUS)
    if style == "banner-bottom":
        code_y = BORDER
        area = Rect(0, BORDER + side, width, band)
    else:
        code_y = band
        area = Rect(0, 0, width, band)
    hole = Rect(BORDER, code_y, side, side)
    text = _text(frame.text, area, str(frame.text_color)) if frame.text is not None else None
    return Layout(width, height, BORDER, code_y, side, quiet, outer, (hole,), frame.color, text)
