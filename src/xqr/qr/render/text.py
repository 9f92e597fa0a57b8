"""The call-to-action text of a frame: the bundled font, its coverage and glyph outlines.

The font is DejaVu Sans Bold (``fonts/DejaVuSans-Bold.ttf``, Bitstream Vera licence with
public-domain DejaVu changes: free to ship and embed; see ``fonts/LICENSE-DejaVu.txt``),
shipped inside the package so rendering never depends on the fonts of the machine. It covers
Latin, Greek, Cyrillic, Armenian and Georgian; not Chinese, Japanese or Korean (a CJK font
would weigh 15–20 MB), which ``design.unsupported_characters`` refuses with a clear error.

SVG and PDF draw the text as vector outlines taken from the font (no font is needed to view
them); PNG draws it with FreeType through Pillow. Glyphs are placed by their advance widths,
with no shaping: enough for the scripts above, written left to right.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont
from PIL import ImageFont

FONT_PATH = Path(__file__).with_name("fonts") / "DejaVuSans-Bold.ttf"

# A path as segments in font units, y up: ("M", x, y), ("L", x, y),
# ("C", x1, y1, x2, y2, x, y) and ("Z",).
Segment = tuple[object, ...]


@functools.lru_cache(maxsize=1)
def _font() -> TTFont:
    return TTFont(str(FONT_PATH), lazy=True)


@functools.lru_cache(maxsize=1)
def _cmap() -> dict[int, str]:
    return dict(_font().getBestCmap())


def font_covers(char: str) -> bool:
    """Whether the bundled font has a glyph for ``char``."""
    return ord(char) in _cmap()


@dataclass(frozen=True)
class FontMetrics:
    units_per_em: int
    cap_height: int  # of "H", in font units


@functools.lru_cache(maxsize=1)
def metrics() -> FontMetrics:
    font = _font()
    glyphs = font.getGlyphSet()
    bounds = _BoundsRecorder(glyphs)
    glyphs[_cmap()[ord("H")]].draw(bounds)
    return FontMetrics(int(font["head"].unitsPerEm), int(bounds.top))


class _BoundsRecorder(BasePen):
    def __init__(self, glyph_set: object) -> None:
        super().__init__(glyph_set)
        self.top = 0.0

    def _moveTo(self, pt: tuple[float, float]) -> None:
        self.top = max(self.top, pt[1])

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self.top = max(self.top, pt[1])

    def _curveToOne(
        self, p1: tuple[float, float], p2: tuple[float, float], p3: tuple[float, float]
    ) -> None:
        self.top = max(self.top, p3[1])


class _SegmentPen(BasePen):
    """Records an outline as moves, lines and cubic curves, shifted right by ``dx``."""

    def __init__(self, glyph_set: object, dx: float, out: list[Segment]) -> None:
        super().__init__(glyph_set)
        self.dx = dx
        self.out = out

    def _moveTo(self, pt: tuple[float, float]) -> None:
        self.out.append(("M", pt[0] + self.dx, pt[1]))

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self.out.append(("L", pt[0] + self.dx, pt[1]))

    def _curveToOne(
        self, p1: tuple[float, float], p2: tuple[float, float], p3: tuple[float, float]
    ) -> None:
        dx = self.dx
        self.out.append(("C", p1[0] + dx, p1[1], p2[0] + dx, p2[1], p3[0] + dx, p3[1]))

    def _closePath(self) -> None:
        self.out.append(("Z",))


@functools.lru_cache(maxsize=64)
def text_outline(text: str) -> tuple[tuple[Segment, ...], float]:
    """The outline of ``text`` set on a baseline at y 0 from x 0, and its advance width,
    both in font units."""
    font = _font()
    glyphs = font.getGlyphSet()
    cmap = _cmap()
    out: list[Segment] = []
    x = 0.0
    for char in text:
        name = cmap.get(ord(char), ".notdef")
        glyph = glyphs[name]
        glyph.draw(_SegmentPen(glyphs, x, out))
        x += glyph.width
    return tuple(out), x


def text_width_em(text: str) -> float:
    """The advance width of ``text`` in ems."""
    return text_outline(text)[1] / metrics().units_per_em


def placed_outline(
    text: str, em: float, centre_x: float, baseline: float
) -> list[tuple[str, tuple[float, ...]]]:
    """The outline of ``text`` at ``em`` units per em, centred on ``centre_x`` with its
    baseline at ``baseline``, in a y-down space: (command, points) pairs."""
    segments, width = text_outline(text)
    scale = em / metrics().units_per_em
    left = centre_x - width * scale / 2
    placed: list[tuple[str, tuple[float, ...]]] = []
    for segment in segments:
        command = str(segment[0])
        values = segment[1:]
        points = []
        for index in range(0, len(values), 2):
            points.append(left + float(values[index]) * scale)  # type: ignore[arg-type]
            points.append(baseline - float(values[index + 1]) * scale)  # type: ignore[arg-type]
        placed.append((command, tuple(points)))
    return placed


@functools.lru_cache(maxsize=32)
def pillow_font(pixels: int) -> ImageFont.FreeTypeFont:
    """The bundled font at ``pixels`` per em, for PNG output."""
    return ImageFont.truetype(str(FONT_PATH), max(1, pixels))
