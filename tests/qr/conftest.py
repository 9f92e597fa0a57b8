"""QR test helpers: decoding returned images, sample logos, a real HTTP server for logos."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import resvg_py
import zxingcpp
from PIL import Image, ImageDraw


def rasterise_pdf(data: bytes, dpi: int = 150) -> Image.Image:
    """The first page of a PDF as an image, drawn by poppler's pdftoppm (a real PDF reader)."""
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (Debian's poppler-utils) is needed; run scripts/test-deps"
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "code.pdf"
        source.write_bytes(data)
        subprocess.run(
            [
                pdftoppm,
                "-r",
                str(dpi),
                "-png",
                "-singlefile",
                str(source),
                str(Path(folder) / "page"),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        with Image.open(Path(folder) / "page.png") as page:
            return page.convert("RGB")


def to_image(data: bytes, media_type: str) -> Image.Image:
    """A PNG as it is, an SVG rasterised by resvg, a PDF by pdftoppm."""
    if media_type == "image/svg+xml":
        data = resvg_py.svg_to_bytes(svg_string=data.decode("utf-8"), skip_system_fonts=True)
    elif media_type == "application/pdf":
        return rasterise_pdf(data)
    else:
        assert media_type == "image/png", media_type
    return Image.open(io.BytesIO(data))


def decode(data: bytes, media_type: str) -> list[str]:
    """The texts zxing-cpp reads from a PNG, an SVG or a PDF."""
    image = to_image(data, media_type)
    return [b.text for b in zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)]


def decoded(response: httpx.Response) -> str:
    """The one text the image in `response` decodes to."""
    assert response.status_code == 200, response.text
    media_type = response.headers["content-type"]
    texts = decode(response.content, media_type)
    assert len(texts) == 1, texts
    return texts[0]


def logo_png(side: int = 96, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, side - 1, side - 1), radius=side // 6, fill=(*colour, 255))
    draw.ellipse((side // 4, side // 4, 3 * side // 4, 3 * side // 4), fill="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class Served:
    body: bytes
    content_type: str = "image/png"
    status: int = 200


@dataclass
class LogoServer:
    """A real HTTP server on 127.0.0.1 answering GET `path` with what `routes` says."""

    routes: dict[str, Served] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> LogoServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits.append(self.path)
                served = server.routes.get(self.path, Served(b"not found", "text/plain", 404))
                self.send_response(served.status)
                self.send_header("Content-Type", served.content_type)
                self.send_header("Content-Length", str(len(served.body)))
                self.end_headers()
                self.wfile.write(served.body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def url(self, path: str) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"


@pytest.fixture
def logo_server() -> Iterator[LogoServer]:
    server = LogoServer().start()
    try:
        yield server
    finally:
        server.stop()


Decoder = Callable[[httpx.Response], str]
