"""The bytes check: magic numbers for binary types, a parse for SVG."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.assets import PDF_BYTES, png_bytes, raster_bytes
from xqr.assets.filetypes import ALLOWED_CONTENT_TYPES, bytes_match, is_svg, normalize_content_type

SAMPLES = {
    "image/png": png_bytes(),
    "image/jpeg": raster_bytes("JPEG"),
    "image/gif": raster_bytes("GIF"),
    "image/webp": raster_bytes("WEBP"),
    "image/svg+xml": b'<svg xmlns="http://www.w3.org/2000/svg"/>',
    "application/pdf": PDF_BYTES,
}


@pytest.mark.parametrize("declared", ALLOWED_CONTENT_TYPES)
def test_each_type_matches_its_own_bytes_and_no_other(declared: str) -> None:
    for actual, data in SAMPLES.items():
        assert bytes_match(declared, data) is (actual == declared), (declared, actual)


def test_content_types_are_normalised_or_refused() -> None:
    assert normalize_content_type("IMAGE/PNG") == "image/png"
    assert normalize_content_type("image/svg+xml; charset=utf-8") == "image/svg+xml"
    assert normalize_content_type("text/html") is None
    assert normalize_content_type("image/jpg") is None
    assert normalize_content_type("") is None


@pytest.mark.parametrize(
    "document",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"></svg>',
        codecs.BOM_UTF8 + b"<svg/>",
        b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<svg/>',
        b'<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<!-- made by hand -->\n<svg/>',
        b"<!-- comment --><svg:svg xmlns:svg='http://www.w3.org/2000/svg'/>",
        "<svg/>".encode("utf-16"),
        b"\n\n  <svg><script>alert(1)</script></svg>",
    ],
)
def test_svg_documents_are_recognised(document: bytes) -> None:
    assert is_svg(document)


@pytest.mark.parametrize(
    "document",
    [
        b"",
        b"<html><body/></html>",
        b"<svg>",
        b"<svg></svg><svg></svg>",
        b"plain text <svg/>",
        b"<SVG/>",
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><svg>&b;</svg>',
        b'<?xml version="1.0" encoding="ISO-8859-1"?><svg/>',
        png_bytes(),
    ],
)
def test_non_svg_documents_are_refused(document: bytes) -> None:
    assert not is_svg(document)


@given(st.binary(max_size=256))
def test_random_bytes_never_crash_the_check(data: bytes) -> None:
    for content_type in ALLOWED_CONTENT_TYPES:
        assert bytes_match(content_type, data) in (True, False)
