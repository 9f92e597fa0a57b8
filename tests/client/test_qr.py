"""`client.qr`: generate images and manage and render templates on a real server."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from xqr.client import XQR, AsyncXQR, NotFoundError, QRTemplate


def _decode(png: bytes) -> str:
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return str(found.text)


def test_generate_returns_svg_by_default_and_png_on_request(xqr: XQR) -> None:
    svg = xqr.qr.generate("https://example.com/poster")
    assert svg.lstrip().startswith(b"<svg")
    png = xqr.qr.generate(
        "https://example.com/poster",
        format="png",
        size=5,
        error_correction="H",
        foreground="#1e3a8a",
        dot_style="rounded",
        corner_style="dot",
    )
    assert _decode(png) == "https://example.com/poster"


def test_templates_crud_render_and_iter(xqr: XQR) -> None:
    template = xqr.qr.templates.create(
        "Spring", description="Posters", design={"foreground": "#14532d", "dot_style": "dots"}
    )
    assert isinstance(template, QRTemplate)
    assert (template.design.foreground, template.design.dot_style) == ("#14532d", "dots")
    assert template.design.corner_style == "square"  # left-out keys take their defaults

    assert xqr.qr.templates.get(template.id).name == "Spring"
    renamed = xqr.qr.templates.update(template.id, name="Summer", design={"dot_style": None})
    assert (renamed.name, renamed.design.dot_style) == ("Summer", "square")
    assert renamed.design.foreground == "#14532d"
    cleared = xqr.qr.templates.update(template.id, description=None)
    assert cleared.description is None

    png = xqr.qr.templates.render(template.id, "hello template", format="png", size=4)
    assert _decode(png) == "hello template"
    assert xqr.qr.templates.render(template.id, "svg please").lstrip().startswith(b"<svg")

    page = xqr.qr.templates.list(limit=1)
    assert page.total >= 1 and len(page.items) == 1
    assert template.id in {t.id for t in xqr.qr.templates.iter(page_size=1)}

    xqr.qr.templates.delete(template.id)
    with pytest.raises(NotFoundError):
        xqr.qr.templates.get(template.id)


async def test_async_generate_and_templates(axqr: AsyncXQR) -> None:
    assert _decode(await axqr.qr.generate("async", format="png", size=4)) == "async"
    template = await axqr.qr.templates.create("Async")
    rendered = await axqr.qr.templates.render(template.id, "async tpl", format="png", size=4)
    assert _decode(rendered) == "async tpl"
    assert [t.id async for t in axqr.qr.templates.iter() if t.id == template.id] == [template.id]
    await axqr.qr.templates.delete(template.id)


def test_studio_options_check_and_bulk(xqr: XQR) -> None:
    png = xqr.qr.generate(
        "https://example.com/studio",
        format="png",
        size=5,
        gradient={"type": "radial", "colors": ["#000000", "#1e3a8a"]},
        eye_color={"outer": "#b71c1c"},
        frame={"style": "banner-top", "text": "Scan me"},
        width_mm=30,
        dpi=300,
    )
    assert _decode(png) == "https://example.com/studio"
    assert xqr.qr.generate("https://example.com/studio", format="pdf").startswith(b"%PDF")
    report = xqr.qr.check("https://example.com/studio", foreground="#bbbbbb")
    assert (report.decodes, report.decodes_clean) == (False, True)
    assert report.warnings and report.contrast_ratio < 3
    link = xqr.links.create("https://example.com/bulk")
    archive = xqr.qr.bulk([{"link_id": link.id}, {"content": "hello", "file_name": "hi"}])
    assert archive.startswith(b"PK")
    framed = xqr.links.qr(link.id, format="png", frame="box", frame_text="Menu")
    assert _decode(framed) == f"{link.short_url}?qr=1"
