"""The QR rendering engine: every style decodes back to its content, and designs are checked."""

from __future__ import annotations

import base64
import functools
import io
import itertools
import re
import xml.etree.ElementTree as ET

import pytest
import resvg_py
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from tests.qr.conftest import rasterise_pdf
from xqr.qr.render import (
    CORNER_STYLES,
    DOT_STYLES,
    ERROR_CORRECTIONS,
    FORMATS,
    MAX_PNG_SIDE,
    Design,
    DesignError,
    render,
    render_cache_key,
    validate_design,
    validate_size,
)
from xqr.qr.render.matrix import encode

SHORT_URL = "https://xqr.co/abc1234?qr=1"
LONG_URL = "https://example.com/campaigns/spring-2025/landing?" + "&".join(
    f"utm_param{i}=value{i:03d}" for i in range(15)
)
UNICODE_TEXT = "Grüße aus Köln — 東京 🎉 ünïcödé"
CONTENTS = (SHORT_URL, LONG_URL, UNICODE_TEXT)
SVG_NS = "{http://www.w3.org/2000/svg}"


@functools.cache
def logo_bytes(fmt: str = "PNG", width: int = 60, height: int = 60) -> bytes:
    """A small red-and-white logo, drawn with Pillow."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=12, fill=(200, 30, 30, 255))
    draw.ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill="white")
    if fmt == "JPEG":
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def to_image(data: bytes, fmt: str) -> Image.Image:
    """Open a rendered code; SVGs are rasterised by resvg, not by our PNG renderer."""
    if fmt == "svg":
        data = resvg_py.svg_to_bytes(svg_string=data.decode("utf-8"), skip_system_fonts=True)
    if fmt == "pdf":
        return rasterise_pdf(data)
    return Image.open(io.BytesIO(data))


def decode(data: bytes, fmt: str) -> list[zxingcpp.Barcode]:
    """Return the QR codes zxing-cpp finds in a rendered image."""
    return zxingcpp.read_barcodes(to_image(data, fmt), text_mode=zxingcpp.TextMode.Plain)


def decoded_texts(data: bytes, fmt: str) -> list[str]:
    return [barcode.text for barcode in decode(data, fmt)]


@pytest.mark.parametrize(
    ("dot_style", "corner_style"), list(itertools.product(DOT_STYLES, CORNER_STYLES))
)
def test_every_style_decodes_in_every_format_and_error_correction(
    dot_style: str, corner_style: str
) -> None:
    for content, fmt in itertools.product(CONTENTS, FORMATS):
        # A PDF is drawn from the same modules as the SVG: a real PDF reader (pdftoppm, slow)
        # reads it at level H, the densest symbol, and with a logo.
        levels = ERROR_CORRECTIONS if fmt != "pdf" else ERROR_CORRECTIONS[-1:]
        for error_correction in levels:
            design = Design(
                error_correction=error_correction, dot_style=dot_style, corner_style=corner_style
            )
            image = render(content, design, size=4, fmt=fmt)
            assert decoded_texts(image, fmt) == [content], (content, fmt, error_correction)
        # A logo forces error correction H, so the requested level does not change the image.
        with_logo = {
            render(
                content,
                Design(error_correction=ec, dot_style=dot_style, corner_style=corner_style),
                size=4,
                fmt=fmt,
                logo=logo_bytes(),
            )
            for ec in ERROR_CORRECTIONS
        }
        assert len(with_logo) == 1
        assert decoded_texts(with_logo.pop(), fmt) == [content], (content, fmt, "logo")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content=st.text(min_size=1, max_size=60),
    size=st.integers(min_value=1, max_value=50),
    fmt=st.sampled_from(("svg", "png")),  # sizes in pixels; PDF pages are in points
    dot_style=st.sampled_from(DOT_STYLES),
    corner_style=st.sampled_from(CORNER_STYLES),
)
def test_arbitrary_text_round_trips_at_every_size(
    content: str, size: int, fmt: str, dot_style: str, corner_style: str
) -> None:
    design = Design(dot_style=dot_style, corner_style=corner_style)
    image = to_image(render(content, design, size=size, fmt=fmt), fmt)
    modules = encode(content, "M").size
    assert image.size == ((modules + 8) * size, (modules + 8) * size)
    if size >= 2:
        found = zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)
        assert [barcode.text for barcode in found] == [content]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 10, 50])
def test_png_is_modules_plus_quiet_zone_times_size(size: int) -> None:
    modules = encode(SHORT_URL, "M").size
    image = Image.open(io.BytesIO(render(SHORT_URL, Design(), size=size, fmt="png")))
    assert image.format == "PNG"
    assert image.size == ((modules + 8) * size, (modules + 8) * size)


def test_svg_is_xml_with_pixel_size_viewbox_background_and_one_path() -> None:
    modules = encode(SHORT_URL, "M").size
    design = Design(foreground="#1E3A8A", background="#FEF9EF", dot_style="rounded")
    root = ET.fromstring(render(SHORT_URL, design, size=7, fmt="svg"))
    total = modules + 8
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("width") == root.get("height") == str(total * 7)
    assert root.get("viewBox") == f"0 0 {total} {total}"
    [background] = root.findall(f"{SVG_NS}rect")
    assert background.get("fill") == "#fef9ef"
    assert background.get("width") == background.get("height") == str(total)
    [path] = root.findall(f"{SVG_NS}path")
    assert path.get("fill") == "#1e3a8a"


def test_tiny_pngs_are_crisp_two_colour_images() -> None:
    design = Design(dot_style="dots", corner_style="dot")
    for size in (1, 2, 3):
        image = Image.open(io.BytesIO(render(SHORT_URL, design, size=size, fmt="png")))
        assert len(image.convert("RGB").getcolors() or []) == 2


def test_styled_pngs_are_anti_aliased_in_the_design_colours() -> None:
    design = Design(
        foreground="#14532d", background="#ecfdf5", dot_style="rounded", corner_style="dot"
    )
    image = Image.open(io.BytesIO(render(SHORT_URL, design, size=10, fmt="png"))).convert("RGB")
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 16) or []}
    assert len(colours) > 2
    assert image.getpixel((0, 0)) == (0xEC, 0xFD, 0xF5)
    # The middle of the top-left finder's eye: 4 quiet-zone modules plus 3 modules in.
    assert image.getpixel((75, 75)) == (0x14, 0x53, 0x2D)


def test_a_logo_forces_error_correction_h() -> None:
    design = Design(error_correction="L")
    for fmt in FORMATS:
        [plain] = decode(render(SHORT_URL, design, size=6, fmt=fmt), fmt)
        [with_logo] = decode(render(SHORT_URL, design, size=6, fmt=fmt, logo=logo_bytes()), fmt)
        assert plain.ec_level == "L"
        assert with_logo.ec_level == "H"
        assert with_logo.text == SHORT_URL


@pytest.mark.parametrize("logo_format", ["PNG", "JPEG", "GIF", "WEBP"])
def test_raster_logos_of_every_supported_type_are_placed(logo_format: str) -> None:
    logo = logo_bytes(logo_format, 90, 45)
    for fmt in FORMATS:
        assert decoded_texts(render(SHORT_URL, Design(), size=6, fmt=fmt, logo=logo), fmt) == [
            SHORT_URL
        ]


def test_svg_logo_is_embedded_centred_at_most_22_percent_wide_keeping_its_aspect() -> None:
    logo = logo_bytes("PNG", 90, 45)
    modules = encode(SHORT_URL, "H").size
    root = ET.fromstring(render(SHORT_URL, Design(), size=6, fmt="svg", logo=logo))
    [image] = root.findall(f"{SVG_NS}image")
    href = image.get("{http://www.w3.org/1999/xlink}href")
    assert href is not None and href.startswith("data:image/png;base64,")
    x, y, width, height = (float(image.get(name, "")) for name in ("x", "y", "width", "height"))
    assert width <= 0.22 * modules + 1e-6
    assert width / height == pytest.approx(2.0)
    assert x + width / 2 == pytest.approx((modules + 8) / 2)
    assert y + height / 2 == pytest.approx((modules + 8) / 2)


def test_svg_logos_work_in_svg_output_but_not_in_png() -> None:
    logo = (
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 10">'
        b'<rect width="20" height="10" rx="2" fill="#c81e1e"/></svg>'
    )
    svg = render(SHORT_URL, Design(), size=6, fmt="svg", logo=logo)
    assert b"data:image/svg+xml;base64," in svg
    assert decoded_texts(svg, "svg") == [SHORT_URL]
    with pytest.raises(DesignError) as raised:
        render(SHORT_URL, Design(), size=6, fmt="png", logo=logo)
    assert raised.value.field == "design.logo_url"


def test_large_logos_are_downscaled_before_embedding_in_svg() -> None:
    logo = logo_bytes("PNG", 2400, 1200)
    svg = render(SHORT_URL, Design(), size=6, fmt="svg", logo=logo)
    [image] = ET.fromstring(svg).findall(f"{SVG_NS}image")
    href = image.get("{http://www.w3.org/1999/xlink}href", "")
    embedded = Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1])))
    assert embedded.size == (512, 256)
    assert decoded_texts(render(SHORT_URL, Design(), size=6, fmt="png", logo=logo), "png") == [
        SHORT_URL
    ]


def test_logo_with_too_many_pixels_is_rejected_before_decoding() -> None:
    with pytest.raises(DesignError) as raised:
        render(SHORT_URL, Design(), fmt="png", logo=logo_bytes("PNG", 9000, 4))
    assert raised.value.field == "design.logo_url"
    assert "9000x4" in raised.value.message


@pytest.mark.parametrize(
    "logo", [b"not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"<svg", b""]
)
def test_unreadable_logo_is_a_design_error_on_logo_url(logo: bytes) -> None:
    for fmt in FORMATS:
        with pytest.raises(DesignError) as raised:
            render(SHORT_URL, Design(), fmt=fmt, logo=logo)
        assert raised.value.field == "design.logo_url"
        assert raised.value.message


@pytest.mark.parametrize(
    ("design", "field"),
    [
        (Design(foreground="red"), "design.foreground"),
        (Design(foreground="#12345"), "design.foreground"),
        (Design(background="#GGGGGG"), "design.background"),
        (Design(background="ffffff"), "design.background"),
        (Design(dot_style="hearts"), "design.dot_style"),
        (Design(corner_style="star"), "design.corner_style"),
        (Design(error_correction="X"), "design.error_correction"),
        (Design(foreground="#777777", background="#888888"), "design.foreground"),
        (Design(foreground="#ffffff", background="#000000"), "design.foreground"),
        (Design(foreground="#fafafa", background="#111111"), "design.foreground"),
    ],
)
def test_invalid_design_is_rejected_naming_the_field(design: Design, field: str) -> None:
    with pytest.raises(DesignError) as raised:
        validate_design(design)
    assert raised.value.field == field
    assert raised.value.message.endswith(".")
    with pytest.raises(DesignError):
        render(SHORT_URL, design)


def test_foreground_lighter_than_background_says_why() -> None:
    with pytest.raises(DesignError, match="lighter than the background"):
        validate_design(Design(foreground="#ffffff", background="#000000"))


def test_low_contrast_names_the_ratio() -> None:
    with pytest.raises(DesignError, match=r"contrast ratio of 1\.\d\d:1"):
        validate_design(Design(foreground="#777777", background="#888888"))


@pytest.mark.parametrize("size", [0, 51, -1, 10.0, True, "10"])
def test_size_outside_1_to_50_is_rejected(size: object) -> None:
    with pytest.raises(DesignError) as raised:
        validate_size(size)  # type: ignore[arg-type]
    assert raised.value.field == "size"
    with pytest.raises(DesignError):
        render(SHORT_URL, Design(), size=size)  # type: ignore[arg-type]


def test_sizes_1_and_50_are_accepted() -> None:
    assert validate_size(1) == 1
    assert validate_size(50) == 50


def test_png_side_is_capped_before_drawing_and_svg_is_not() -> None:
    content = "x" * 420  # a version 16 symbol at M: 81 modules, 89 with the quiet zone
    assert encode(content, "M").size == 81
    largest = MAX_PNG_SIDE // 89
    image = Image.open(io.BytesIO(render(content, Design(), size=largest, fmt="png")))
    assert image.size == (89 * largest, 89 * largest)
    with pytest.raises(DesignError) as raised:
        render(content, Design(), size=largest + 1, fmt="png")
    assert raised.value.field == "size"
    assert f"at most {MAX_PNG_SIDE:,} pixels a side" in raised.value.message
    assert f"use a size of at most {largest}" in raised.value.message
    assert render(content, Design(), size=50, fmt="svg").startswith(b"<svg")


def test_unknown_format_is_rejected() -> None:
    with pytest.raises(DesignError) as raised:
        render(SHORT_URL, Design(), fmt="gif")
    assert raised.value.field == "format"


@pytest.mark.parametrize("content", ["", "x" * 3000])
def test_empty_or_too_long_content_is_rejected(content: str) -> None:
    with pytest.raises(DesignError) as raised:
        render(content, Design(error_correction="H"))
    assert raised.value.field == "content"


def test_design_is_normalised() -> None:
    design = validate_design(Design(foreground="#1A2", background="#FFFFFF", error_correction="q"))
    assert design == Design(foreground="#11aa22", background="#ffffff", error_correction="Q")


def test_cache_key_is_stable_and_changes_with_every_input() -> None:
    base = (SHORT_URL, Design(), 10, "png", None)
    key = render_cache_key(*base)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert render_cache_key(SHORT_URL, Design(), 10, "png", None) == key
    assert render_cache_key(SHORT_URL, Design(foreground="#000"), 10, "png", None) == key
    variants = [
        (SHORT_URL + "x", Design(), 10, "png", None),
        (SHORT_URL, Design(foreground="#111111"), 10, "png", None),
        (SHORT_URL, Design(background="#fffffe"), 10, "png", None),
        (SHORT_URL, Design(error_correction="Q"), 10, "png", None),
        (SHORT_URL, Design(dot_style="dots"), 10, "png", None),
        (SHORT_URL, Design(corner_style="dot"), 10, "png", None),
        (SHORT_URL, Design(), 11, "png", None),
        (SHORT_URL, Design(), 10, "svg", None),
        (SHORT_URL, Design(), 10, "png", "a" * 64),
        (SHORT_URL, Design(), 10, "png", "b" * 64),
    ]
    keys = {render_cache_key(*variant) for variant in variants}
    assert len(keys) == len(variants)
    assert key not in keys


def test_rendering_is_deterministic() -> None:
    design = Design(dot_style="classy-rounded", corner_style="extra-rounded")
    for fmt in FORMATS:
        first = render(SHORT_URL, design, size=8, fmt=fmt, logo=logo_bytes())
        assert render(SHORT_URL, design, size=8, fmt=fmt, logo=logo_bytes()) == first
