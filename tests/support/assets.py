"""Sample files of every asset type, and the presign → PUT → confirm steps tests repeat."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image


def png_bytes(size: int = 8, colour: str = "#3366ff") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, "PNG")
    return buffer.getvalue()


def raster_bytes(format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "#ff6600").save(buffer, format)
    return buffer.getvalue()


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<!-- a logo -->\n"
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert("xss")</script><rect width="10" height="10" fill="red"/></svg>'
)

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def presign(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    filename: str = "logo.png",
    content_type: str = "image/png",
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/assets/presign",
        json={"filename": filename, "content_type": content_type},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def put_upload(
    http: httpx.AsyncClient, presigned: dict[str, Any], content: bytes, **headers: str
) -> httpx.Response:
    sent = {**presigned["headers"], **headers}
    return await http.put(presigned["presigned_url"], content=content, headers=sent)


async def confirm(
    client: httpx.AsyncClient, headers: dict[str, str], asset_id: str
) -> httpx.Response:
    return await client.post(f"/api/v1/assets/{asset_id}/confirm", headers=headers)
