"""The QR studio's engine: frames, gradients, eye colours, print sizes and vector PDF, each
read back by zxing-cpp (SVG rasterised by resvg, PDF by poppler's pdftoppm)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tests.qr.conftest import decode
from xqr.qr.render import (
    DOT_STYLES,
    FRAME_STYLES,
    Design,
    DesignError,
    EyeColor,
    Frame,
    Gradient,
    render,
)
from xqr.qr.render.text import font_covers

CONTENT = "https://xqr.co/studio1"
MEDIA = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
GRADIENTS = {
    "flat": None,
    "gradient": Gradient("linear", ("#1a237e", "#4a148c", "#b71c1c"), 45),
}
MM_PER_POINT = 25.4 / 72


def studio_design(frame: str, dot: str, gradient: str) -> Design:
    eyes = EyeColor("#b71c1c", "#0d47a1") if gradient == "gradient" else None
    return Design(
        dot_style=dot,
        corner_style="extra-rounded",
        gradient=GRADIENTS[gradient],
        eye_color=eyes,
        frame=Frame(frame, None if frame == "none" else "Scan me"),
    )


@pytest.mark.parametrize("dot", DOT_STYLES)
@pytest.mark.parametrize("frame", FRAME_STYLES)
def test_every_frame_dot_style_and_gradient_decodes_in_png_svg_and_pdf(
    frame: str, dot: str
) -> None:
    for gradient in GRADIENTS:
        design = studio_design(frame, dot, gradient)
        for fmt, media_type in MEDIA.items():
            image = render(CONTENT, design, size=4, fmt=fmt)
            assert decode(image, media_type) == [CONTENT], (frame, dot, gradient, fmt)


def test_the_radial_gradient_decodes_too() -> None:
    design = Design(gradient=Gradient("radial", ("#000000", "#1b5e20")), dot_style="dots")
    for fmt, media_type in MEDIA.items():
        assert decode(render(CONTENT, design, size=4, fmt=fmt), media_type) == [CONTENT]


SAMPLES = {
    "latin": "Scannez-moi · Ñandú",
    "cyrillic": "Сканируй меня",
    "greek": "Σαρώστε με",
}


@pytest.mark.parametrize("script", SAMPLES)
def test_frame_text_renders_in_latin_cyrillic_and_greek(script: str) -> None:
    text = SAMPLES[script]
    assert all(font_covers(char) for char in text if not char.isspace())
    framed = Design(frame=Frame("banner-bottom", text, "#0d47a1", "#ffffff"))
    blank = Design(frame=Frame("banner-bottom", None, "#0d47a1", "#ffffff"))
    png = render(CONTENT, framed, size=6, fmt="png")
    assert decode(png, "image/png") == [CONTENT]
    with Image.open(io.BytesIO(png)) as with_text:
        rgb = with_text.convert("RGB")
        band = rgb.crop((0, rgb.height - 30, rgb.width, rgb.height))
        # White text drawn on the blue band.
        colours = {colour for _, colour in band.getcolors(10_000) or []}
        assert any(min(colour) > 230 for colour in colours)
    assert render(CONTENT, blank, size=6, fmt="png") != png
    svg = render(CONTENT, framed, size=6, fmt="svg").decode()
    # The text is glyph outlines in its colour: no font is needed to view the file.
    assert re.search(r'<path fill="#ffffff" d="M[^"]+"', svg)
    assert "<text" not in svg


def test_cjk_frame_text_is_refused_with_the_fonts_documented_limit() -> None:
    with pytest.raises(DesignError) as refused:
        render(CONTENT, Design(frame=Frame("box", "扫一扫")), fmt="png")
    assert refused.value.field == "design.frame.text"
    assert "Chinese, Japanese, Korean" in refused.value.message


def test_frame_text_longer_than_30_characters_is_refused() -> None:
    with pytest.raises(DesignError) as refused:
        render(CONTENT, Design(frame=Frame("box", "x" * 31)), fmt="svg")
    assert refused.value.field == "design.frame.text"
    assert "at most 30" in refused.value.message


def test_a_30_mm_png_at_300_dpi_is_354_pixels_and_carries_300_dpi() -> None:
    png = render(CONTENT, Design(), fmt="png", width_mm=30, dpi=300)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (354, 354)
        assert tuple(round(value) for value in image.info["dpi"]) == (300, 300)
    assert decode(png, "image/png") == [CONTENT]


def _pdf_streams(pdf: bytes) -> list[bytes]:
    streams = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        raw = match.group(1)
        try:
            streams.append(zlib.decompressobj().decompress(raw))
        except zlib.error:
            streams.append(raw)
    return streams


def _page_size_mm(pdf: bytes) -> tuple[float, float]:
    pdfinfo = shutil.which("pdfinfo")
    assert pdfinfo, "pdfinfo (Debian's poppler-utils) is needed; run scripts/test-deps"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "code.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(
            [pdfinfo, str(path)], check=True, capture_output=True, text=True, timeout=60
        ).stdout
    found = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert found, info
    return float(found.group(1)) * MM_PER_POINT, float(found.group(2)) * MM_PER_POINT


def test_a_30_mm_pdf_is_30_mm_plus_its_frame_with_vector_modules() -> None:
    plain = render(CONTENT, Design(), fmt="pdf", width_mm=30)
    width, height = _page_size_mm(plain)
    assert width == pytest.approx(30, abs=0.01) and height == pytest.approx(30, abs=0.01)
    framed = render(CONTENT, Design(frame=Frame("banner-bottom", "Menu")), fmt="pdf", width_mm=30)
    width, height = _page_size_mm(framed)
    # 25 modules and a quiet zone of 4 take 30 mm; the frame's border adds a module a side and
    # the banner a band below.
    module = 30 / 33
    assert width == pytest.approx(30 + 2 * module, abs=0.01)
    assert height > width
    for pdf in (plain, framed):
        assert b"/Subtype /Image" not in pdf  # no bitmap anywhere
        content = b"\n".join(_pdf_streams(pdf))
        # Modules are rectangles (re) filled as paths (f); the text is curves (c).
        assert content.count(b" re") > 20
        assert re.search(rb"\bf\*?\b", content)
    assert b" c" in b"\n".join(_pdf_streams(framed))
    assert decode(framed, "application/pdf") == [CONTENT]


def test_quiet_zone_below_two_is_refused_and_two_decodes() -> None:
    with pytest.raises(DesignError) as refused:
        render(CONTENT, Design(quiet_zone=1), fmt="png")
    assert refused.value.field == "design.quiet_zone"
    png = render(CONTENT, Design(quiet_zone=2), size=4, fmt="png")
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == ((25 + 4) * 4, (25 + 4) * 4)
    assert decode(png, "image/png") == [CONTENT]
